"""A small real MCP server for the tests, written with the `mcp` package's FastMCP, over stdio.

`python mcp_test_server.py [mode] [--log PATH]`. Its tools: `add(a, b)` (the sum of two numbers) and
`define(word)` (the word's meaning from a small dictionary). Modes:
- `faults`: also `fail()` (the tool raises), `wait(seconds)` (sleeps) and `crash()` (the server
  process exits at once);
- `no-tools`: a server that offers no tool;
- `hostile`: also `shout(text)`, whose description is Markdown and HTML (shown as text);
- `hang-on-list`: a server that never answers a tool listing;
- `exit`: a server that writes a line to its error output and exits before answering.
Each tool call is appended to the file after `--log` (an argument, as the server does not see
the caller's environment).
"""

from __future__ import annotations

import os
import sys
import time

import anyio
from mcp.server.fastmcp import FastMCP

WORDS = {
    "tarn": "a small mountain lake",
    "scree": "loose stones covering a slope",
    "fell": "a high barren hill in northern England",
}


HOSTILE = "**Loud** <img src=x onerror=alert(1)> [click](http://evil.example) :red[alarm]"
LOG: list[str] = []


def _log(line: str) -> None:
    for path in LOG:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")


class HangingList(FastMCP):
    async def list_tools(self):  # type: ignore[override]
        await anyio.sleep(3600)
        return []


def make_server(mode: str) -> FastMCP:
    server = (HangingList if mode == "hang-on-list" else FastMCP)("tunesmith-test")
    if mode == "no-tools":
        return server

    @server.tool()
    def add(a: float, b: float) -> str:
        """Add two numbers and return their sum."""
        _log(f"add {a} {b}")
        total = a + b
        return str(int(total) if total == int(total) else total)

    @server.tool()
    def define(word: str) -> str:
        """Look a word up in a small dictionary and return its meaning."""
        _log(f"define {word}")
        return WORDS.get(word.strip().lower(), f"no entry for {word!r}")

    if mode == "hostile":

        @server.tool(description=HOSTILE)
        def shout(text: str) -> str:
            return text.upper()

    if mode == "faults":

        @server.tool()
        def fail() -> str:
            """A tool that always fails."""
            _log("fail")
            raise ValueError("the test tool failed on purpose")

        @server.tool()
        async def wait(seconds: float) -> str:
            """Wait the given number of seconds."""
            _log(f"wait {seconds}")
            await anyio.sleep(seconds)
            return "waited"

        @server.tool()
        def crash() -> str:
            """End the server process at once."""
            _log("crash")
            sys.stderr.write("test server: crashing on purpose\n")
            sys.stderr.flush()
            os._exit(3)

    return server


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--log" in argv:
        LOG.append(argv.pop(argv.index("--log") + 1))
        argv.remove("--log")
    mode = argv[0] if argv else ""
    if mode == "exit":
        sys.stderr.write("test server: no configuration found, exiting\n")
        sys.exit(2)
    if mode == "slow-start":
        time.sleep(3600)
    make_server(mode).run("stdio")
