"""A scripted agent that calls the MCP test server's `define` tool (hook:
TUNESMITH_TEST_LM=fake_mcp_lms:agent): it looks up the word after "the" in the question, then
finishes; the extract step answers with the observation it finds."""

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
            return {"next_thought": "Look the word up.", "next_tool_name": "define",
                    "next_tool_args": {"word": found.group(1) if found else "tarn"}}  # fmt: skip
        seen = re.search(r"observation_0 ## \]\]\n(.*)", prompt)
        return {"reasoning": "The tool said so.", "answer": seen.group(1) if seen else "?"}

    return ScriptedLM(by_input=answer, name="mcp-agent")
