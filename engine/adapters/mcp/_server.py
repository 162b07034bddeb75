"""`McpServer`: a Model Context Protocol server started by command over stdio, used from plain
(synchronous) code. The session lives on an event loop in a background thread; each tool is an
engine `Tool` (made by `Tool.from_mcp_tool`) whose calls cross to that loop with a timeout.

The server gets only the few environment variables the `mcp` package passes by default (HOME,
PATH, ...), never the caller's API keys. Its error output goes to a private file whose last
lines explain a server that stops. `close()` ends the process (stdin closed, then SIGTERM, then
SIGKILL); servers still open when the interpreter exits are closed then.
"""

from __future__ import annotations

import asyncio
import atexit
import shlex
import tempfile
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio

from engine.adapters.mcp._command import McpServerError, find_program, split_command
from engine.adapters.types.tool import Tool

START_TIMEOUT = 20.0  # seconds to start the server and list its tools
CALL_TIMEOUT = 30.0  # seconds one tool call may take
CLOSE_TIMEOUT = 10.0  # seconds to wait for the process to end
MAX_REPLY_CHARS = 4000  # a tool's reply is cut to this many characters for the model
MAX_PAGES = 20  # pages of a tool listing read at most

_OPEN: weakref.WeakSet[McpServer] = weakref.WeakSet()
_SHARED: dict[tuple[tuple[str, ...], str], McpServer] = {}
_SHARED_LOCK = threading.Lock()


@dataclass(frozen=True)
class McpToolInfo:
    """One tool a server offers: its name, description and arguments (JSON schemas)."""

    name: str
    description: str
    args: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()


class McpServer:
    """`McpServer("python server.py")`: start it, `list_tools()`, `tools([...])`, `close()`.

    A command that does not start, a server that stops or does not answer in time raise
    `McpServerError` with a message that says so; a tool call that fails or times out does not
    raise: the agent sees the error as the call's observation.
    """

    def __init__(
        self,
        command: str | list[str],
        *,
        cwd: str | Path | None = None,
        start_timeout: float = START_TIMEOUT,
        call_timeout: float = CALL_TIMEOUT,
        max_reply_chars: int = MAX_REPLY_CHARS,
    ) -> None:
        self.words = split_command(command)
        find_program(self.words)
        self.command = shlex.join(self.words)
        self.cwd = str(cwd) if cwd is not None else None
        self.call_timeout = call_timeout
        self.max_reply_chars = max_reply_chars
        self._listed: dict[str, Any] = {}
        self._gone = False  # the server was seen to stop
        self._session: Any = None
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self._finished = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name=f"mcp server {self.words[0]}"
        )
        self._thread.start()
        _OPEN.add(self)
        ready: Future[None] = Future()
        self._task = asyncio.run_coroutine_threadsafe(self._serve(ready), self._loop)
        try:
            ready.result(start_timeout)
        except TimeoutError:
            self.close()
            raise McpServerError(
                f"the MCP server ({self.command}) did not answer within {start_timeout:g} "
                "seconds of starting"
            ) from None
        except Exception as exc:  # noqa: BLE001 - said in words
            message = self.explain(exc, "start")
            self.close()
            raise McpServerError(message) from None

    # --- the public calls -------------------------------------------------------------------

    def list_tools(self, timeout: float = START_TIMEOUT) -> list[McpToolInfo]:
        """The server's tools (name, description, arguments); McpServerError when it has none,
        stopped, or does not answer within `timeout` seconds."""
        listed = self._wait(self._list(), timeout, "list its tools")
        if not listed:
            raise McpServerError(f"the MCP server ({self.command}) offers no tools")
        self._listed = {t.name: t for t in listed}
        return [_info(t) for t in listed]

    def tools(self, names: list[str] | None = None) -> list[Tool]:
        """Engine tools for `names` (all when None); McpServerError naming any the server does
        not have (the tools it has are listed in the message)."""
        if not self._listed:
            self.list_tools()
        wanted = list(self._listed) if names is None else list(names)
        missing = [n for n in wanted if n not in self._listed]
        if missing:
            raise McpServerError(
                f"the MCP server ({self.command}) has no tool named {', '.join(missing)}; "
                f"its tools: {', '.join(self._listed)}"
            )
        bridge = _Bridge(self)
        return [
            Tool.from_mcp_tool(bridge, self._listed[n], max_chars=self.max_reply_chars)
            for n in wanted
        ]

    @property
    def running(self) -> bool:
        """Whether the server is up (False once it was closed or was seen to stop)."""
        return self._session is not None and not self._finished.is_set() and not self._gone

    def close(self) -> None:
        """End the server process and the background loop (safe to call twice)."""
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        if self._session is None:  # still starting: stop waiting for it
            self._task.cancel()
        if not self._finished.wait(CLOSE_TIMEOUT):
            self._task.cancel()
            self._finished.wait(CLOSE_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()
        self._stderr.close()
        self._session = None
        _OPEN.discard(self)

    def __enter__(self) -> McpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"McpServer({self.command!r}, running={self.running})"

    # --- inside ----------------------------------------------------------------------------

    async def _serve(self, ready: Future[None]) -> None:
        # the mcp package is imported here, on first use: it is slow to import (about a second)
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(command=self.words[0], args=self.words[1:], cwd=self.cwd)
        try:
            async with stdio_client(params, errlog=self._stderr) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    self._session = session
                    ready.set_result(None)
                    await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - reported to whoever waits for the start
            if not ready.done():
                ready.set_exception(_unwrap(exc))
        finally:
            self._session = None
            self._finished.set()

    async def _list(self) -> list[Any]:
        found: list[Any] = []
        cursor = None
        for _ in range(MAX_PAGES):
            page = await self._session.list_tools(cursor=cursor)
            found += page.tools
            cursor = page.nextCursor
            if not cursor:
                break
        return found

    def _wait(self, coroutine: Any, timeout: float, doing: str) -> Any:
        if not self.running:
            coroutine.close()
            raise McpServerError(self.stopped_message())
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise McpServerError(
                f"the MCP server ({self.command}) did not {doing} within {timeout:g} seconds"
            ) from None
        except McpServerError:
            raise
        except Exception as exc:  # noqa: BLE001 - said in words
            raise McpServerError(self.explain(exc, doing)) from None

    def explain(self, exc: BaseException, doing: str) -> str:
        """A failure of the server as a sentence (its error output's last lines included)."""
        exc = _unwrap(exc)
        if isinstance(exc, OSError):
            return f"could not start the MCP server ({self.command}): {exc.strerror or exc}"
        if _is_closed(exc) or self._finished.is_set():
            self._gone = True
            return self.stopped_message()
        if "timed out" in str(exc).lower():
            return f"the MCP server ({self.command}) did not {doing} in time"
        return f"the MCP server ({self.command}) could not {doing}: {type(exc).__name__}: {exc}"

    def stopped_message(self) -> str:
        tail = self._stderr_tail()
        said = f"; its last words: {tail}" if tail else ""
        return f"the MCP server ({self.command}) stopped{said}"

    def _stderr_tail(self, lines: int = 3, chars: int = 400) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()[-20000:]
        kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(kept)[-chars:]


class _Bridge:
    """The `call_tool` a tool made by `Tool.from_mcp_tool` awaits: the call runs on the
    server's loop, with the server's call timeout, whatever loop the caller is on."""

    any_loop = True  # Tool.from_mcp_tool: callable from any loop (it crosses to the server's)

    def __init__(self, server: McpServer) -> None:
        self.server = server

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        server = self.server
        if not server.running:
            raise McpServerError(server.stopped_message())
        timeout = server.call_timeout
        call = server._session.call_tool(
            name, arguments or {}, read_timeout_seconds=timedelta(seconds=timeout)
        )
        future = asyncio.run_coroutine_threadsafe(call, server._loop)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout + 5)
        except TimeoutError:
            future.cancel()
            raise McpServerError(f"{name} did not answer within {timeout:g} seconds") from None
        except Exception as exc:  # noqa: BLE001 - said in words
            if "timed out" in str(exc).lower():
                raise McpServerError(f"{name} did not answer within {timeout:g} seconds") from None
            raise McpServerError(server.explain(exc, f"run {name}")) from None


def shared_server(command: str | list[str], cwd: str | Path | None = None) -> McpServer:
    """One running server per command and folder in this process (a run builds its program
    more than once); a stopped one is started again."""
    key = (tuple(split_command(command)), str(cwd or ""))
    with _SHARED_LOCK:
        server = _SHARED.get(key)
        if server is None or not server.running:
            server = _SHARED[key] = McpServer(list(key[0]), cwd=cwd)
        return server


def _info(tool: Any) -> McpToolInfo:
    schema = tool.inputSchema or {}
    return McpToolInfo(
        name=tool.name,
        description=tool.description or "",
        args=dict(schema.get("properties") or {}),
        required=tuple(schema.get("required") or ()),
    )


def _is_closed(exc: BaseException) -> bool:
    """Whether `exc` says the connection to the server is gone."""
    closed = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)
    return isinstance(exc, closed) or "connection closed" in str(exc).lower()


def _unwrap(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


@atexit.register
def _close_open_servers() -> None:
    for server in list(_OPEN):
        server.close()
