"""Scripted LMs for the pilot and forecast tests.

- `OddsLM(plain_right, rollout_right)`: answers "q<n>" right or wrong by setting only (the
  plain LM or a sampled rollout), so the forecast's outcome model is exact for it; a rule call
  gets a neutral rule of its own, the same for the same prompt (as from the LM cache).
- `CopyDemoLM()`: right as it is on even-numbered questions; with a demo in the prompt it answers
  the first demo's answer (as SmolLM2-135M repeats a demo's label), so demo programs lose.
- `fallback_lm()`: for a ChainOfThought, its chat replies hold the reasoning but no answer (as
  SmolLM2's often do), the JSON fallback's hold both: every program run pays two calls. With
  `read=False` no reply is ever read: the adapter stops asking a prompt family for fallbacks
  after its first few failed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from simba_lms import SimbaLM, is_rule_call

from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields, render_fields


class OddsLM(SimbaLM):
    """Right on every example as it is (`plain_right`), and in every rollout (`rollout_right`)."""

    def __init__(self, plain_right: bool, rollout_right: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plain_right, self.rollout_right = plain_right, rollout_right

    def _answer(self, messages: list[dict[str, Any]]) -> str:
        self._cursor.take()
        if is_rule_call(messages):  # one rule per prompt, as a cached LM answers
            key = hashlib.sha256(messages[-1]["content"].encode()).hexdigest()[:10]
            return f"If the question is about item {key}, then reply with its number."
        number = int(input_fields(messages[-1]["content"])["question"][1:])
        sampled = isinstance(self.rollout_id, int) and self.rollout_id > 0
        ok = self.rollout_right if sampled else self.plain_right
        return render_fields({"answer": str(number) if ok else "x"})


class CopyDemoLM(SimbaLM):
    """Right on even-numbered questions as it is; with demos, the first demo's answer."""

    def _answer(self, messages: list[dict[str, Any]]) -> str:
        self._cursor.take()
        demo = next((m["content"] for m in messages if m.get("role") == "assistant"), None)
        if demo is not None:
            return demo  # the demo's own reply, answer and all
        number = int(input_fields(messages[-1]["content"])["question"][1:])
        return render_fields({"answer": str(number) if number % 2 == 0 else "x"})


def _fallback_answer(messages: list[dict[str, Any]]) -> str:
    last = messages[-1]["content"]
    if "could not be read" in last:
        question = next(
            input_fields(m["content"])["question"] for m in messages if m["role"] == "user"
        )
        return json.dumps({"reasoning": "it is the number", "answer": question[1:]})
    return render_fields({"reasoning": "the answer is somewhere in my head"})  # no answer


def fallback_lm(read: bool = True) -> ScriptedLM:
    """Chat replies without the answer; the JSON fallback's are read (`read`) or not."""
    if read:
        return ScriptedLM(by_input=_fallback_answer, name="fallback")
    return ScriptedLM(by_input=lambda messages: "no idea, sorry", name="unreadable")
