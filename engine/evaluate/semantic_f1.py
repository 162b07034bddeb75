"""`SemanticF1`: an LM judges how much of the ground truth's meaning a response covers (recall)
and how much of the response the ground truth supports (precision); the score is their F1.

`decompositional=True` first asks the judge to list the key ideas of both texts, then to judge
recall and precision from those lists (two calls instead of one). Calls run under the role
"judge", like `Judge`'s. With a `trace` (while bootstrapping demos) the score is 1 when the F1
reaches `threshold` (True), else False, so only good runs become demos.

The result is DSPy's `Prediction(score=...)`, with `feedback`, that also reads as its score
(`engine.evaluate.score_prediction`): `SemanticF1()(example, pred) >= 0.5` works.
"""

from __future__ import annotations

from typing import Any

from engine.evaluate.judge import (
    ask_judge,
    outputs_of,
    render_fields,
    resolve_judge_lm,
    split_example,
)
from engine.evaluate.judge_parse import clean_reply, read_fraction, read_rationale, unreadable
from engine.evaluate.score_prediction import ScorePrediction
from engine.evaluate.texts import shorten

IDEAS_MAX_TOKENS = 160
SCORE_MAX_TOKENS = 96
IDEAS_CHARS = 800

_DEFINITIONS = (
    "Recall: the fraction (0 to 1) of the ground truth's key ideas that the response covers.\n"
    "Precision: the fraction (0 to 1) of the response's key ideas that the ground truth "
    "supports."
)
_ASK_SCORES = (
    "Reply with exactly three lines:\nRecall: <a number from 0 to 1>\n"
    "Precision: <a number from 0 to 1>\nReason: <one short sentence>"
)


def f1(recall: float, precision: float) -> float:
    return 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)


class SemanticF1:
    """`SemanticF1(threshold=0.66, decompositional=False)(example, prediction)`.

    Compares the prediction's `field` with the example's (default: `response` when the example
    has it, else its first label) given the example's inputs (e.g. `question`).
    """

    def __init__(
        self,
        threshold: float = 0.66,
        decompositional: bool = False,
        lm: Any = None,
        field: str | None = None,
    ) -> None:
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.threshold = float(threshold)
        self.decompositional = bool(decompositional)
        self.lm = lm
        self.field = field

    @property
    def lm_calls_per_score(self) -> int:
        return 2 if self.decompositional else 1

    def texts(self, gold: Any, pred: Any) -> tuple[dict[str, Any], str, str]:
        """(inputs, ground truth, response) for one example and prediction."""
        inputs, labels = split_example(gold, pred)
        outputs = outputs_of(pred)
        name = self.field or ("response" if "response" in labels else None)
        if name is None:
            shared = [k for k in labels if k in outputs]
            name = shared[0] if shared else next(iter(labels), None)
        if name is None:
            raise ValueError("SemanticF1: the example has no label to compare the response with")
        return inputs, str(labels.get(name, "")), str(outputs.get(name, ""))

    def _context(self, inputs: dict[str, Any], truth: str, response: str) -> str:
        parts = ["Input:\n" + render_fields(inputs)] if inputs else []
        parts += [f"Ground truth:\n{truth}", f"Response:\n{response}"]
        return "\n\n".join(parts)

    def _prompt(self, context: str, ideas: str | None) -> str:
        parts = [context]
        if ideas is not None:
            parts.append(f"Key ideas, as listed earlier:\n{shorten(ideas, IDEAS_CHARS)}")
        parts += [_DEFINITIONS, _ASK_SCORES]
        return "\n\n".join(parts)

    def __call__(
        self,
        gold: Any,
        pred: Any,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> ScorePrediction:
        lm = resolve_judge_lm(self.lm)
        context = self._context(*self.texts(gold, pred))
        ideas = None
        if self.decompositional:
            ideas = clean_reply(
                ask_judge(
                    lm,
                    context + "\n\nList the key ideas of the ground truth, then the key ideas of "
                    "the response, one short line each:\nGround truth key ideas:\n- ...\n"
                    "Response key ideas:\n- ...",
                    IDEAS_MAX_TOKENS,
                    start="Ground truth key ideas:",
                )
            )
        reply = ask_judge(lm, self._prompt(context, ideas), SCORE_MAX_TOKENS, start="Recall:")
        recall, precision = read_fraction(reply, "recall"), read_fraction(reply, "precision")
        if recall is None or precision is None:
            return ScorePrediction(False if trace is not None else 0.0, unreadable(reply))
        score = f1(recall, precision)
        reason = read_rationale(reply, fallback=False)
        feedback = f"semantic F1 {score:.2f} (recall {recall:.2f}, precision {precision:.2f})"
        if reason:
            feedback += f": {reason}"
        if trace is not None:
            return ScorePrediction(score >= self.threshold, feedback)
        return ScorePrediction(score, feedback)

    def __repr__(self) -> str:
        return f"SemanticF1(threshold={self.threshold}, decompositional={self.decompositional})"
