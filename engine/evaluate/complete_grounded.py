"""`CompleteAndGrounded`: how much of the ground truth a response covers (completeness) and how
much of the response the retrieved context supports (groundedness); the score is their F1.

DSPy's shape: the example has `question` and `response`, the prediction `response` and
`context`. Two judge calls (role "judge"); with a `trace` the score is `F1 >= threshold`.
Returns a `ScorePrediction`: DSPy's `Prediction(score=...)` that also reads as its score.
"""

from __future__ import annotations

from typing import Any

from engine.evaluate.judge import ask_judge, resolve_judge_lm
from engine.evaluate.judge_parse import read_fraction, read_rationale, unreadable
from engine.evaluate.score_prediction import ScorePrediction
from engine.evaluate.semantic_f1 import f1
from engine.evaluate.texts import shorten

SCORE_MAX_TOKENS = 96
CONTEXT_CHARS = 2000

_ASK = "Reply with exactly two lines:\n{name}: <a number from 0 to 1>\nReason: <one short sentence>"


def _field(record: Any, name: str, what: str) -> Any:
    try:
        return record[name]
    except (KeyError, TypeError):
        value = getattr(record, name, None)
        if value is None:
            raise ValueError(f"CompleteAndGrounded needs {what} to have `{name}`") from None
        return value


def _context_text(context: Any) -> str:
    if isinstance(context, (list, tuple)):
        return "\n".join(f"[{i + 1}] {c}" for i, c in enumerate(context))
    return str(context)


class CompleteAndGrounded:
    """`CompleteAndGrounded(threshold=0.66)(example, pred)`; `lm=` picks the judge LM."""

    def __init__(self, threshold: float = 0.66, lm: Any = None) -> None:
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.threshold = float(threshold)
        self.lm = lm

    lm_calls_per_score = 2

    def _ask(self, lm: Any, body: str, name: str) -> tuple[float | None, str]:
        reply = ask_judge(lm, body + "\n\n" + _ASK.format(name=name), SCORE_MAX_TOKENS,
                          start=f"{name}:")  # fmt: skip
        return read_fraction(reply, name.lower()), reply

    def __call__(
        self,
        example: Any,
        pred: Any,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> ScorePrediction:
        question = _field(example, "question", "the example")
        truth = _field(example, "response", "the example")
        response = _field(pred, "response", "the prediction")
        context = _field(pred, "context", "the prediction")
        lm = resolve_judge_lm(self.lm)
        completeness, reply_c = self._ask(
            lm,
            f"Question:\n{question}\n\nGround truth:\n{truth}\n\nResponse:\n{response}\n\n"
            "Completeness: the fraction (0 to 1) of the ground truth's key ideas that the "
            "response covers.",
            "Completeness",
        )
        groundedness, reply_g = self._ask(
            lm,
            f"Question:\n{question}\n\nRetrieved context:\n"
            f"{shorten(_context_text(context), CONTEXT_CHARS)}\n\nResponse:\n{response}\n\n"
            "Groundedness: the fraction (0 to 1) of the response's claims that the retrieved "
            "context (with basic commonsense) supports.",
            "Groundedness",
        )
        if completeness is None or groundedness is None:
            bad = reply_c if completeness is None else reply_g
            return ScorePrediction(False if trace is not None else 0.0, unreadable(bad))
        score = f1(groundedness, completeness)
        feedback = f"completeness {completeness:.2f}, groundedness {groundedness:.2f}"
        reasons = [r for r in (read_rationale(reply_c, False), read_rationale(reply_g, False)) if r]
        if reasons:
            feedback += ": " + " ".join(reasons)
        if trace is not None:
            return ScorePrediction(score >= self.threshold, feedback)
        return ScorePrediction(score, feedback)

    def __repr__(self) -> str:
        return f"CompleteAndGrounded(threshold={self.threshold})"
