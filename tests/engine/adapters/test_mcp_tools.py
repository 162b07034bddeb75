"""Tools from a real MCP server (tests/engine/mcp_test_server.py, the `mcp` package's FastMCP
over stdio): listing, calling, ReAct on a scripted LM calling them, DSPy's
`Tool.from_mcp_tool(session, tool)` with a real ClientSession, and each way a server goes
wrong (a clear McpServerError, or an observation the agent sees; never a crash or a process
left behind)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

import engine as dspy
from engine.adapters.mcp import McpServer, McpServerError, shared_server
from engine.adapters.types.tool import Tool, mcp_reply_text
from engine.lm import ScriptedLM

pytestmark = pytest.mark.timeout(120)
SERVER = Path(__file__).resolve().parents[1] / "mcp_test_server.py"


def command(mode: str = "", log: Path | None = None) -> str:
    return " ".join([sys.executable, str(SERVER), mode, *(["--log", str(log)] if log else [])])


@pytest.fixture
def call_log(tmp_path):
    return tmp_path / "calls.log"


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def step(thought, tool, args):
    return {"next_thought": thought, "next_tool_name": tool, "next_tool_args": args}


def server_pids(parent: int | None = None) -> set[int]:
    """The test server processes alive now (read from /proc), started by `parent` (this
    process by default: another test process may run servers of its own at the same time)."""
    parent = os.getpid() if parent is None else parent
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            state, ppid = stat[0], int(stat[1])
            if str(SERVER).encode() in cmdline and state != "Z" and ppid == parent:
                found.add(int(entry.name))
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (not zombies), whoever their parent is now."""
    running = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def test_lists_the_servers_tools_with_their_arguments():
    with McpServer(command()) as server:
        listed = {t.name: t for t in server.list_tools()}
        tools = {t.name: t for t in server.tools()}
    assert set(listed) == {"add", "define"}
    assert listed["add"].description == "Add two numbers and return their sum."
    assert listed["add"].required == ("a", "b")
    assert tools["add"].args["a"]["type"] == "number" and tools["add"].required == ["a", "b"]
    assert tools["define"].arg_types == {"word": str}
    assert "Look a word up" in str(tools["define"])


def test_a_tool_call_reaches_the_server_and_its_reply_comes_back_as_text(call_log):
    with McpServer(command(log=call_log)) as server:
        add, define = server.tools(["add", "define"])
        assert add(a=2, b="3") == "5"  # "3" cast to a number from the schema
        assert define(word="Tarn") == "a small mountain lake"
    assert calls(call_log) == ["add 2.0 3.0", "define Tarn"]


def test_react_on_a_scripted_lm_calls_the_mcp_tool(call_log):
    lm = ScriptedLM(answers=[
        step("Look the word up.", "define", {"word": "scree"}),
        step("Now I know.", "finish", {}),
        {"reasoning": "From the trajectory.", "answer": "loose stones covering a slope"},
    ])  # fmt: skip
    with McpServer(command(log=call_log)) as server, dspy.context(lm=lm):
        agent = dspy.ReAct("question -> answer", tools=server.tools(), max_iters=3)
        pred = agent(question="What is scree?")
    assert calls(call_log) == ["define scree"]
    assert pred.trajectory["tool_name_0"] == "define"
    assert pred.trajectory["observation_0"] == "loose stones covering a slope"
    instructions = agent.react.signature.instructions
    assert "(2) define, whose description is <desc>Look a word up" in instructions
    assert pred.answer == "loose stones covering a slope"


def test_dspy_shape_from_mcp_tool_with_a_real_client_session(call_log):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def run() -> tuple[Tool, object, object]:
        args = [str(SERVER), "--log", str(call_log)]
        params = StdioServerParameters(command=sys.executable, args=args)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            listed = (await session.list_tools()).tools
            add = Tool.from_mcp_tool(session, next(t for t in listed if t.name == "add"))
            return add, await add.acall(a=20, b=22), await add.acall(a=1)

    add, total, missing = asyncio.run(run())
    assert add.name == "add" and add.desc == "Add two numbers and return their sum."
    assert total == "42" and calls(call_log) == ["add 20.0 22.0"]
    assert "missing required argument(s) ['b']" in str(missing)


def test_dspy_shape_react_acall_in_the_sessions_loop_calls_the_tool(call_log):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    lm = ScriptedLM(answers=[
        step("Look it up.", "define", {"word": "fell"}),
        step("Done.", "finish", {}),
        {"reasoning": "r", "answer": "a hill"},
    ])  # fmt: skip

    async def run():
        args = [str(SERVER), "--log", str(call_log)]
        params = StdioServerParameters(command=sys.executable, args=args)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = [Tool.from_mcp_tool(session, t) for t in (await session.list_tools()).tools]
            with dspy.context(lm=lm):
                agent = dspy.ReAct("question -> answer", tools=tools, max_iters=3)
                return await asyncio.wait_for(agent.acall(question="What is a fell?"), 60)

    pred = asyncio.run(run())
    assert calls(call_log) == ["define fell"]
    assert pred.trajectory["observation_0"] == "a high barren hill in northern England"


def test_reply_text_joins_text_parts_cuts_long_replies_and_raises_on_error_replies():
    from mcp.types import CallToolResult, ImageContent, TextContent

    parts = [TextContent(type="text", text="one"), TextContent(type="text", text="two"),
             ImageContent(type="image", data="AA==", mimeType="image/png")]  # fmt: skip
    assert mcp_reply_text(CallToolResult(content=parts)) == "one\ntwo\n[image content]"
    long = CallToolResult(content=[TextContent(type="text", text="x" * 50)])
    assert mcp_reply_text(long, max_chars=10) == "x" * 10 + " [... 40 more characters cut]"
    with pytest.raises(RuntimeError, match="reported an error: no such row"):
        mcp_reply_text(CallToolResult(content=[TextContent(type="text", text="no such row")],
                                      isError=True))  # fmt: skip


# what goes wrong ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("no-such-program-here --x", "'no-such-program-here' was not found"),
        ("OPENAI_API_KEY=abc python server.py", "starts by setting a variable (OPENAI_API_KEY="),
        ("python 'unclosed", "check its quotes"),
        ("   ", "type the command that starts the server"),
    ],
)
def test_a_command_that_cannot_start_is_refused_in_words(typed, says):
    with pytest.raises(McpServerError) as caught:
        McpServer(typed)
    assert says in str(caught.value)
    assert "abc" not in str(caught.value)


def test_a_server_that_exits_at_once_says_so_with_its_last_words():
    with pytest.raises(McpServerError) as caught:
        McpServer(command("exit"))
    assert "stopped; its last words: test server: no configuration found" in str(caught.value)


def test_a_server_with_no_tools_is_a_clear_error():
    with McpServer(command("no-tools")) as server, pytest.raises(McpServerError) as caught:
        server.list_tools()
    assert str(caught.value).endswith("offers no tools")


def test_a_server_that_hangs_on_listing_times_out_and_is_stopped():
    before = server_pids()
    start = time.monotonic()
    with McpServer(command("hang-on-list")) as server, pytest.raises(McpServerError) as caught:
        server.list_tools(timeout=2)
    assert "did not list its tools within 2 seconds" in str(caught.value)
    assert time.monotonic() - start < 20
    assert server_pids() <= before


def test_a_server_that_never_answers_its_start_times_out_and_is_stopped():
    before = server_pids()
    with pytest.raises(McpServerError, match="did not answer within 2 seconds of starting"):
        McpServer(command("slow-start"), start_timeout=2)
    assert server_pids() <= before


def test_a_picked_tool_the_server_does_not_have_names_what_it_has():
    with McpServer(command()) as server, pytest.raises(McpServerError) as caught:
        server.tools(["add", "translate"])
    assert "has no tool named translate; its tools: add, define" in str(caught.value)


def test_tool_failures_and_timeouts_become_observations_not_crashes(call_log):
    lm = ScriptedLM(answers=[
        step("Try it.", "fail", {}),
        step("Wait.", "wait", {"seconds": 30}),
        step("Add.", "add", {"a": 1, "b": 2}),
        step("Done.", "finish", {}),
        {"reasoning": "r", "answer": "3"},
    ])  # fmt: skip
    with McpServer(command("faults", call_log), call_timeout=2) as server, dspy.context(lm=lm):
        agent = dspy.ReAct("question -> answer", tools=server.tools(["fail", "wait", "add"]))
        pred = agent(question="q")
    trajectory = pred.trajectory
    assert trajectory["observation_0"].startswith("Execution error in fail: RuntimeError")
    assert "failed on purpose" in trajectory["observation_0"]
    assert trajectory["observation_1"] == (
        "Execution error in wait: McpServerError: wait did not answer within 2 seconds"
    )
    assert trajectory["observation_2"] == "3"  # the server still answers after a timeout
    assert pred.answer == "3" and calls(call_log) == ["fail", "wait 30.0", "add 1.0 2.0"]


def test_a_server_that_dies_mid_run_is_an_observation_and_a_stopped_server():
    with McpServer(command("faults")) as server:
        crash, add = server.tools(["crash", "add"])
        first, second = crash(), add(a=1, b=1)
        assert not server.running
    assert "stopped; its last words:" in str(first) and "crashing on purpose" in str(first)
    assert "McpServerError: the MCP server" in str(second) and "stopped" in str(second)
    with pytest.raises(McpServerError, match="stopped"):
        server.list_tools()


def test_close_leaves_no_process_and_the_server_gets_no_api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-for-the-server-0000")
    before = server_pids()
    server = McpServer(command())
    started = server_pids() - before
    assert len(started) == 1
    environ = (Path("/proc") / str(next(iter(started))) / "environ").read_bytes()
    assert b"OPENAI_API_KEY" not in environ and b"sk-test" not in environ
    server.close()
    server.close()  # twice is fine
    assert server_pids() <= before
    assert not server.running


def test_shared_server_is_started_once_per_command_and_again_after_it_stops():
    first = shared_server(command())
    try:
        assert shared_server(command()) is first
        first.close()
        second = shared_server(command())
        assert second is not first and second.running
    finally:
        shared_server(command()).close()


def test_a_killed_owner_leaves_no_server_behind(tmp_path):
    """kill -9 of the process that started the server (a run's worker, say): the server reads
    the end of its input and exits; nothing is left running."""
    import signal
    import subprocess

    script = (
        "import sys, time\n"
        "from engine.adapters.mcp import McpServer\n"
        f"server = McpServer({command()!r})\n"
        "print('up', flush=True)\n"
        "time.sleep(600)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "up"
        started = server_pids(owner.pid)
        assert len(started) == 1
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 20
        while alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(started)
    finally:
        if owner.poll() is None:
            owner.kill()
