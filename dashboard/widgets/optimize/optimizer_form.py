"""An optimizer's settings on the Optimize page, drawn from its registry entry: its search sizes
(if it declares them) under the goal, then a form of its declared parameters, two per row."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import state
from dashboard.widgets.number import number


def search_size(entry: Any, params: dict[str, Any], ctx: Any) -> None:
    """The entry's search sizes (`registry.Presets`), one choice with a caption each; a change
    applies its preset to the draft's params, and the params the choice asks for are drawn
    under it."""
    presets = entry.presets
    if presets is None:
        return
    key = f"search_{entry.name}_{state.rev()}"

    def apply() -> None:  # runs before the next script run, on the draft in session state
        presets.apply(state.draft()["optimizer"]["params"], st.session_state[key])

    chosen = presets.get(st.session_state.get(key) or presets.chosen(params))
    for name, value in chosen.sets.items():  # a draft that sets none yet
        params.setdefault(name, value)
    choices = [p.value for p in presets.choices]
    value = st.radio(
        presets.label, choices, index=choices.index(chosen.value),
        format_func=lambda v: presets.get(v).label,
        captions=[p.caption(ctx) for p in presets.choices], key=key, on_change=apply,
    )  # fmt: skip
    for name in presets.get(value).asks:
        params[name] = _input(st, entry.param(name), params, ctx)


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
