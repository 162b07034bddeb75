"""An agent step's tools from an MCP server (Model Context Protocol, over stdio): the command
that starts it (run in the project folder), "List its tools", and a checkbox per tool with its
description (shown as text, never as Markdown). The command and the picked tools go into the
draft's tool entry only after the server listed its tools; a run's worker starts the server
itself. A command that does not start, a server with no tools or one that does not answer in
time shows why and changes nothing. On a dashboard served to a team (not 127.0.0.1) no command
is started from the page: anyone signed in could otherwise run any program on that machine."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import hosts, safe, state
from engine import SpecError
from engine.runs import server_tools

LIST_SECONDS = 15.0  # how long starting the server and listing its tools may take
COMMAND_HELP = (
    "The program that offers the tools, started in the project folder, e.g. "
    "python my_server.py. The command is saved with the project: keep keys and passwords out "
    "of it (set them as environment variables before starting the dashboard)."
)
TEAM_REFUSAL = (
    "This Tunesmith is shared by a team, so it does not start programs from the page: anyone "
    "signed in could run any command on the machine that serves it. Choose the MCP server's "
    "tools on a Tunesmith running on your own machine, then share the project."
)


def mcp_option(tool: dict[str, Any], i: int) -> None:
    """The server's command, its listing and the picks of one `mcp` tool entry (in place)."""
    st.markdown("**Tools from an MCP server** — a program of yours that offers tools")
    rev = state.rev()
    on_team = not hosts.is_loopback(st.get_option("server.address"))
    if on_team:
        st.info(TEAM_REFUSAL, icon=":material/block:")
    typed = st.text_input(
        "Command that starts the server", value=tool.get("command", ""), disabled=on_team,
        placeholder="python my_server.py", help=COMMAND_HELP, key=f"tool_mcp_command_{i}_{rev}",
    ).strip()  # fmt: skip
    listed_key = f"tool_mcp_listed_{i}_{rev}"
    listing = st.button(
        "List its tools", key=f"tool_mcp_list_{i}_{rev}", disabled=on_team or not typed
    )
    if listing and not on_team:
        _list(tool, typed, listed_key)
    listed = st.session_state.get(listed_key)
    if typed and typed != tool.get("command"):
        st.caption("Press List its tools to use this command.")
    if listed is not None and listed["command"] == tool.get("command"):
        choices = listed["tools"]
    else:  # not listed in this session: the saved picks, without their descriptions
        choices = [(name, "") for name in tool.get("pick") or []]
        if choices:
            st.caption("Press List its tools to see all of the server's tools.")
    if not choices:
        return
    picked = []
    for name, description in choices:
        box = st.checkbox(
            safe.md(name), value=name in (tool.get("pick") or []),
            key=f"tool_mcp_pick_{i}_{name}_{rev}",
        )  # fmt: skip
        if description:
            st.caption(safe.md(description))
        if box:
            picked.append(name)
    tool["pick"] = picked
    if not picked:
        st.caption("Pick at least one of the server's tools for the agent.")


def _list(tool: dict[str, Any], command: str, listed_key: str) -> None:
    """Start the server, list its tools and stop it; on success the command is the entry's."""
    try:
        with st.spinner("Starting the server and asking for its tools..."):
            found = server_tools(command, state.project_dir() or ".", timeout=LIST_SECONDS)
    except SpecError as exc:
        st.error(safe.md(exc), icon=":material/error:")
        return
    names = [t.name for t in found]
    st.session_state[listed_key] = {
        "command": command, "tools": [(t.name, t.description) for t in found],
    }  # fmt: skip
    if tool.get("command") != command:
        tool["pick"] = [name for name in tool.get("pick") or [] if name in names]
    tool["command"] = command
