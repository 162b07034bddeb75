"""Metrics: `metric(example, prediction, trace=None, pred_name=None, pred_trace=None)`.

Each built-in metric compares one label field (or every label field the prediction also has)
of the example with the prediction and returns a `ScoreWithFeedback`: a float that also says
in words why, e.g. "expected 'refund_request', got 'order_status'". `make_metric(kind,
**params)` builds one by name, for specs. The LLM-judged metrics (`Judge`, `SemanticF1`) live
in judge.py, semantic_f1.py and complete_grounded.py and are re-exported here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from engine.core import SpecError
from engine.evaluate.complete_grounded import CompleteAndGrounded  # noqa: F401 (re-exported)
from engine.evaluate.judge import Judge
from engine.evaluate.scoring import ScoreWithFeedback
from engine.evaluate.semantic_f1 import SemanticF1
from engine.evaluate.texts import quote, shorten
from engine.modules.attempts.aggregation import normalize_text  # noqa: F401 (DSPy's path too)


def token_f1_score(prediction: Any, reference: Any) -> float:
    pred_tokens = normalize_text(prediction).split()
    ref_tokens = normalize_text(reference).split()
    if not pred_tokens or not ref_tokens:
        return float(pred_tokens == ref_tokens)
    common = Counter(pred_tokens) & Counter(ref_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred_tokens), overlap / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


class FieldMetric:
    """Base: compares `field` (or each shared label field, averaged) and explains the score.

    Subclasses implement `check(predicted, expected) -> (score, feedback)`; older ones that
    only implement `compare()` get a generic feedback text.
    """

    name = "metric"

    def __init__(self, field: str | None = None) -> None:
        self.field = field

    def compare(self, predicted: Any, expected: Any) -> float:
        return self.check(predicted, expected)[0]

    def check(self, predicted: Any, expected: Any) -> tuple[float, str]:
        score = float(self.compare(predicted, expected))
        return score, f"score {score:.2f}: expected {quote(expected)}, got {quote(predicted)}"

    def fields(self, example: Any, prediction: Any) -> list[str]:
        if self.field:
            return [self.field]
        labels = example.labels() if getattr(example, "input_keys", None) is not None else example
        shared = [k for k in labels.keys() if k in prediction]
        if not shared:
            raise ValueError(
                f"{self.name}: the prediction has none of the label fields {list(labels.keys())}"
            )
        return shared

    def __call__(
        self,
        example: Any,
        prediction: Any,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> ScoreWithFeedback:
        names = self.fields(example, prediction)
        scores, notes = [], []
        for name in names:
            if name not in prediction:
                score, note = 0.0, "missing from the prediction"
            else:
                score, note = self.check(prediction[name], example[name])
            scores.append(float(score))
            notes.append(f"{name}: {note}" if len(names) > 1 else note)
        return ScoreWithFeedback(sum(scores) / len(scores), "; ".join(notes))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(field={self.field!r})"


class ExactMatch(FieldMetric):
    name = "exact"

    def check(self, predicted: Any, expected: Any) -> tuple[float, str]:
        if str(predicted).strip() == str(expected).strip():
            return 1.0, f"exact match: {quote(expected)}"
        return 0.0, f"expected {quote(expected)}, got {quote(predicted)}"


class NormalizedExactMatch(FieldMetric):
    name = "normalized"

    def check(self, predicted: Any, expected: Any) -> tuple[float, str]:
        want, got = normalize_text(expected), normalize_text(predicted)
        if want == got:
            return 1.0, f"matches {quote(expected)} (ignoring case and punctuation)"
        return 0.0, f"expected {quote(want)}, got {quote(got)} (ignoring case and punctuation)"


class Contains(FieldMetric):
    """The expected text appears in the prediction (normalized)."""

    name = "contains"

    def check(self, predicted: Any, expected: Any) -> tuple[float, str]:
        if normalize_text(expected) in normalize_text(predicted):
            return 1.0, f"contains {quote(expected)}"
        return 0.0, f"{quote(expected)} not found in {quote(predicted)}"


class TokenF1(FieldMetric):
    name = "f1"

    def check(self, predicted: Any, expected: Any) -> tuple[float, str]:
        score = token_f1_score(predicted, expected)
        got = Counter(normalize_text(predicted).split())
        want = Counter(normalize_text(expected).split())
        missing, extra = list(want - got), list(got - want)
        if not missing and not extra:
            return score, f"token F1 {score:.2f}: all words match"
        parts = []
        if missing:
            parts.append("missing " + _word_list(missing))
        if extra:
            parts.append("extra " + _word_list(extra))
        return score, f"token F1 {score:.2f}: " + "; ".join(parts)


class NumericTolerance(FieldMetric):
    """|predicted - expected| <= abs_tol + rel_tol * |expected|."""

    name = "numeric"

    def __init__(
        self, field: str | None = None, abs_tol: float = 1e-6, rel_tol: float = 0.0
    ) -> None:
        super().__init__(field)
        self.abs_tol, self.rel_tol = abs_tol, rel_tol

    def check(self, predicted: Any, expected: Any) -> tuple[float, str]:
        try:
            e = _to_float(expected)
        except ValueError:
            return 0.0, f"the expected value {quote(expected)} is not a number"
        try:
            p = _to_float(predicted)
        except ValueError:
            return 0.0, f"no number in {quote(predicted)}"
        tolerance = self.abs_tol + self.rel_tol * abs(e)
        window = f"{_num(e)} ± {_num(tolerance)}" if tolerance > 1e-6 else _num(e)
        if abs(p - e) <= tolerance:
            return 1.0, f"{_num(p)} is within {window}"
        return 0.0, f"expected {window}, got {_num(p)}"


class RegexMatch(FieldMetric):
    """The prediction matches `pattern` (re.search); `{expected}` in the pattern is filled in."""

    name = "regex"

    def __init__(self, pattern: str, field: str | None = None, ignore_case: bool = True) -> None:
        super().__init__(field)
        try:
            re.compile(pattern.replace("{expected}", "x"))
        except re.error as exc:
            raise SpecError(f"invalid regex {pattern!r}: {exc}") from None
        self.pattern, self.flags = pattern, re.IGNORECASE if ignore_case else 0

    def check(self, predicted: Any, expected: Any) -> tuple[float, str]:
        pattern = self.pattern.replace("{expected}", re.escape(str(expected)))
        shown = self.pattern.replace("{expected}", str(expected))
        if re.search(pattern, str(predicted), self.flags) is not None:
            return 1.0, f"matches /{shorten(shown)}/"
        return 0.0, f"{quote(predicted)} does not match /{shorten(shown)}/"


def _word_list(words: list[str], shown: int = 5) -> str:
    listed = ", ".join(repr(w) for w in words[:shown])
    return listed + (f" (+{len(words) - shown} more)" if len(words) > shown else "")


def _num(value: float) -> str:
    return f"{value:g}"


def _to_float(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    match = re.search(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?", str(value))
    if not match:
        raise ValueError(f"no number in {value!r}")
    return float(match.group(0).replace(",", ""))


METRICS: dict[str, type[FieldMetric]] = {
    kind.name: kind
    for kind in (ExactMatch, NormalizedExactMatch, Contains, TokenF1, NumericTolerance, RegexMatch)
}


# metrics an LM scores (role "judge"); they take `lm=` besides their own parameters
LLM_METRICS: dict[str, type[Any]] = {"judge": Judge, "semantic_f1": SemanticF1}


def make_metric(kind: str, **params: Any) -> Callable[..., float]:
    """Build a metric by name: exact, normalized, contains, f1, numeric, regex, or the
    LM-judged judge (needs `criteria`) and semantic_f1."""
    known = {**METRICS, **LLM_METRICS}
    if kind not in known:
        raise SpecError(f"unknown metric {kind!r}; choose one of {sorted(known)}")
    if kind == "judge" and not str(params.get("criteria") or "").strip():
        raise SpecError(
            "metric 'judge' needs criteria: describe what a good answer looks like "
            "(params.criteria)"
        )
    try:
        return known[kind](**params)
    except TypeError as exc:
        raise SpecError(f"metric {kind!r}: bad parameters {params}: {exc}") from None
    except ValueError as exc:
        raise SpecError(f"metric {kind!r}: {exc}") from None


def _gold_answers(example: Any, metric: str) -> list[Any]:
    """The example's `answer` as a list (DSPy accepts one string or a list of them)."""
    answer = example.answer
    if isinstance(answer, str):
        return [answer]
    if isinstance(answer, (list, tuple)):
        if not answer:
            raise ValueError(f"{metric}: the example's answer list is empty")
        return list(answer)
    raise ValueError(
        f"{metric}: the example's answer must be a string or a list of strings, "
        f"not {type(answer).__name__}"
    )


def EM(prediction: Any, answers_list: list[Any]) -> bool:  # noqa: N802 (DSPy's name)
    """DSPy's `EM`: the prediction equals one of the answers after `normalize_text`."""
    if not isinstance(answers_list, list):
        raise ValueError(f"`answers_list` must be a list, got {type(answers_list)}")
    return any(normalize_text(prediction) == normalize_text(a) for a in answers_list)


def answer_exact_match(example: Any, prediction: Any, trace: Any = None, frac: float = 1.0) -> bool:
    """DSPy-compatible: `prediction.answer` matches the example's `answer` (a string, or any
    of a list of them) after normalization; with frac < 1, token F1 >= frac suffices."""
    answers = _gold_answers(example, "answer_exact_match")
    if frac >= 1.0:
        return EM(prediction.answer, answers)
    return max(token_f1_score(prediction.answer, a) for a in answers) >= frac


def answer_passage_match(example: Any, prediction: Any, trace: Any = None) -> bool:
    """DSPy-compatible: an answer (the example's, or any of its list) appears in one of the
    prediction's passages (`context`, else `passages`)."""
    passages = getattr(prediction, "context", None) or getattr(prediction, "passages", [])
    if isinstance(passages, str):
        passages = [passages]
    answers = [normalize_text(a) for a in _gold_answers(example, "answer_passage_match")]
    return any(a in normalize_text(p) for p in passages for a in answers)
