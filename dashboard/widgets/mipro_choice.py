"""MIPROv2's search size on the Optimize page: light / medium / heavy, or instructions only (no
examples in the prompt), each with a one-line explanation in numbers from the engine's plan."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state
from engine import MIPROv2

SEARCHES = ("light", "medium", "heavy", "instructions")
LABELS = {
    "light": "Light",
    "medium": "Medium",
    "heavy": "Heavy",
    "instructions": "Instructions only",
}
TAILS = {
    "light": "Quick; start here.",
    "medium": "Better odds, a longer run.",
    "heavy": "The widest search, for when every point counts.",
    "instructions": "Short prompts; for very little data.",
}
DEMO_DEFAULTS = {"max_bootstrapped_demos": 4, "max_labeled_demos": 4}
NO_DEMOS = {"max_bootstrapped_demos": 0, "max_labeled_demos": 0}


def preset(search: str) -> dict[str, Any]:
    """The spec params a search size sets (the example counts only when they must change)."""
    if search == "instructions":
        return {"auto": "light", **NO_DEMOS}
    return {"auto": search}


def current_search(params: dict[str, Any]) -> str:
    """The search size that `params` amount to."""
    if all(params.get(k) == 0 for k in NO_DEMOS):
        return "instructions"
    return params.get("auto") if params.get("auto") in SEARCHES else "light"


def caption(search: str, steps: int) -> str:
    """'Your instruction + 2 proposed × 6 example sets; about 10 trials. Quick; start here.'"""
    zeroshot = search == "instructions"
    n = MIPROv2.auto_run_settings["light" if zeroshot else search]["n"]
    instructions = n if zeroshot else max(1, n // 2)
    examples = "no examples in the prompt" if zeroshot else f"× {n} example sets"
    trials = MIPROv2.trials_for(max(1, steps), zeroshot, n)
    return (
        f"Your instruction + {instructions - 1} proposed, {examples}; about {trials} trials. "
        f"{TAILS[search]}"
    )


def mipro_search(params: dict[str, Any], ctx: Any) -> str:
    """The search-size radio (`ctx`: the registry's SettingsContext); a change applies its
    preset to `params`. Returns the choice."""
    steps = ctx.steps
    key = f"mipro_search_{state.rev()}"

    def apply() -> None:  # runs before the next script run, on the draft in session state
        chosen, live = st.session_state[key], state.draft()["optimizer"]["params"]
        if chosen != "instructions" and all(live.get(k) == 0 for k in NO_DEMOS):
            live.update(DEMO_DEFAULTS)  # back from instructions only: examples again
        live.update(preset(chosen))

    if "auto" not in params:
        params.update(preset(current_search(params)))
    return st.radio(
        "MIPROv2 search",
        SEARCHES,
        index=SEARCHES.index(current_search(params)),
        format_func=LABELS.get,
        captions=[caption(s, steps) for s in SEARCHES],
        key=key,
        on_change=apply,
    )
