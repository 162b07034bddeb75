"""Metrics: `metric(example, prediction, trace=None) -> float | bool`.

Each metric compares one label field (or every label field the prediction also has) of the
example with the prediction. `make_metric(kind, **params)` builds one by name, for specs.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable
from typing import Any

from engine.errors import SpecError

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_text(text: Any) -> str:
    """Lowercase, drop punctuation and articles, collapse spaces."""
    text = str(text).lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


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
    """Base: compares `field` (or each shared label field, averaged) with `compare()`."""

    name = "metric"

    def __init__(self, field: str | None = None) -> None:
        self.field = field

    def compare(self, predicted: Any, expected: Any) -> float:
        raise NotImplementedError

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

    def __call__(self, example: Any, prediction: Any, trace: Any = None) -> float:
        scores = []
        for name in self.fields(example, prediction):
            if name not in prediction:
                scores.append(0.0)
                continue
            scores.append(float(self.compare(prediction[name], example[name])))
        return sum(scores) / len(scores)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(field={self.field!r})"


class ExactMatch(FieldMetric):
    name = "exact"

    def compare(self, predicted: Any, expected: Any) -> float:
        return float(str(predicted).strip() == str(expected).strip())


class NormalizedExactMatch(FieldMetric):
    name = "normalized"

    def compare(self, predicted: Any, expected: Any) -> float:
        return float(normalize_text(predicted) == normalize_text(expected))


class Contains(FieldMetric):
    """The expected text appears in the prediction (normalized)."""

    name = "contains"

    def compare(self, predicted: Any, expected: Any) -> float:
        return float(normalize_text(expected) in normalize_text(predicted))


class TokenF1(FieldMetric):
    name = "f1"

    def compare(self, predicted: Any, expected: Any) -> float:
        return token_f1_score(predicted, expected)


class NumericTolerance(FieldMetric):
    """|predicted - expected| <= abs_tol + rel_tol * |expected|."""

    name = "numeric"

    def __init__(
        self, field: str | None = None, abs_tol: float = 1e-6, rel_tol: float = 0.0
    ) -> None:
        super().__init__(field)
        self.abs_tol, self.rel_tol = abs_tol, rel_tol

    def compare(self, predicted: Any, expected: Any) -> float:
        try:
            p, e = _to_float(predicted), _to_float(expected)
        except ValueError:
            return 0.0
        return float(abs(p - e) <= self.abs_tol + self.rel_tol * abs(e))


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

    def compare(self, predicted: Any, expected: Any) -> float:
        pattern = self.pattern.replace("{expected}", re.escape(str(expected)))
        return float(re.search(pattern, str(predicted), self.flags) is not None)


def _to_float(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    match = re.search(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?", str(value))
    if not match:
        raise ValueError(f"no number in {value!r}")
    return float(match.group(0).replace(",", ""))


METRICS: dict[str, type[FieldMetric]] = {
    "exact": ExactMatch,
    "normalized": NormalizedExactMatch,
    "contains": Contains,
    "f1": TokenF1,
    "numeric": NumericTolerance,
    "regex": RegexMatch,
}


def make_metric(kind: str, **params: Any) -> Callable[..., float]:
    """Build a metric by name: exact, normalized, contains, f1, numeric, regex."""
    if kind not in METRICS:
        raise SpecError(f"unknown metric {kind!r}; choose one of {sorted(METRICS)}")
    try:
        return METRICS[kind](**params)
    except TypeError as exc:
        raise SpecError(f"metric {kind!r}: bad parameters {params}: {exc}") from None


def answer_exact_match(example: Any, prediction: Any, trace: Any = None, frac: float = 1.0) -> bool:
    """DSPy-compatible: normalized match of `answer` (F1 >= frac when frac < 1)."""
    if frac >= 1.0:
        return normalize_text(prediction.answer) == normalize_text(example.answer)
    return token_f1_score(prediction.answer, example.answer) >= frac


def answer_passage_match(example: Any, prediction: Any, trace: Any = None) -> bool:
    """DSPy-compatible: the answer appears in one of the prediction's passages/context."""
    passages = getattr(prediction, "context", None) or getattr(prediction, "passages", [])
    answer = normalize_text(example.answer)
    return any(answer in normalize_text(p) for p in passages)
