"""ReAct on the embedded model (SmolLM2-135M) with a tool from a real MCP server
(tests/engine/mcp_test_server.py over stdio). As in test_react_pot_real_lm.py, the program
carries two demos per predictor, as a tuned program would; what must hold is that the server's
tool was really called (its call log) and the run finished with an answer, not that a 135M
model answers right (printed, not asserted). At most 2 short LM calls."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.mcp import McpServer
from engine.lm import UsageLedger

pytestmark = [*REAL_LM, pytest.mark.timeout(240)]
SERVER = Path(__file__).resolve().parents[1] / "mcp_test_server.py"


def test_react_on_the_embedded_model_calls_the_mcp_tool(tmp_path):
    log = tmp_path / "calls.log"
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=48)
    with McpServer([sys.executable, str(SERVER), "--log", str(log)]) as server:
        agent = dspy.ReAct("question -> answer", tools=server.tools(["define"]), max_iters=1)
        agent.react.demos = [
            dspy.Example(question=f"What does {w} mean?", trajectory="",
                         next_thought=f"Look up {w}.", next_tool_name="define",
                         next_tool_args={"word": w})
            for w in ("fell", "tarn")
        ]  # fmt: skip
        looked_up = (
            "[[ ## thought_0 ## ]]\nLook up tarn.\n\n[[ ## tool_name_0 ## ]]\ndefine\n\n"
            '[[ ## tool_args_0 ## ]]\n{"word": "tarn"}\n\n[[ ## observation_0 ## ]]\n'
            "a small mountain lake"
        )
        agent.extract.predict.demos = [
            dspy.Example(question="What does tarn mean?", trajectory=looked_up,
                         reasoning="The dictionary says a small mountain lake.",
                         answer="a small mountain lake")
        ]  # fmt: skip
        ledger, start = UsageLedger(), time.perf_counter()
        with dspy.context(lm=lm, usage_trackers=(ledger,)):
            pred = agent(question="What does scree mean?")
    seconds = time.perf_counter() - start
    print(f"\nReAct + MCP: answer {pred.answer!r}, {ledger.totals().calls} calls, "
          f"{seconds:.1f} s\ntrajectory: {pred.trajectory}")  # fmt: skip
    calls = log.read_text().splitlines() if log.exists() else []
    assert pred.trajectory["tool_name_0"] == "define"
    assert len(calls) == 1 and calls[0].startswith("define ")
    assert str(pred.trajectory["observation_0"]).strip()  # the server's reply, as text
    assert isinstance(pred.answer, str) and pred.answer
    assert ledger.totals().calls == 2  # one step, then the answer; the tool call is no LM call
