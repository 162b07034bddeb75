"""Evaluation: the evaluation loop, metrics, and (in statistics.py) significance tests."""

from engine.evaluate.evaluate import EvalRow, Evaluate, EvaluationResult, TooManyErrors
from engine.evaluate.metrics import (
    EM,
    CompleteAndGrounded,
    Contains,
    ExactMatch,
    Judge,
    NormalizedExactMatch,
    NumericTolerance,
    RegexMatch,
    SemanticF1,
    TokenF1,
    answer_exact_match,
    answer_passage_match,
    make_metric,
    normalize_text,
    token_f1_score,
)
from engine.evaluate.scoring import ScoreWithFeedback

__all__ = [
    "EM", "CompleteAndGrounded", "Contains", "EvalRow", "Evaluate", "EvaluationResult",
    "ExactMatch", "Judge",
    "NormalizedExactMatch", "NumericTolerance", "RegexMatch", "ScoreWithFeedback", "SemanticF1",
    "TokenF1", "TooManyErrors", "answer_exact_match", "answer_passage_match", "make_metric",
    "normalize_text", "token_f1_score",
]  # fmt: skip
