"""Scoring tested rows on the Metric page, including with an LLM judge, and calibrating a judge
against the user's own good/bad marks.

Judge scores are LM calls, so they are kept in the session by content (metric settings, judge
model, row): a rerun of the page, or switching back to a rule, does not ask the judge again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard import lmtools, state
from dashboard.ui import describe_error
from engine import Example, Prediction
from engine.runs import build_lm, build_metric, call_metric, score_of

LLM_KINDS = ("judge", "semantic_f1")
GOOD_FROM = 0.5  # a judge score from here up counts as "good" when calibrating
AGREEMENT_TARGET = 0.8
MIN_MARKS = 5
_CACHE = "judge_scores"


@dataclass
class RowScore:
    score: float
    feedback: str | None = None


def judge_lm(spec: Any) -> Any:
    """The judge's LM: `models.judge` (with its session key) when set, else the task LM."""

    if spec.models.judge is None or os.environ.get("TUNESMITH_TEST_LM"):
        return lmtools.task_lm(spec)

    extras: dict[str, Any] = {"cache": True}
    key = state.api_key("judge") or state.api_key()
    if key and not spec.models.judge.model.startswith("local/"):
        extras["api_key"] = key
    return build_lm(spec.models.judge, **extras)


def judge_model_name(spec: Any) -> str:
    return (spec.models.judge or spec.models.task).model


def _key(spec: Any, run: lmtools.RowRun) -> str:
    blob = json.dumps(
        [spec.metric.model_dump(mode="json"), judge_model_name(spec), run.inputs, run.expected,
         run.outputs],
        sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _score_one(metric: Any, run: lmtools.RowRun) -> RowScore:

    if run.error:
        return RowScore(0.0, "no valid answer, so it scores 0")
    example = Example({**run.inputs, **run.expected}).with_inputs(*run.inputs)
    try:
        score, feedback = score_of(call_metric(metric, example, Prediction(run.outputs)))
    except Exception as exc:  # noqa: BLE001  (shown on the row, never a traceback)
        return RowScore(0.0, f"scoring failed: {describe_error(exc)}")
    return RowScore(score, feedback)


def needs_judge(spec: Any, runs: list[lmtools.RowRun]) -> bool:
    """Whether scoring `runs` would call the judge (some rows are not scored yet)."""
    if spec.metric.kind not in LLM_KINDS:
        return False
    cache = st.session_state.get(_CACHE, {})
    return any(_key(spec, r) not in cache for r in runs if not r.error)


def score_rows(spec: Any, runs: list[lmtools.RowRun]) -> list[RowScore]:
    """The spec's metric on each row, with its feedback; judge scores are remembered."""

    if spec.metric.kind not in LLM_KINDS:
        metric = build_metric(spec)
        return [_score_one(metric, r) for r in runs]
    cache = st.session_state.setdefault(_CACHE, {})
    metric = build_metric(spec, judge_lm=judge_lm(spec))
    out = []
    for run in runs:
        key = _key(spec, run)
        if key not in cache:
            cache[key] = _score_one(metric, run)
        out.append(cache[key])
    return out


def quick_score(spec: Any, run: lmtools.RowRun) -> RowScore | None:
    """The metric on one row when that needs no LM call (None for judged metrics, or when the
    spec is not valid or the row has no expected values)."""
    if spec is None or not run.expected or spec.metric.kind in LLM_KINDS:
        return None
    try:
        return score_rows(spec, [run])[0]
    except Exception:  # noqa: BLE001  (e.g. the metric no longer fits the edited pipeline)
        return None


@dataclass
class Agreement:
    """How often the judge's verdict (score >= GOOD_FROM) matches the user's marks."""

    marked: int
    agreed: int
    too_generous: int  # the judge said good, the user bad
    too_strict: int  # the judge said bad, the user good

    @property
    def rate(self) -> float:
        return self.agreed / self.marked if self.marked else 0.0

    @property
    def enough(self) -> bool:
        return self.marked >= MIN_MARKS

    @property
    def trusted(self) -> bool:
        return self.rate >= AGREEMENT_TARGET


def agreement(scores: list[float], marks: list[bool | None]) -> Agreement:
    """Compare judge scores with the user's marks (True good, False bad, None unmarked)."""
    pairs = [(s >= GOOD_FROM, m) for s, m in zip(scores, marks) if m is not None]
    return Agreement(
        marked=len(pairs),
        agreed=sum(1 for judge, user in pairs if judge == user),
        too_generous=sum(1 for judge, user in pairs if judge and not user),
        too_strict=sum(1 for judge, user in pairs if user and not judge),
    )
