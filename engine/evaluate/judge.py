"""`Judge`: a metric that asks an LM to grade a prediction against written criteria.

The judge's calls run under the LM role "judge", so the usage ledger counts them apart from the
task's, the run's Budget checks each one before it is made, and the LM cache answers a repeat
(temperature 0 and a fixed rollout id make the request the same every time). The reply is read
tolerantly (judge_parse.py); a reply with no score in it scores 0 with feedback saying so, never
an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core import REPLY_START, settings
from engine.evaluate.judge_parse import (
    Scale,
    parse_scale,
    read_rationale,
    read_score_and_word,
    unreadable,
)
from engine.evaluate.scoring import ScoreWithFeedback
from engine.evaluate.texts import shorten
from engine.modules.predict import resolve_lm

JUDGE_ROLE = "judge"
JUDGE_ROLLOUT = "judge"
JUDGE_MAX_TOKENS = 64  # a score and one sentence
FIELD_CHARS = 600  # longest field value shown to the judge

SYSTEM = (
    "You are a careful, strict grader. You read a task's input, the expected answer when there "
    "is one, and a response, and you grade the response against the criteria you are given."
)


def resolve_judge_lm(lm: Any = None) -> Any:
    """The LM that judges: explicit, else `settings.judge_lm`, else the task LM."""
    if lm is not None:
        return lm
    if settings.judge_lm is not None:
        return settings.judge_lm
    return resolve_lm(None)


def ask_judge(
    lm: Any, user: str, max_tokens: int = JUDGE_MAX_TOKENS, start: str | None = None
) -> str:
    """One judge call (role "judge", temperature 0, fixed rollout); the reply's text.

    `start` (e.g. "Score:") is the text the reply must begin with, on models that take it (the
    embedded one): a small model then writes a score where it would otherwise ramble."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
    extra: dict[str, Any] = {}
    if start and getattr(lm, "supports_stop", False):
        extra[REPLY_START] = start
    with settings.context(lm_role=JUDGE_ROLE):
        texts = lm(
            messages=messages,
            temperature=0.0,
            max_tokens=max_tokens,
            rollout_id=JUDGE_ROLLOUT,
            **extra,
        )
    return texts[0] if texts else ""


def split_example(gold: Any, pred: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inputs, labels) of an example; without declared inputs, the keys the prediction also
    has are the labels."""
    items = dict(gold.items()) if hasattr(gold, "items") else {}
    if getattr(gold, "input_keys", None):
        return dict(gold.inputs().items()), dict(gold.labels().items())
    outputs = outputs_of(pred)
    labels = {k: v for k, v in items.items() if k in outputs}
    return {k: v for k, v in items.items() if k not in labels}, labels


def outputs_of(pred: Any) -> dict[str, Any]:
    """A prediction's fields as a dict (a bare value becomes {"output": value})."""
    if isinstance(pred, Mapping) or hasattr(pred, "items"):
        return dict(pred.items())
    return {"output": pred}


def render_fields(values: Mapping[str, Any]) -> str:
    return "\n".join(f"{name}: {shorten(value, FIELD_CHARS)}" for name, value in values.items())


class Judge:
    """Grades a prediction with an LM against `criteria` on `scale` ((1, 5), "1-5", "pass/fail").

    `Judge(criteria="The answer names the right team and is polite.", scale=(1, 5))` is a
    metric: `judge(example, prediction)` returns a `ScoreWithFeedback` from 0 to 1 whose
    feedback is the judge's reason. The expected labels are shown to the judge when the
    example has them; `field` limits what is graded to one output. `lm=None` judges with
    `settings.judge_lm`, else the task LM.
    """

    lm_calls_per_score = 1

    def __init__(
        self,
        criteria: str,
        scale: Any = (1, 5),
        lm: Any = None,
        field: str | None = None,
        max_tokens: int = JUDGE_MAX_TOKENS,
    ) -> None:
        if not isinstance(criteria, str) or not criteria.strip():
            raise ValueError(
                "criteria: describe what a good answer looks like, e.g. 'names the right "
                "team and is polite' (it is empty)"
            )
        self.criteria = criteria.strip()
        self.scale: Scale = parse_scale(scale)
        self.lm = lm
        self.field = field
        self.max_tokens = max_tokens

    def prompt(self, gold: Any, pred: Any) -> str:
        """The judge's user message for one example and prediction."""
        inputs, labels = split_example(gold, pred)
        outputs = outputs_of(pred)
        if self.field:
            outputs = {self.field: outputs.get(self.field, "")}
            labels = {k: v for k, v in labels.items() if k == self.field}
        else:
            shown = {k: v for k, v in outputs.items() if k in labels}
            outputs = shown or outputs
        parts = [f"Criteria: {self.criteria}"]
        if inputs:
            parts.append("Input:\n" + render_fields(inputs))
        if labels:
            parts.append("Expected answer:\n" + render_fields(labels))
        parts.append("Response to grade:\n" + render_fields(outputs))
        parts.append(
            "Grade the response against the criteria. Reply with exactly two lines:\n"
            f"{self.scale.ask()}\nReason: <one short sentence>"
        )
        return "\n\n".join(parts)

    def __call__(
        self,
        gold: Any,
        pred: Any,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> ScoreWithFeedback:
        reply = ask_judge(
            resolve_judge_lm(self.lm),
            self.prompt(gold, pred),
            self.max_tokens,
            start=self.scale.ask().split("<", 1)[0].rstrip(),
        )
        reading = read_score_and_word(reply, self.scale)
        if reading is None:
            return ScoreWithFeedback(0.0, unreadable(reply))
        raw, word = reading
        label = self.scale.label(raw) + (f" (read from {word!r})" if word else "")
        reason = read_rationale(reply) or "the judge gave no reason"
        return ScoreWithFeedback(self.scale.normalise(raw), f"{label}: {reason}")

    def __repr__(self) -> str:
        return f"Judge(criteria={self.criteria!r}, scale={self.scale.to_spec()!r})"
