"""BootstrapFewShotWithRandomSearch (BootstrapRS): bootstrapped example sets from several seeds,
the best on the validation rows kept."""

from typing import Any

from engine.optimizers.bootstrap import DEMO_PARAMS
from engine.optimizers.random_search._random_search import (
    SPEC_CLOSE_ENOUGH,
    SPEC_SPEND_SHARE,
    BootstrapFewShotWithRandomSearch,
    BootstrapRS,
)
from engine.optimizers.registry import AutoPick, OptimizerEntry, Param, register


def random_search_from_spec(**params: Any) -> BootstrapFewShotWithRandomSearch:
    """Random search as a spec runs it: spending `SPEC_SPEND_SHARE` of its unraced cost, and
    ending once the best misses at most `SPEC_CLOSE_ENOUGH` validation rows, unless the spec
    says otherwise (`spend_share: null` tries exactly the planned candidates; `close_enough:
    null` never ends for that)."""
    params.setdefault("spend_share", SPEC_SPEND_SHARE)
    params.setdefault("close_enough", SPEC_CLOSE_ENOUGH)
    return BootstrapFewShotWithRandomSearch(**params)


register(
    OptimizerEntry(
        name="BootstrapFewShotWithRandomSearch",
        factory=random_search_from_spec,
        rank=20,
        aliases=("random_search", "randomsearch", "bootstrapfewshotwithrandomsearch"),
        label="Search over example sets: random search",
        goal="Builds several different sets of examples and keeps the one that scores best on the "
        "validation rows. Slower, usually better.",
        params=(
            *DEMO_PARAMS,
            Param(
                "num_candidate_programs",
                int,
                6,
                "Candidate example sets to try",
                low=1,
                high=50,
                help="The search plans this many (plus 3 simple ones) and spends about "
                f"{SPEC_SPEND_SHARE:.0%} of what they would cost scored in full: when it can "
                "stop scoring weak sets early, the calls saved pay for more sets; when it "
                "cannot, it tries fewer.",
            ),
            Param("spend_share", float, SPEC_SPEND_SHARE, optional=True),
            Param("close_enough", float, SPEC_CLOSE_ENOUGH, optional=True),
        ),
        estimate_tolerance=None,  # an upper bound: the search may stop early
        # racing stops most candidates before the last validation row: the share of the bound
        # runs spent on our benchmarks (docs/design/forecast.md, "Likely calls")
        typical_share=(0.65, 0.5, 1.0),
        auto_pick=AutoPick(None, lambda n: (
            f"{n} training examples: enough to bootstrap several candidate demo sets and pick "
            "the best on the validation set"
        )),
        smoke_params={"num_candidate_programs": 3, "max_bootstrapped_demos": 2,
                      "max_labeled_demos": 2, "race": False},
    )
)  # fmt: skip

__all__ = [
    "SPEC_CLOSE_ENOUGH", "SPEC_SPEND_SHARE", "BootstrapFewShotWithRandomSearch", "BootstrapRS",
    "random_search_from_spec",
]  # fmt: skip
