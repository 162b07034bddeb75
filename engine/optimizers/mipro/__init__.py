"""MIPROv2: proposed instructions and bootstrapped demo sets, searched with Optuna."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from engine.optimizers.mipro._legacy import (
    MIPRO,
    BayesianSignatureOptimizer,
    OldOptimizerNameWarning,
)
from engine.optimizers.mipro._mipro import MIPROv2
from engine.optimizers.mipro._plan import AUTO_RUN_SETTINGS, trials_for
from engine.optimizers.registry import (
    AutoPick,
    EventKind,
    OptimizerEntry,
    Param,
    Preset,
    Presets,
    SettingsContext,
    register,
)

DEMO_KEYS = ("max_bootstrapped_demos", "max_labeled_demos")
NO_DEMOS = dict.fromkeys(DEMO_KEYS, 0)


def _with_demos(params: Mapping[str, Any]) -> bool:
    """Not "instructions only" (both demo counts 0)."""
    return not all(params.get(k) == 0 for k in DEMO_KEYS)


def _search(params: Mapping[str, Any]) -> str:
    """The search `params` amount to: instructions only, else an `auto` size."""
    if not _with_demos(params):
        return "instructions"
    return params["auto"] if params.get("auto") in AUTO_RUN_SETTINGS else "light"


def _caption(search: str, tail: str, sizes: SettingsContext) -> str:
    """'Your instruction + 2 proposed, × 6 example sets; about 10 trials. Quick; start here.'"""
    zeroshot = search == "instructions"
    n = AUTO_RUN_SETTINGS["light" if zeroshot else search]["n"]
    examples = "no examples in the prompt" if zeroshot else f"× {n} example sets"
    trials = trials_for(max(1, sizes.steps), zeroshot, n)
    proposed = (n if zeroshot else max(1, n // 2)) - 1
    return f"Your instruction + {proposed} proposed, {examples}; about {trials} trials. {tail}"


TAILS = {"light": "Quick; start here.", "medium": "Better odds, a longer run.",
         "heavy": "The widest search, for when every point counts."}  # fmt: skip
SEARCHES = Presets("MIPROv2 search", (
    *(Preset(s, s.title(), partial(_caption, s, tail), {"auto": s}) for s, tail in TAILS.items()),
    Preset("instructions", "Instructions only", partial(_caption, "instructions",
           "Short prompts; for very little data."), {"auto": "light", **NO_DEMOS}),
), chosen=_search)  # fmt: skip


def _note(params: Mapping[str, Any]) -> str | None:
    if _with_demos(params):
        return None
    return (
        "No examples in the prompt: MIPROv2 searches over instructions alone. Pick Light, "
        "Medium or Heavy above to add example sets to the search."
    )


register(OptimizerEntry(
    name="MIPROv2", factory=MIPROv2, rank=30,
    aliases=("mipro", "miprov2"),
    label="Instructions and examples: MIPROv2",
    goal="A proposer model writes new instructions; a search that learns from each try "
    "(Bayesian, with Optuna) pairs them with example sets and keeps the best pair.",
    params=(
        Param("auto", str, "light", help="Search size: light, medium or heavy.", optional=True),
        Param("max_bootstrapped_demos", int, 4, "Model-made examples (max)", low=0, high=16,
              shown=_with_demos),
        Param("max_labeled_demos", int, 4, "Examples in the prompt (max)", low=0, high=32,
              shown=_with_demos),
    ),
    roles={"proposer": "prompt_model"},
    events=(EventKind("proposals"),),
    presets=SEARCHES,
    note=_note,
    auto_pick=AutoPick(2, lambda n: (
        f"only {n} training example(s): too few for worked examples in the prompt, so MIPROv2 "
        "tunes the instruction alone (zero-shot mode: the proposer model writes candidate "
        "instructions, each is scored, the best is kept)"
    ), params={"auto": "light", **NO_DEMOS}),
    smoke_params={
        "auto": None, "num_candidates": 3, "num_trials": 4, "minibatch_size": 6,
        "minibatch_full_eval_steps": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2,
        "race": False,
    },
))  # fmt: skip

__all__ = [
    "MIPRO", "BayesianSignatureOptimizer", "MIPROv2", "OldOptimizerNameWarning",
]  # fmt: skip
