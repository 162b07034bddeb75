"""What a real server would record, recorded on the client: every HTTP request this process sends
to one endpoint, with its start and end (one clock), status and usage tokens.

llama.cpp's server keeps no per-request log, so against it the hosted bench reads this instead
of the fake server's own records (bench/core/fake_openai_server.py); the records have the same
shape (`RequestRecord`) and go through the same summary (bench/hosted/stats.py). Both
frameworks reach the server through litellm's `openai/` provider, whose OpenAI client sends
through `httpx.Client.send` (`httpx.AsyncClient.send` for async calls): the log wraps those
two methods once and keeps the requests whose URL starts with the endpoint's base.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from bench.core.fake_openai_server import RequestRecord

_ACTIVE: list[ClientLog] = []
_PATCHED = False


def _usage(response: httpx.Response) -> tuple[int, int]:
    """(prompt, completion) tokens of a read JSON reply; (0, 0) for anything else."""
    try:
        usage = json.loads(response.content).get("usage") or {}
    except (ValueError, AttributeError, httpx.ResponseNotRead):
        return 0, 0
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def _patch() -> None:
    """Wrap httpx's two send methods once; each request is offered to the active logs."""
    global _PATCHED
    if _PATCHED:
        return
    _PATCHED = True
    send, asend = httpx.Client.send, httpx.AsyncClient.send

    def logged_send(self: httpx.Client, request: httpx.Request, *args: Any, **kwargs: Any) -> Any:
        logs = [log for log in _ACTIVE if str(request.url).startswith(log.base)]
        starts = [log.now() for log in logs]
        response = None
        try:
            response = send(self, request, *args, **kwargs)
            return response
        finally:
            for log, start in zip(logs, starts):
                log.add(start, response)

    async def logged_asend(
        self: httpx.AsyncClient, request: httpx.Request, *args: Any, **kwargs: Any
    ) -> Any:
        logs = [log for log in _ACTIVE if str(request.url).startswith(log.base)]
        starts = [log.now() for log in logs]
        response = None
        try:
            response = await asend(self, request, *args, **kwargs)
            return response
        finally:
            for log, start in zip(logs, starts):
                log.add(start, response)

    httpx.Client.send = logged_send  # type: ignore[method-assign]
    httpx.AsyncClient.send = logged_asend  # type: ignore[method-assign]


class ClientLog:
    """The requests to `base` while the log is open (`with ClientLog(base) as log:`)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._t0 = time.monotonic()

    def now(self) -> float:
        """Seconds on the log's clock (the records' time base)."""
        return time.monotonic() - self._t0

    def add(self, start: float, response: httpx.Response | None) -> None:
        """One request: status 0 when no response came (a connection error or timeout)."""
        status = response.status_code if response is not None else 0
        prompt, completion = _usage(response) if status == 200 else (0, 0)
        with self._lock:
            self._records.append(RequestRecord(start, self.now(), status, prompt, completion))

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def reset(self) -> None:
        """Forget the records (between two measured runs)."""
        with self._lock:
            self._records.clear()

    def __enter__(self) -> ClientLog:
        _patch()
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.remove(self)
