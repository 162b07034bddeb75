"""The pre-flight card: what a run will cost before it starts (calls, tokens, $, minutes).

Calls, tokens and minutes come from the engine's `engine.runs.estimate.preflight` (the optimizer's
own estimate, the likely share of it, the held-out scoring after the search, and the speed this
store measured on earlier runs); the dashboard adds $ (litellm's price map), and uses a speed
timed in this session when the store has measured none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard import home, lmtools, state, ui
from dashboard.glossary import plain_text
from engine.runs import fitting_budget, range_words
from engine.runs import preflight as engine_preflight

PROPOSER_TOKENS_PER_CALL = 800  # the engine's estimates count 700-900 per proposal prompt
ROLE_NAMES = {"task": "task model", "proposer": "proposer", "judge": "judge"}


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
    pilot: dict[str, Any] | None = None  # what a pilot measured (PilotFigures.to_dict())
    problems: list[str] = field(default_factory=list)  # settings the optimizer would refuse
    calls_at_most: int = 0  # the search's upper bound (racing and early stops not counted)
    fit: dict[str, Any] = field(default_factory=dict)  # a budget this run fits in
    calls_range: tuple[int, int] = (0, 0)  # likely search calls, low and high (racing varies)
    seconds_range: tuple[float, float] = (0.0, 0.0)
    training: dict[str, Any] | None = None  # a weight optimizer's training (Estimate.training)
    targeted: bool = False  # the search spends a call target (`calls`) instead of a share
    cached: int = 0  # calls the LM cache of earlier runs answers (left out of the others)
    plateau: dict[str, Any] | None = None  # what stopping on a plateau can save (engine's plan)
    out_of_reach: dict[str, Any] | None = None  # what the out-of-reach stop does (engine's plan)


def preflight(spec: Any, pilot: dict[str, Any] | None = None) -> Preflight:
    """The engine's pre-flight forecast of the spec's run, plus cost ($) and minutes; with
    `pilot` (figures an earlier pilot measured) the forecast uses them (no LM call)."""

    # the run it forecasts is watched on the Run page after Start
    plan = engine_preflight(spec, pilot=pilot, db_path=home.db_path(), watched=True)
    estimate, forecast = plan["estimate"], plan.get("forecast") or {}
    planned = int(estimate["total_calls"])
    test_calls = int(forecast.get("test_calls", plan["test_calls"]))  # less what is cached
    at_most = int(forecast.get("calls_at_most", planned))
    calls = int(forecast.get("calls", planned))
    tokens = int(estimate["tokens"] * (calls + test_calls) / max(planned, 1))
    model = spec.models.task.model
    by_role = {role: int(n) for role, n in (estimate.get("calls") or {}).items()}
    cost = _cost(spec, tokens, by_role.get("proposer", 0))
    measured = state.speed(model)
    seconds, source = float(forecast.get("seconds") or 0.0), str(forecast.get("speed") or "")
    low, high = forecast.get("calls_range") or (calls, calls)
    fast, slow = forecast.get("seconds_range") or (seconds, seconds)
    if measured and not forecast.get("speed_measured", True):  # timed here, no run stored yet
        training = 60 * float((estimate.get("training") or {}).get("minutes") or 0)
        seconds, fast, slow = ((n + test_calls) * measured + training for n in (calls, low, high))
        source = f"measured in this session: {measured:.2f} s per call"
    source = f"from the speed {source}" if source else ""
    return Preflight(
        plan["optimizer"],
        calls,
        test_calls,
        tokens,
        cost,
        seconds,
        source,
        estimate.get("notes", ""),
        by_role,
        plan.get("pilot"),
        [in_form_words(p) for p in plan.get("problems") or []],
        at_most,
        fitting_budget(plan) if forecast else {},
        (int(low), int(high)),
        (float(fast), float(slow)),
        estimate.get("training"),
        bool(forecast.get("targeted")),
        int(forecast.get("cached_calls") or 0),
        plan.get("plateau"),
        plan.get("out_of_reach"),
    )


def cached_words(cached: int) -> str:
    """The LM-calls help's sentence on calls earlier runs already answered ('' for none)."""
    if not cached:
        return ""
    return (
        f" {cached:,} more are answered by the saved replies of earlier runs on the same rows "
        "(free and instant), so they are not counted."
    )


def training_words(training: dict[str, Any]) -> str:
    """The training forecast in a sentence for the card."""
    passes = training["epochs"]
    words = (
        f"Training the model's weights: up to {training['rows']:,} lessons "
        f"({lesson_sources(training)}), ~{training['tokens']:,} tokens, "
        f"{passes} pass{'es' if passes != 1 else ''}"
        f" over them, {training['steps']:,} training step{'s' if training['steps'] != 1 else ''}"
    )
    if training.get("minutes") is not None:
        words += (f", ~{ui.fmt_duration(60 * training['minutes'])} on this computer (at the "
                  f"{training['tokens_per_second']} tokens per second measured here)")  # fmt: skip
    if training.get("disk_bytes"):
        words += f". It needs ~{training['disk_bytes'] / 1e9:.1f} GB of free disk"
    return words + "."


def lesson_sources(training: dict[str, Any]) -> str:
    """Where the lessons come from: the rows the model gets right, your data's answers, or
    so many of each."""
    sources = training.get("rows_from") or {"traces": training["rows"], "labels": 0}
    own, data = sources.get("traces", 0), sources.get("labels", 0)
    if not data:
        return "the rows the model gets right"
    if not own:
        return "the right answers in your data"
    return f"{own:,} from the rows the model gets right, {data:,} from the answers in your data"


def in_form_words(problem: str) -> str:
    """An engine problem as the form says it: without the spec keys it names in backticks."""
    return re.sub(r" \(`[A-Za-z_.]+`\)", "", problem)


def _cost(spec: Any, tokens: int, proposer_calls: int) -> float | None:
    """$ of `tokens` at the task model's price, the proposer's share at the proposer's price;
    None when a model that is used has no known price."""
    proposer = spec.models.proposer
    shares = [(spec.models.task.model, tokens)]
    if proposer is not None and proposer_calls:
        share = min(tokens, proposer_calls * PROPOSER_TOKENS_PER_CALL)
        shares = [(spec.models.task.model, tokens - share), (proposer.model, share)]
    total = 0.0
    for model, n in shares:
        price = lmtools.price_per_token(model)
        if price is None:
            return None
        total += n * (0.85 * price[0] + 0.15 * price[1])
    return total


def role_split(by_role: dict[str, int]) -> str:
    """'task model ~300 · proposer ~8 calls' ('' when there is only the task model)."""
    if set(by_role) <= {"task"}:
        return ""
    parts = [f"{ROLE_NAMES.get(role, role)} ~{n:,}" for role, n in by_role.items()]
    return " · ".join(parts) + " calls"


def budget_limits(p: Preflight, budget: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(limits the forecast run will likely pass, limits it may pass), in words."""
    limits, maybe = [], []
    if budget.get("max_calls"):
        if p.calls > budget["max_calls"]:
            limits.append(f"the limit of {budget['max_calls']:,} LM calls")
        elif p.calls_at_most > budget["max_calls"]:
            maybe.append(f"the limit of {budget['max_calls']:,} LM calls")
    if budget.get("max_minutes") and p.seconds / 60 > budget["max_minutes"]:
        limits.append(f"the {budget['max_minutes']:g}-minute limit")
    if budget.get("max_cost") and p.cost and p.cost > budget["max_cost"]:
        limits.append(f"the ${budget['max_cost']:g} limit")
    return limits, maybe


def time_words(seconds: float) -> str:
    """'under a minute', '4 minutes', '2.5 hours'."""
    if seconds < 60:
        return "under a minute"
    if seconds < 90 * 60:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'s' * (minutes != 1)}"
    return f"{seconds / 3600:.1f} hours"


def lead_sentence(p: Preflight, budget: dict[str, Any]) -> str:
    """The card's one plain sentence: 'About 540 model calls and 4 minutes, free; your
    budget covers it.'"""
    cost = "" if p.cost is None else (", free" if p.cost == 0 else f", about ${p.cost:.2f}")
    limits, maybe = budget_limits(p, budget)
    if limits:
        verdict = "your budget will probably stop it early (see below)"
    elif maybe:
        verdict = "your budget covers it, unless the search runs long (see below)"
    elif any(budget.get(key) for key in ("max_calls", "max_minutes", "max_cost", "max_tokens")):
        verdict = "your budget covers it"
    else:
        verdict = "no budget limit is set"
    total = p.calls + p.test_calls
    return f"About {total:,} model calls and {time_words(p.seconds)}{cost}; {verdict}."


def search_bound(p: Preflight) -> str:
    """How the search's calls may vary, in words ('' when they do not)."""
    low, high = p.calls_range
    if p.targeted:
        return (
            f"The search plans its work to spend about {p.calls:,} calls, at most "
            f"{p.calls_at_most:,}: the calls saved by stopping weak candidates early pay for "
            "more candidates."
        )
    if p.calls_at_most > p.calls and high > low:
        return (
            f"The search makes at most {p.calls_at_most:,} calls; stopping weak candidates early "
            f"usually saves part of that: runs like this one made {low:,} to {high:,}."
        )
    return ""


def budget_card(p: Preflight, budget: dict[str, Any]) -> None:
    """Render the card: one plain sentence, the four figures, how they were estimated behind
    an expander; warns when a budget limit will end the run early."""

    with st.container(border=True):
        st.markdown("#### Before you start: estimated cost of this run")
        st.markdown(lead_sentence(p, budget))
        total = p.calls + p.test_calls
        a, b, c, d = st.columns(4)
        a.metric(
            "LM calls",
            f"~{total:,}",
            help=f"About {p.calls:,} for the search + {p.test_calls:,} to score the starting "
            f"and the best prompt on the test rows.{cached_words(p.cached)}",
            border=True,
        )
        b.metric(
            "Tokens",
            f"~{p.tokens:,}",
            help="Pieces of text the model reads and writes, "
            "about three quarters of a word each; hosted models charge by them.",
            border=True,
        )
        c.metric(
            "Cost",
            "free (local)"
            if p.cost == 0
            else ("not priced" if p.cost is None else f"~${p.cost:.2f}"),
            border=True,
        )
        span = range_words(*p.seconds_range)
        d.metric(
            "Time",
            f"~{ui.fmt_duration(p.seconds)}",
            help=f"Likely {span}, as the search stops earlier or later." if span else None,
            border=True,
        )
        early_stop_words(p.plateau, "Stop when the best score stops improving")
        early_stop_words(p.out_of_reach, "Stop when a better prompt is unlikely")
        with st.expander("How this was estimated"):
            details(p)
        limits, maybe = budget_limits(p, budget)
        if limits or maybe:
            st.warning(
                f"The run will {'probably' if limits else 'perhaps'} stop at "
                f"{' and '.join(limits or maybe)} before the search ends. That is safe: it "
                "finishes early and keeps the best prompt found so far.",
                icon=":material/savings:",
            )
            fit_button(p, budget)


def early_stop_words(stop: dict[str, Any] | None, name: str) -> None:
    """An early stop's words from the engine's plan: a caption, or a warning when it cannot
    end the search."""
    if not stop:
        return
    said = stop["words"]
    if stop["never"]:
        st.warning(said[0].upper() + said[1:] + ".", icon=":material/hourglass_empty:")
    else:
        st.caption(f"{name}: {said}.")


def details(p: Preflight) -> None:
    """The expander's text: what the calls are for, by role, the speed, the optimizer's own
    account of its count (in the pages' words) and a weight optimizer's training."""
    st.caption(
        f"About {p.calls:,} model calls for the search, and {p.test_calls:,} to score your "
        f"prompt and the best one on the held-out rows. {search_bound(p)}"
        f"{cached_words(p.cached)}"
    )
    split = role_split(p.by_role)
    if split:
        st.caption(f"Search calls by role: {split}")
    if p.speed_source:
        st.caption(f"Time {p.speed_source}.")
    if p.notes:
        notes = plain_text(p.notes)
        st.caption(f"How the optimizer counts: {notes}.")
    if p.training:
        st.caption(training_words(p.training))


def fit_button(p: Preflight, budget: dict[str, Any]) -> None:
    """Offer the budget this run fits in (every call the search may make, three times the
    likely time)."""
    if not p.fit:
        return
    calls = max(p.fit["max_calls"], budget.get("max_calls") or 0)
    minutes = max(p.fit["max_minutes"], budget.get("max_minutes") or 0)
    if st.button(
        f"Fit the budget to this run: {calls:,} LM calls, {minutes:g} minutes",
        key="fit_budget",
        icon=":material/fit_screen:",
    ):
        budget["max_calls"], budget["max_minutes"] = calls, minutes
        state.bump()  # the budget boxes are drawn again from the new values
        st.rerun()
