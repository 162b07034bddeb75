"""An optimizer's settings on the Optimize page, drawn from its registry entry: its own widget
(if it registers one) under the goal, then a form of its declared parameters, two per row."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state
from dashboard.widgets.number import number
from engine.optimizers import registry


def optimizer_widget(entry: Any, params: dict[str, Any], ctx: Any) -> None:
    """The optimizer's own widget (a search size, say), if its entry names one."""
    if entry.widget is not None:
        registry.load_view(entry.widget)(params, ctx)


def optimizer_form(entry: Any, params: dict[str, Any], ctx: Any) -> None:
    """Inputs for the entry's form parameters (writing `params`, the spec's), then its note."""
    shown = [p for p in entry.form() if p.shown is None or p.shown(params)]
    for start in range(0, len(shown), 2):
        pair = shown[start : start + 2]
        columns = st.columns(2) if len(pair) == 2 else [st]
        for where, param in zip(columns, pair, strict=True):
            params[param.name] = _input(where, param, params, ctx)
    note = entry.note(params) if entry.note is not None else None
    if note:
        st.caption(note)


def _input(where: Any, param: Any, params: dict[str, Any], ctx: Any) -> Any:
    key = f"opt_{param.name}"
    current = params.get(param.name, param.default)
    if param.type is bool:
        return where.toggle(
            param.label, value=bool(current), help=param.help or None,
            key=f"{key}_{state.rev()}",
        )  # fmt: skip
    if param.choices:
        words = dict(param.choices)
        values = list(words)
        return where.selectbox(
            param.label, values, index=values.index(current) if current in values else 0,
            format_func=lambda value: words[value], help=param.help or None,
            key=f"{key}_{state.rev()}",
        )  # fmt: skip
    if param.type in (int, float):
        low = param.type(param.low if param.low is not None else 0)
        high = ctx.size(param.high)
        high = param.type(max(low, high) if high is not None else 1_000_000)
        value = min(max(param.type(current), low), high)
        return number(where, param.label, low, high, value, key, step=param.step)
    return where.text_input(
        param.label, value=str(current), help=param.help or None, key=f"{key}_{state.rev()}"
    ).strip()
