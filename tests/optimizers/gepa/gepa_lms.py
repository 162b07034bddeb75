"""Scripted LMs and metrics for GEPA's tests.

`reflective_lm(fix=...)` plays both roles:
- asked to reflect (GEPA's reflection system message), it answers `fix(user message)`, by
  default an instruction containing "carefully" (deterministic: a function of the prompt, so a
  resumed run gets the same reply);
- asked a task question (answers are the numbers in the questions), a step answers right when
  its instruction (the system message) contains "carefully"; otherwise it answers "x" for
  questions whose number is a multiple of 3.
`TwoStep` is a program of two predictors (`question -> draft`, `draft -> answer`): the first
errs on multiples of 3, the second on numbers n with n % 3 == 1, each unless its own
instruction says "carefully"; so each step has its own fix, and a merge can combine them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qa_data import exact, qa  # noqa: F401 (re-exported for the tests)

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers.gepa._reflection import SYSTEM as REFLECTION_SYSTEM

GOOD = "Read the question carefully and answer with the number it names."


def feedback_metric(gold: Any, pred: Any, trace: Any = None, pred_name=None, pred_trace=None):
    """Exact match with words: what was expected and what came back."""
    ok = gold.answer == pred.answer
    words = "correct" if ok else f"expected '{gold.answer}', got '{pred.answer}'"
    return dspy.Prediction(score=float(ok), feedback=words)


def is_reflection(messages: list[dict[str, Any]]) -> bool:
    return messages[0]["role"] == "system" and messages[0]["content"] == REFLECTION_SYSTEM


def _task_answer(messages: list[dict[str, Any]]) -> dict[str, str]:
    system, fields = messages[0]["content"], input_fields(messages[-1]["content"])
    careful = "carefully" in system
    wanted = "draft" if "starting with the field `[[ ## draft ## ]]`" in system else "answer"
    if "question" in fields:  # errs on multiples of 3
        given = fields["question"][1:]
        right = careful or int(given) % 3 != 0
    else:  # passing a draft on: errs on numbers n with n % 3 == 1
        given = fields.get("draft", "x")
        right = careful or not given.isdigit() or int(given) % 3 != 1
    return {wanted: given if right else "x"}


def reflective_lm(fix: Callable[[str], str] | None = None, name: str = "both") -> ScriptedLM:
    def answer(messages: list[dict[str, Any]]) -> Any:
        if is_reflection(messages):
            return fix(messages[-1]["content"]) if fix is not None else GOOD
        return _task_answer(messages)

    return ScriptedLM(by_input=answer, name=name)


def reflections(lm: ScriptedLM) -> list[dict[str, Any]]:
    return [h for h in lm.history if is_reflection(h["messages"])]


def task_calls(lm: ScriptedLM) -> list[dict[str, Any]]:
    return [h for h in lm.history if not is_reflection(h["messages"])]


class TwoStep(dspy.Module):
    def __init__(self) -> None:
        self.draft = dspy.Predict("question -> draft")
        self.finish = dspy.Predict("draft -> answer")

    def forward(self, question: str) -> Any:
        draft = self.draft(question=question).draft
        return self.finish(draft=draft)
