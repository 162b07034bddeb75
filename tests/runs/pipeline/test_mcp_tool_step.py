"""A spec's ReAct step with tools from an MCP server (`tools: [{name: mcp, command, pick}]`):
the spec checks, the saved spec (the command and the picks, nothing else), the program built
with the real test server (tests/engine/mcp_test_server.py), what goes wrong at build time
(a command that does not start, a picked tool the server no longer has), and a whole run
through the worker with a scripted LM, the worker starting the server itself."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

import engine as dspy
from engine.adapters.mcp import _server
from engine.core._errors import SpecError
from engine.lm import ScriptedLM
from engine.runs import create_run, generate_python
from engine.runs.pipeline._program import build_program
from engine.runs.process.worker import run_worker
from engine.runs.spec._spec import spec_from_dict
from engine.runs.store._store import RunStore

pytestmark = pytest.mark.timeout(180)
SERVER = Path(__file__).resolve().parents[2] / "engine" / "mcp_test_server.py"
WORDS = {"tarn": "a small mountain lake", "scree": "loose stones covering a slope",
         "fell": "a high barren hill in northern England"}  # fmt: skip


@pytest.fixture(autouse=True)
def _stop_shared_servers():
    """The servers a built program started in this process are stopped after each test (a
    worker's end stops them; the test process lives on)."""
    yield
    for server in list(_server._SHARED.values()):
        server.close()


def command(log: Path | None = None, mode: str = "") -> str:
    return " ".join([sys.executable, str(SERVER), mode, *(["--log", str(log)] if log else [])])


def agent_spec(tool: dict) -> dict:
    return {
        "name": "Word agent",
        "pipeline": [{
            "name": "agent", "module": "ReAct", "max_iters": 2, "tools": [tool],
            "fields": [{"name": "question", "role": "input", "type": "str"},
                       {"name": "answer", "role": "output", "type": "str"}],
        }],
        "data": {"csv": "words.csv", "columns": {"question": "question", "answer": "answer"},
                 "train_size": 6, "val_size": 4, "test_size": 6, "seed": 0},
        "metric": {"kind": "contains", "field": "answer"},
        "models": {"task": {"model": "local/smollm2-135m"}},
        "optimizer": {"name": "LabeledFewShot", "params": {"k": 1}},
    }  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    with open(tmp_path / "words.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["question", "answer"])
        for i in range(6):
            for word, meaning in WORDS.items():
                writer.writerow([f"What does {word} mean? ({i})", meaning])
    return tmp_path


def react_by_input(messages: list[dict]) -> dict:
    """A scripted agent: look the question's word up, then finish, then answer from it."""
    system, user = messages[0]["content"], messages[-1]["content"]
    if "next_tool_name" not in system:  # the extract step
        meaning = next((m for m in WORDS.values() if m in user), "unknown")
        return {"reasoning": "From the trajectory.", "answer": meaning}
    if "observation_0" in user:
        return {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}}
    question = user.split("[[ ## question ## ]]")[-1]
    word = next((w for w in WORDS if w in question), "tarn")
    return {"next_thought": "Look it up.", "next_tool_name": "define",
            "next_tool_args": {"word": word}}  # fmt: skip


# the spec ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tool", "message"),
    [
        ({"name": "mcp", "pick": ["add"]}, "tool mcp needs the command that starts its server"),
        ({"name": "mcp", "command": "python s.py"}, "pick at least one of the server's tools"),
        ({"name": "mcp", "command": "python s.py", "pick": ["a", "a"]}, "picked twice"),
        ({"name": "mcp", "command": "TOKEN=x python s.py", "pick": ["a"]}, "setting a variable"),
        ({"name": "mcp", "command": "python 'open", "pick": ["a"]}, "check its quotes"),
        ({"name": "calculator", "command": "python s.py"}, "only used by mcp"),
        ({"name": "mcp", "command": "srv --key sk-abcdef0123456789abcdef", "pick": ["a"]},
         "looks like it holds an API key"),
    ],
)
def test_an_mcp_tool_entry_is_checked(tool: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        spec_from_dict(agent_spec(tool))
    assert "sk-abcdef" not in str(caught.value)


def test_the_saved_spec_keeps_the_command_and_the_picks_only(project: Path) -> None:
    tool = {"name": "mcp", "command": command(), "pick": ["define"]}
    saved = spec_from_dict(agent_spec(tool), base_dir=project).to_dict()
    assert saved["pipeline"][0]["tools"] == [tool]


# the program -------------------------------------------------------------------------------
def test_the_built_program_calls_the_servers_tool(project: Path) -> None:
    log = project / "calls.log"
    tool = {"name": "mcp", "command": command(log), "pick": ["define"]}
    program = build_program(spec_from_dict(agent_spec(tool), base_dir=project))
    with dspy.context(lm=ScriptedLM(by_input=react_by_input)):
        prediction = program(question="What does scree mean?")
    assert log.read_text().splitlines() == ["define scree"]
    assert prediction.trajectory["observation_0"] == "loose stones covering a slope"
    assert prediction.answer == "loose stones covering a slope"
    agents = [m for _, m in program.named_sub_modules() if isinstance(m, dspy.ReAct)]
    assert [list(a.tools) for a in agents] == [["define", "finish"]]  # the pick only


def test_a_picked_tool_the_server_no_longer_has_stops_the_build(project: Path) -> None:
    tool = {"name": "mcp", "command": command(), "pick": ["define", "translate"]}
    with pytest.raises(SpecError) as caught:
        build_program(spec_from_dict(agent_spec(tool), base_dir=project))
    assert str(caught.value).startswith("pipeline.0.tools.0: the MCP server")
    assert "has no tool named translate; its tools: add, define" in str(caught.value)


def test_a_server_that_does_not_start_stops_the_build(project: Path) -> None:
    tool = {"name": "mcp", "command": command(mode="exit"), "pick": ["define"]}
    with pytest.raises(SpecError, match="stopped; its last words: test server: no config"):
        build_program(spec_from_dict(agent_spec(tool), base_dir=project))
    tool["command"] = "no-such-mcp-server --stdio"
    with pytest.raises(SpecError, match="'no-such-mcp-server' was not found"):
        build_program(spec_from_dict(agent_spec(tool), base_dir=project))


# a run -------------------------------------------------------------------------------------
def test_a_run_through_the_worker_starts_the_server_and_calls_its_tool(
    project: Path, tmp_path: Path
) -> None:
    log = project / "calls.log"
    tool = {"name": "mcp", "command": command(log), "pick": ["define", "add"]}
    db_path = tmp_path / "runs.db"
    run_id = create_run(spec_from_dict(agent_spec(tool), base_dir=project), db_path)
    lm = ScriptedLM(by_input=react_by_input)
    assert run_worker(run_id, db_path, lm_factory=lambda spec: lm) == "finished"
    with RunStore(db_path) as store:
        run, results = store.get_run(run_id), store.example_results(run_id)
    looked_up = [line for line in log.read_text().splitlines() if line.startswith("define ")]
    assert len(looked_up) >= 10  # the validation and test rows (4 + 6), each one call
    assert results and all(r["score"] == 1.0 for r in results)
    assert run["status"] == "finished"


def test_a_run_whose_server_lost_a_picked_tool_fails_before_any_lm_call(
    project: Path, tmp_path: Path
) -> None:
    tool = {"name": "mcp", "command": command(), "pick": ["define", "translate"]}
    db_path = tmp_path / "runs.db"
    run_id = create_run(spec_from_dict(agent_spec(tool), base_dir=project), db_path)
    lm = ScriptedLM(by_input=react_by_input)
    assert run_worker(run_id, db_path, lm_factory=lambda spec: lm) == "failed"
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
    assert "has no tool named translate; its tools: add, define" in run["reason"]
    assert lm.calls_made == 0


def test_exported_code_starts_the_server_and_calls_its_tool(project: Path) -> None:
    log = project / "calls.log"
    tool = {"name": "mcp", "command": command(log), "pick": ["define"]}
    code = generate_python(spec_from_dict(agent_spec(tool), base_dir=project))
    assert f"'command': {command(log)!r}, 'pick': ['define']" in code
    namespace: dict = {"__name__": "exported"}
    exec(compile(code, "program.py", "exec"), namespace)  # noqa: S102 (our own output)
    with dspy.context(lm=ScriptedLM(by_input=react_by_input)):
        prediction = namespace["program"](question="What does fell mean?")
    assert log.read_text().splitlines() == ["define fell"]
    assert prediction.answer == "a high barren hill in northern England"
