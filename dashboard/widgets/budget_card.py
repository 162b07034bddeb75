"""The pre-flight card: what a run will cost before it starts (calls, tokens, $, minutes).

Numbers come from the optimizer's own `estimate(trainset, valset)`; the held-out test scoring
after the search (baseline and best on the test split) is added on top. Minutes use the model
speed measured in this session (Try / Test buttons) or a typical speed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
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


def preflight(spec: Any, optimizer: str) -> Preflight:
    """Estimate a run of `optimizer` (a class name) on the spec's data split."""
    from engine.runs.data import load_data
    from engine.runs.pipeline import build_metric, build_program

    split = load_data(spec)
    program = build_program(spec)
    cls = getattr(importlib.import_module("engine.optimizers"), optimizer)
    opt = cls(metric=build_metric(spec), **spec.optimizer.params)
    estimate = opt.estimate(split.train, split.val or None, student=program)
    per_example = max(1, len(list(program.named_predictors())))
    test_calls = 2 * len(split.test) * per_example
    calls = estimate.total_calls
    tokens = int(estimate.tokens * (1 + test_calls / max(calls, 1)))
    model = spec.models.task.model
    price = lmtools.price_per_token(model)
    cost = None if price is None else tokens * (0.85 * price[0] + 0.15 * price[1])
    measured = state.speed(model)
    kind = "local" if model.startswith("local/") else "hosted"
    if measured:
        per_call, source = measured, f"measured in this session: {measured:.2f} s per call"
    else:
        per_call, source = (
            TYPICAL_SECONDS[kind],
            f"assumed ~{TYPICAL_SECONDS[kind]:.0f} s per call "
            "(use “Try on a random row” to measure)",
        )
    return Preflight(
        optimizer,
        calls,
        test_calls,
        tokens,
        cost,
        (calls + test_calls) * per_call,
        source,
        estimate.notes,
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
