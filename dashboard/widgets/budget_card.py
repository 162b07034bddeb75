"""The pre-flight card: what a run will cost before it starts (calls, tokens, $, minutes).

Calls and tokens come from the engine's `engine.runs.plan.preflight` (the optimizer's own
estimate plus the held-out scoring after the search); the dashboard adds $ (litellm's price
map) and minutes (model speed measured in this session by Try / Test, or a typical speed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard import lmtools, state, ui

TYPICAL_SECONDS = {"local": 1.0, "hosted": 1.5}


@dataclass
class Preflight:
    optimizer: str
    calls: int
    test_calls: int
    tokens: int
    cost: float | None
    seconds: float
    speed_source: str
    notes: str
    by_role: dict[str, int] = field(default_factory=dict)  # search calls per role


def preflight(spec: Any) -> Preflight:
    """The engine's pre-flight forecast of the spec's run, plus cost ($) and minutes."""
    from engine.runs.plan import preflight as engine_preflight

    plan = engine_preflight(spec)
    estimate = plan["estimate"]
    calls, test_calls = int(estimate["total_calls"]), int(plan["test_calls"])
    tokens = int(estimate["tokens"] * (1 + test_calls / max(calls, 1)))
    model = spec.models.task.model
    price = lmtools.price_per_token(model)
    cost = None if price is None else tokens * (0.85 * price[0] + 0.15 * price[1])
    measured = state.speed(model)
    kind = "local" if model.startswith("local/") else "hosted"
    if measured:
        per_call, source = measured, f"measured in this session: {measured:.2f} s per call"
    else:
        per_call = TYPICAL_SECONDS[kind]
        source = f"assumed ~{per_call:.0f} s per call (use “Try on a random row” to measure)"
    seconds = (calls + test_calls) * per_call
    return Preflight(
        plan["optimizer"],
        calls,
        test_calls,
        tokens,
        cost,
        seconds,
        source,
        estimate.get("notes", ""),
        {role: int(n) for role, n in (estimate.get("calls") or {}).items()},
    )


def budget_card(p: Preflight, budget: dict[str, Any]) -> None:
    """Render the card; warns when a budget limit will end the run early."""
    with st.container(border=True):
        st.markdown("#### Before you start: estimated cost of this run")
        total = p.calls + p.test_calls
        a, b, c, d = st.columns(4)
        a.metric(
            "LM calls",
            f"~{total:,}",
            help=f"{p.calls:,} for the search + {p.test_calls:,} to score "
            "the baseline and the best prompt on the test rows",
            border=True,
        )
        if len(p.by_role) > 1:
            a.caption(
                " · ".join(f"{role} ~{n:,}" for role, n in p.by_role.items())
                + " (search calls by role)"
            )
        b.metric("Tokens", f"~{p.tokens:,}", border=True)
        c.metric(
            "Cost",
            "free (local)"
            if p.cost == 0
            else ("not priced" if p.cost is None else f"~${p.cost:.2f}"),
            border=True,
        )
        d.metric("Time", f"~{ui.fmt_duration(p.seconds)}", border=True)
        st.caption(
            f"Time {p.speed_source}. {p.notes[:1].upper() + p.notes[1:]}."
            if p.notes
            else p.speed_source
        )
        limits = []
        if budget.get("max_calls") and p.calls > budget["max_calls"]:
            limits.append(f"the limit of {budget['max_calls']:,} LM calls")
        if budget.get("max_minutes") and p.seconds / 60 > budget["max_minutes"]:
            limits.append(f"the {budget['max_minutes']:g}-minute limit")
        if budget.get("max_cost") and p.cost and p.cost > budget["max_cost"]:
            limits.append(f"the ${budget['max_cost']:g} limit")
        if limits:
            st.warning(
                f"The run will probably stop at {' and '.join(limits)} before the search ends. "
                "That is safe: the best prompt found so far is kept.",
                icon=":material/savings:",
            )
