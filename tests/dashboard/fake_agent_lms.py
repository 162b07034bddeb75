"""A scripted agent for the dashboard tests (hook: TUNESMITH_TEST_LM=fake_agent_lms:agent).

ReAct's step predictor looks up the product named in the question ("... the Heron ..."), then
finishes; the extract step answers with the price it finds in the observation.
"""

from __future__ import annotations

import re
from typing import Any

from engine.lm.scripted import ScriptedLM


def agent(spec: Any) -> ScriptedLM:
    def answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
        prompt = messages[-1]["content"]
        if "next_tool_name" in messages[0]["content"]:
            if "observation_0" in prompt:
                return {"next_thought": "I have it.", "next_tool_name": "finish",
                        "next_tool_args": {}}  # fmt: skip
            found = re.search(r"the (\w+)", prompt)
            product = found.group(1) if found else "Heron"
            return {"next_thought": "Look the product up.", "next_tool_name": "lookup",
                    "next_tool_args": {"value": product}}  # fmt: skip
        price = re.search(r"price_euros: (\d+)", prompt)
        return {"reasoning": "The table says so.", "answer": price.group(1) if price else "?"}

    return ScriptedLM(by_input=answer, name="agent")
