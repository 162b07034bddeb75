"""The Optimize page's two early stops, both off unless chosen: when the best score stops
improving (`stop_when_flat`) and when the rest of the call budget is unlikely to beat it
(`stop_when_out_of_reach`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state
from dashboard.widgets.number import number


def early_stops(opt: dict[str, Any]) -> None:
    """Both options, written into the draft's optimizer settings `opt`."""
    flat = st.checkbox(
        "Stop searching when the best score stops improving",
        value=opt.get("stop_when_flat") is not None,
        help="Ends the search once this many scorings in a row found nothing better than the "
        "best prompt so far; the run then finishes as usual (its last steps and the held-out "
        "test still run) and says that it stopped early. Off: the search uses its whole plan or "
        "budget. Measured with a wait of 8 scorings on three generated message sets no setting "
        "was chosen on: it saved 26% of the calls and lost 5 of 90 held-out answers (better "
        "prompts still came after 8 scorings without one). So it is off unless you choose it; "
        "a longer wait stops early less often.",
        key=f"flat_on_{state.rev()}",
    )
    opt["stop_when_flat"] = (
        int(number(st, "Scorings in a row without a better score", 1, 1000,
                   opt.get("stop_when_flat") or 8, "flat_n"))  # fmt: skip
        if flat
        else None
    )
    reach = st.checkbox(
        "Stop searching when the rest of the budget is unlikely to find a better prompt",
        value=opt.get("stop_when_out_of_reach") is not None,
        help="Each time a prompt fails to beat the best one, the run looks at how far apart the "
        "scores so far are and how many more prompts the LM-call limit still pays for. When "
        "the chance that one of them beats the best is below the level you set, the search "
        "ends; the run then finishes as usual and says why. It needs a limit on LM calls and "
        "at least three prompts scored on the same rows. Off: the search uses its whole plan "
        "or budget. Measured at 5% on five generated message sets, it never fired: the call "
        "limit ended every search first, with nothing saved and nothing lost. So it is off "
        "unless you choose it; a lower chance stops early less often.",
        key=f"reach_on_{state.rev()}",
    )
    chance = opt.get("stop_when_out_of_reach") or 0.05
    opt["stop_when_out_of_reach"] = (
        round(number(st, "Stop when the chance of a better prompt is below (%)", 0.1, 49.0,
                     100 * chance, "reach_pct", step=1.0) / 100, 6)  # fmt: skip
        if reach
        else None
    )
