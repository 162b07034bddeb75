"""A scripted LM for the optimizer compat tests: one LM that plays every role.

Task calls (`question -> answer`, the answer is the number in "q<number>") answer right when
the instruction (system message) contains "carefully", else "x" for multiples of 3. Proposer
calls (MIPRO's) and reflection calls (GEPA's) answer an instruction containing "carefully".
"""

from __future__ import annotations

from typing import Any

import engine
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers.gepa._reflection import SYSTEM as REFLECTION_SYSTEM
from engine.optimizers.proposing._proposer import SYSTEM as PROPOSER_SYSTEM

GOOD = "Read the question carefully and answer with the number it names."


def exact(example: Any, pred: Any, trace: Any = None) -> bool:
    return example.answer == pred.answer


def qa(n: int, start: int = 0) -> list[engine.Example]:
    return [
        engine.Example(question=f"q{i}", answer=str(i)).with_inputs("question")
        for i in range(start, start + n)
    ]


def careful_lm() -> ScriptedLM:
    def answer(messages: list[dict[str, Any]]) -> Any:
        system = messages[0]["content"] if messages[0]["role"] == "system" else ""
        if system in (PROPOSER_SYSTEM, REFLECTION_SYSTEM):
            if (
                messages[-1]["content"].startswith("Here are")
                or "Combine" in messages[-1]["content"]
            ):
                return "Questions named q<number>; the answer is the number."
            return GOOD
        number = input_fields(messages[-1]["content"]).get("question", "q0")[1:]
        right = "carefully" in system or int(number) % 3
        return {"answer": number if right else "x"}

    return ScriptedLM(by_input=answer, name="compat")
