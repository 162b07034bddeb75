"""KPI cards and the result headline shared by the Run, Compare, Export and Runs pages (same
labels, same formats, same verdict words everywhere)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import safe, ui

CARD_HEIGHT = 122  # every KPI card the same height, with or without a delta line


def points_delta(diff: float) -> str | None:
    """A score difference as a metric delta, or None when it rounds to 0 (Streamlit would draw
    a green up-arrow for "+0 pts")."""
    points = round(100 * diff)
    return f"{points:+d} pts" if points else None


def score_delta(baseline: float | None, best: float | None) -> str | None:
    if baseline is None or best is None:
        return None
    return points_delta(best - baseline)


def run_kpis(run: dict[str, Any], usage: dict[str, Any], elapsed: float | None) -> None:
    """Baseline → best (Δ), LM calls / budget, tokens, cost, elapsed."""
    budget = ((run.get("spec") or {}).get("optimizer") or {}).get("budget") or {}
    baseline, best = run.get("baseline_score"), run.get("best_score")
    cols = st.columns(5)
    cols[0].metric(
        "Validation score",
        f"{ui.fmt_score(baseline)} → {ui.fmt_score(best)}",
        delta=score_delta(baseline, best),
        delta_color="off",  # grey: the optimizer chose on these rows; the headline is the verdict
        border=True,
        height=CARD_HEIGHT,
        help="Your starting prompt → the best prompt, as the average score on the validation "
        "rows. The optimizer picked its best prompt on these rows, so they flatter it; the "
        "held-out result above says how it does on new rows.",
    )
    cached = usage.get("cache_hits") or 0
    calls = (usage.get("calls") or 0) - cached  # what the budget counts: calls the model answered
    limit = budget.get("max_calls")
    cols[1].metric(
        "LM calls / budget",
        f"{calls:,} / {limit:,}" if limit else f"{calls:,}",
        help=" ".join([
            f"Calls the model answered. {cached:,} more were answered from the cache: free, "
            "and not counted against the budget.", planned_words(run),
        ]).strip(),  # fmt: skip
        border=True,
        height=CARD_HEIGHT,
    )
    cols[2].metric(
        "Tokens", ui.fmt_int(usage.get("total_tokens") or 0), border=True, height=CARD_HEIGHT
    )
    cols[3].metric(
        "Cost",
        ui.fmt_cost(usage.get("cost") or 0, bool(usage.get("priced", True))),
        border=True,
        height=CARD_HEIGHT,
    )
    limit_min = budget.get("max_minutes")
    cols[4].metric(
        "Elapsed",
        ui.fmt_duration(elapsed),
        help=f"Time limit: {limit_min:g} min" if limit_min else None,
        border=True,
        height=CARD_HEIGHT,
    )


EARLY_END_SHARE = 0.85  # a search that spent its target ends within half a candidate of it


def planned_words(run: dict[str, Any]) -> str:
    """What the search planned to spend and how much of it it did, for a finished run whose
    search had a call target ("" otherwise)."""
    estimate = run.get("estimate") if isinstance(run.get("estimate"), dict) else {}
    share, planned = estimate.get("done_share"), estimate.get("total_calls")
    if share is None or not planned:
        return ""
    words = f"The search planned about {planned:,} calls and did {share:.0%} of that work."
    if share < EARLY_END_SHARE:
        words += (
            " It ended before the rest, and the log says why: usually a prompt so close to a "
            "perfect score on the validation rows that no later one could beat it clearly."
        )
    return words


FAULT_LABELS = {
    "rate_limit": "rate limited", "timeout": "timed out", "server_error": "server error",
    "connection": "connection failed", "auth": "API key refused", "not_found": "model not found",
    "context_window": "prompt too long", "bad_request": "request rejected",
    "empty_reply": "empty reply", "garbage": "garbled reply", "long": "over-long reply",
    "truncated": "cut at max_tokens", "other": "other error",
    "worker_lost": "lost with a stopped Ray worker",
}  # fmt: skip


def fault_text(summary: dict[str, Any]) -> str | None:
    """ "12 calls retried, 3 failed after retries · rate limited 9, timed out 4, ..." or None
    when no LM call of the run had a fault."""
    by_kind = summary.get("by_kind") or {}
    if not by_kind:
        return None
    retried, failed = summary.get("retried_calls", 0), summary.get("failed_after_retries", 0)
    parts = [f"{retried:,} call{'s' if retried != 1 else ''} retried",
             f"{failed:,} failed after retries"]  # fmt: skip
    direct = summary.get("failed_calls", 0) - failed
    if direct:
        parts.append(f"{direct:,} failed without a retry")
    kinds = ", ".join(f"{FAULT_LABELS.get(k) or safe.md(k)} {n:,}" for k, n in by_kind.items())
    return ", ".join(parts) + f" · faults by kind: {kinds}"


def fault_caption(summary: dict[str, Any]) -> None:
    """The run's LM faults under the KPI cards (nothing when there were none)."""
    text = fault_text(summary)
    if text:
        st.caption(f":material/sync_problem: LM faults: {text}")


HEADLINE_LOOK = {
    "gain": (st.success, ":material/trending_up:", "Better on new rows"),
    "unclear": (st.warning, ":material/trending_flat:", "No clear difference on new rows"),
    "loss": (st.error, ":material/trending_down:", "Worse on new rows"),
    "no test": (st.info, ":material/info:", "Not checked on new rows"),
}


def headline_text(outcome: Any) -> str:
    """The headline's words (markdown): the verdict as a title, the held-out result, what the
    kept program changed."""
    title = HEADLINE_LOOK[outcome.kind][2]
    lines = [f"**{title}.** {outcome.headline.rstrip('.')}."]  # some end with a sentence
    if outcome.kind == "unclear" and outcome.change != "start kept":
        lines[0] += " More test rows would tell."  # (not for the same prompt twice)
    if outcome.change_text:
        lines.append(outcome.change_text)
    return "  \n".join(lines)


def result_headline(outcome: Any) -> None:
    """A run's result first (engine.runs.run_outcome): green for a clear gain on the held-out
    rows, amber when unclear, red for a clear loss, blue when there were no test rows."""
    box, icon, _ = HEADLINE_LOOK[outcome.kind]
    with st.container(key="result_headline"):
        box(headline_text(outcome), icon=icon)
