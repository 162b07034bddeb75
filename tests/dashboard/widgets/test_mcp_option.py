"""Pipeline page, an agent step's "Tools from an MCP server": the command, List its tools
(the real test server, tests/engine/mcp_test_server.py), a checkbox per tool with its
description shown as text, the picks and the command saved in the draft; a command that does
not start, a server with no tools or one that hangs on listing shows why and changes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from apphelpers import AUTH, go, k, open_sample, shown, signed_in_app, texts

from dashboard.widgets.pipeline import mcp_option
from engine.adapters.mcp import _server

pytestmark = pytest.mark.timeout(180)
SERVER = Path(__file__).resolve().parents[2] / "engine" / "mcp_test_server.py"
LIST_WAIT = 60  # seconds an AppTest run may take to start a server and list its tools


@pytest.fixture(autouse=True)
def _stop_shared_servers():
    """The servers a built program started in this process are stopped after each test (a
    worker's end stops them; the test process lives on)."""
    yield
    for server in list(_server._SHARED.values()):
        server.close()


def command(mode: str = "") -> str:
    return f"{sys.executable} {SERVER} {mode}".strip()


def agent_tools(at) -> list[dict]:
    return at.session_state["draft"]["pipeline"][0]["tools"]


@pytest.fixture
def mcp_picked(app):
    """The agent sample's pipeline with the MCP choice added to its tools."""
    at = go(open_sample(app, "tidewell_agent"), "pipeline")
    at.multiselect(key=k(at, "step_tools_0")).set_value(["lookup", "mcp"]).run()
    assert not at.exception, at.exception
    return at


def list_tools(at, typed: str):
    at.text_input(key=k(at, "tool_mcp_command_0")).set_value(typed).run()
    at.button(key=k(at, "tool_mcp_list_0")).click().run(timeout=LIST_WAIT)
    assert not at.exception, at.exception
    return at


def errors(at) -> str:
    return " ".join(shown(e.value) for e in at.error)


def test_list_its_tools_then_pick_them_into_the_spec(mcp_picked):
    at = mcp_picked
    assert agent_tools(at)[1] == {"name": "mcp"}
    list_tools(at, command())
    labels = [c.label for c in at.checkbox if c.key.startswith("tool_mcp_pick_0_")]
    assert [shown(label) for label in labels] == ["add", "define"]
    assert "Look a word up in a small dictionary and return its meaning." in texts(at)
    assert agent_tools(at)[1] == {"name": "mcp", "command": command(), "pick": []}
    at.checkbox(key=k(at, "tool_mcp_pick_0_define")).check().run()
    assert agent_tools(at)[1] == {"name": "mcp", "command": command(), "pick": ["define"]}
    assert "tools_at(PROJECT_DIR" in texts(at) and "'pick': ['define']" in texts(at)
    assert not [w for w in at.warning if "not valid" in shown(w.value)]


def test_a_tool_description_is_shown_as_text_never_markdown(mcp_picked):
    at = list_tools(mcp_picked, command("hostile"))
    captions = [c.value for c in at.caption]
    hostile = next(c for c in captions if "Loud" in c)
    assert "\\*\\*Loud\\*\\*" in hostile and "\\<img" in hostile and "\\[click\\]" in hostile
    assert "\\:red\\[alarm\\]" in hostile
    assert shown(hostile).startswith("**Loud** <img src=x onerror=alert(1)>")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("no-such-mcp-server --stdio", "'no-such-mcp-server' was not found"),
        (command("no-tools"), "offers no tools"),
        (command("exit"), "stopped; its last words: test server: no configuration found"),
        ("SECRET_TOKEN=abc123 python server.py", "starts by setting a variable"),
    ],
)
def test_a_server_that_cannot_be_listed_says_why_and_changes_nothing(mcp_picked, typed, says):
    at = list_tools(mcp_picked, typed)
    assert says in errors(at)
    assert "abc123" not in errors(at)
    assert agent_tools(at)[1] == {"name": "mcp"}
    assert not [c for c in at.checkbox if c.key.startswith("tool_mcp_pick_0_")]


def test_a_server_that_hangs_on_listing_times_out(mcp_picked, monkeypatch):
    monkeypatch.setattr(mcp_option, "LIST_SECONDS", 2.0)
    at = list_tools(mcp_picked, command("hang-on-list"))
    assert "did not list its tools within 2 seconds" in errors(at)
    assert agent_tools(at)[1] == {"name": "mcp"}


def test_a_saved_pick_is_shown_without_starting_the_server(mcp_picked):
    at = list_tools(mcp_picked, command())
    at.checkbox(key=k(at, "tool_mcp_pick_0_add")).check().run()
    at.text_input(key=k(at, "tool_mcp_command_0")).set_value(command("no-tools")).run()
    assert "Press List its tools to use this command." in texts(at)
    assert agent_tools(at)[1]["command"] == command()  # not listed yet: the old one stays
    at.button(key=k(at, "tool_mcp_list_0")).click().run(timeout=LIST_WAIT)
    assert "offers no tools" in errors(at)
    assert agent_tools(at)[1] == {"name": "mcp", "command": command(), "pick": ["add"]}


def test_a_team_dashboard_starts_no_command_from_the_page(tmp_path, monkeypatch, shared):
    at = signed_in_app(
        tmp_path, monkeypatch, auth=AUTH,
        user={"is_logged_in": True, "email": "lee@team.example"},
    )  # fmt: skip
    at = go(open_sample(at, "tidewell_agent"), "pipeline")
    at.multiselect(key=k(at, "step_tools_0")).set_value(["lookup", "mcp"]).run()
    assert "does not start programs from the page" in texts(at)
    assert at.text_input(key=k(at, "tool_mcp_command_0")).disabled
    assert at.button(key=k(at, "tool_mcp_list_0")).disabled
    assert agent_tools(at)[1] == {"name": "mcp"}


def test_try_on_a_row_calls_the_picked_mcp_tool(mcp_picked, monkeypatch, tmp_path):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_mcp_lms:agent")
    log = tmp_path / "calls.log"
    at = mcp_picked
    at.multiselect(key=k(at, "step_tools_0")).set_value(["mcp"]).run()
    list_tools(at, f"{command()} --log {log}")
    at.checkbox(key=k(at, "tool_mcp_pick_0_define")).check().run()
    at.button(key="try_row").click().run(timeout=LIST_WAIT)
    assert not at.exception, at.exception
    page = texts(at)
    assert "define({'word':" in page and "no entry for" in page
    assert log.read_text().splitlines()[0].startswith("define ")
