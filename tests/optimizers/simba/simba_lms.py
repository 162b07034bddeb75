"""A scripted LM for SIMBA's tests: its answers depend on the rollout, so variants differ.

Task calls (`question -> answer`, the answer is the number in the question, "q<n>"):
- wrong when the system message holds a rule saying "never"; right when one says "carefully";
- else, with demos in the prompt, right when (n + rollout) % 4 != 0;
- else right when (n + rollout) % 3 != 0 (rollout 0 when the LM has no rollout id).
Rule calls (SIMBA's rule system message): the next scripted rule, cycling.
"""

from __future__ import annotations

from typing import Any

from qa_data import exact, qa  # noqa: F401 (re-exported for the tests)

from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields, render_fields
from engine.optimizers.simba._strategies import SYSTEM as RULE_SYSTEM

GOOD_RULE = "If the question names a number, then answer carefully with that number."


def is_rule_call(messages: list[dict[str, Any]]) -> bool:
    return messages[0]["role"] == "system" and messages[0]["content"] == RULE_SYSTEM


def right(number: int, system: str, demos: bool, rollout: int) -> bool:
    if "never" in system:
        return False
    if "carefully" in system:
        return True
    if demos:
        return (number + rollout) % 4 != 0
    return (number + rollout) % 3 != 0


class SimbaLM(ScriptedLM):
    """See the module docstring; `rules` are the rule replies (cycling; junk allowed)."""

    def __init__(self, rules: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(by_input=lambda messages: "", name="simba", **kwargs)
        self.rules = list(rules if rules is not None else [GOOD_RULE])
        self.rule_turn = {"next": 0}  # shared with copies (a dict is copied by reference)

    def _answer(self, messages: list[dict[str, Any]]) -> str:
        self._cursor.take()
        if is_rule_call(messages):
            text = self.rules[self.rule_turn["next"] % len(self.rules)]
            self.rule_turn["next"] += 1
            return text
        number = int(input_fields(messages[-1]["content"])["question"][1:])
        demos = any(m.get("role") == "assistant" for m in messages)
        rollout = self.rollout_id if isinstance(self.rollout_id, int) else 0
        ok = right(number, messages[0]["content"], demos, rollout)
        return render_fields({"answer": str(number) if ok else "x"})


def rule_calls(lm: ScriptedLM) -> list[dict[str, Any]]:
    return [h for h in lm.history if is_rule_call(h["messages"])]
