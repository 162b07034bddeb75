"""Scripted LMs for the instruction optimizers' tests.

`instruction_sensitive(proposals)`: one LM that plays both roles.
- Asked by the proposer (its system message), it answers the next scripted proposal
  (cycling), so tests control what is proposed (junk included).
- Asked a task question (`question -> answer`, answers are the numbers in the questions), it
  answers right when the instruction in the system message contains "carefully"; otherwise
  it answers "x" for every third question.
So a good proposal (one containing "carefully") visibly beats the original instruction.
"""

from __future__ import annotations

from typing import Any

from qa_data import exact, qa  # noqa: F401 (re-exported for the tests)

from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers.proposing._proposer import SYSTEM


def is_proposer_call(messages: list[dict[str, Any]]) -> bool:
    return messages[0]["role"] == "system" and messages[0]["content"] == SYSTEM


def instruction_sensitive(proposals: list[str], name: str = "both") -> ScriptedLM:
    state = {"next": 0}

    def answer(messages: list[dict[str, Any]]) -> Any:
        if is_proposer_call(messages):
            user = messages[-1]["content"]
            if user.startswith("Here are") or "Combine these notes" in user:
                return "Questions named q<number>; the answer is the number."
            text = proposals[state["next"] % len(proposals)]
            state["next"] += 1
            return text
        system = messages[0]["content"]
        number = input_fields(messages[-1]["content"])["question"][1:]
        right = "carefully" in system or int(number) % 3
        return {"answer": number if right else "x"}

    return ScriptedLM(by_input=answer, name=name)


def proposer_calls(lm: ScriptedLM) -> list[dict[str, Any]]:
    return [h for h in lm.history if is_proposer_call(h["messages"])]
