"""Evaluation: the evaluation loop, metrics, and (in statistics.py) significance tests."""

from engine.evaluate.evaluate import EvalRow, Evaluate, EvaluationResult, TooManyErrors
from engine.evaluate.metrics import (
    Contains,
    ExactMatch,
    NormalizedExactMatch,
    NumericTolerance,
    RegexMatch,
    TokenF1,
    answer_exact_match,
    answer_passage_match,
    make_metric,
    normalize_text,
    token_f1_score,
)

__all__ = [
    "Contains", "EvalRow", "Evaluate", "EvaluationResult", "ExactMatch", "NormalizedExactMatch",
    "NumericTolerance", "RegexMatch", "TokenF1", "TooManyErrors", "answer_exact_match",
    "answer_passage_match", "make_metric", "normalize_text", "token_f1_score",
]  # fmt: skip
