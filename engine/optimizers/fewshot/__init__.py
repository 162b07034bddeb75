"""Few-shot optimizers: LabeledFewShot, BootstrapFewShot and its random search."""

from typing import Any

from engine.optimizers.fewshot._bootstrap import BootstrapFewShot
from engine.optimizers.fewshot._labeled import LabeledFewShot
from engine.optimizers.fewshot._random_search import (
    SPEC_SPEND_SHARE,
    BootstrapFewShotWithRandomSearch,
    BootstrapRS,
)
from engine.optimizers.registry import OptimizerEntry, Param, register

DEMO_PARAMS = (
    Param("max_bootstrapped_demos", int, 4, "Model-made examples (max)", low=0, high=16,
          help="Worked examples made from the model's own correct answers."),
    Param("max_labeled_demos", int, 8, "Examples in the prompt (max)", low=0, high=32,
          help="Examples in the prompt in all, topped up with your labelled rows."),
)  # fmt: skip

register(
    OptimizerEntry(
        name="BootstrapFewShot",
        factory=BootstrapFewShot,
        rank=10,
        aliases=("bootstrap", "bootstrapfewshot"),
        label="Examples only: BootstrapFewShot",
        goal="Runs the model on training rows and keeps its correct answers as worked examples in "
        "the prompt.",
        params=DEMO_PARAMS,
    )
)


def random_search_from_spec(**params: Any) -> BootstrapFewShotWithRandomSearch:
    """Random search as a spec runs it: spending `SPEC_SPEND_SHARE` of its unraced cost unless
    the spec says otherwise (`spend_share: null` tries exactly the planned candidates)."""
    params.setdefault("spend_share", SPEC_SPEND_SHARE)
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
        ),
        estimate_tolerance=None,  # an upper bound: the search may stop early
    )
)
register(OptimizerEntry(
    name="LabeledFewShot", factory=LabeledFewShot, rank=80,
    aliases=("labeled", "labeledfewshot"),
    label="Labels only: LabeledFewShot",
    goal="Puts some of your labelled rows into the prompt as examples. No model calls to "
    "prepare; fastest.",
    params=(Param("k", int, 8, "Examples in the prompt", low=1, high=32),),
    estimate_tolerance=0.0,
))  # fmt: skip

__all__ = [
    "BootstrapFewShot", "BootstrapFewShotWithRandomSearch", "BootstrapRS", "LabeledFewShot",
]  # fmt: skip
