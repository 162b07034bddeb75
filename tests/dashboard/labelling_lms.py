"""Scripted LMs for the inputs-only tests (hook: TUNESMITH_TEST_LM=labelling_lms:unsure).

`unsure(spec)`: answers a choice by a keyword of the row ("bill"/"charg" -> billing,
"parcel"/"ship" -> shipping, else technical; by position when the labels are named otherwise)
and reports choice scores as the embedded model does, surest on short rows, so the least sure
rows are the longest ones.
"""

from __future__ import annotations

import math
from typing import Any

from engine.lm.scripted import ScriptedLM, input_fields


def pick(text: str, choices: list[str]) -> str:
    """A keyword's label when the choices have it by name, else the first, second or last."""
    low = text.lower()
    if "bill" in low or "charg" in low:
        return next((c for c in choices if "bill" in c), choices[0])
    if "parcel" in low or "ship" in low:
        return next((c for c in choices if "ship" in c), choices[1])
    return next((c for c in choices if "tech" in c), choices[-1])


class _Unsure(ScriptedLM):
    def __init__(self, spec: Any) -> None:
        super().__init__(answers=["unused"], name="unsure")
        self.field = spec.pipeline[-1].outputs[0]
        self.source = spec.input_fields[0]

    @property
    def supports_stop(self) -> bool:
        return True

    def _complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        header = f"[[ ## {self.field.name} ## ]]"
        text = input_fields(messages[-1]["content"]).get(self.source, "").strip()
        choices = [str(c) for c in self.field.choices]
        chosen = pick(text, choices)
        sure = max(0.34, 0.99 - len(text) / 200)
        rest = (1 - sure) / max(1, len(choices) - 1)
        scores = {c: math.log(sure if c == chosen else rest) for c in choices}
        usage = {"prompt_tokens": 20, "completion_tokens": 3, "cost": 0.0,
                 "choice_scores": [{header: scores}]}  # fmt: skip
        return [f"{header}\n{chosen}\n\n[[ ## completed ## ]]"], usage


def unsure(spec: Any) -> ScriptedLM:
    return _Unsure(spec)


class _Fussy(_Unsure):
    """`_Unsure`, but a row that mentions an error gets a reply with no answer (a failed row)."""

    def _complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        text = input_fields(messages[-1]["content"]).get(self.source, "")
        if "error" in text.lower():
            return ["I would rather not say."], {"prompt_tokens": 20, "completion_tokens": 5}
        return super()._complete(messages, params)


def fussy(spec: Any) -> ScriptedLM:
    return _Fussy(spec)


def summariser(spec: Any) -> ScriptedLM:
    """An open answer: the row's first three words; as a judge, 4 of 5 for a reply that shows
    no expected answer, 2 when it does and the response differs."""
    from engine.evaluate.judge import SYSTEM as JUDGE_SYSTEM

    name, source = spec.pipeline[-1].outputs[0].name, spec.input_fields[0]

    def answer(messages: list[dict[str, Any]]) -> dict[str, str] | str:
        if messages[0]["content"] == JUDGE_SYSTEM:
            asked = messages[-1]["content"]
            return "Score: 2\nReason: not as expected." if "Expected answer:" in asked else (
                "Score: 4\nReason: a fair summary.")
        text = input_fields(messages[-1]["content"]).get(source, "")
        return {name: " ".join(text.split()[:3])}

    return ScriptedLM(by_input=answer, name="summariser")
