"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 for the hosted-model path.

Every request waits a fixed latency; over the rate limit (too many requests in flight, or too
many started in the last second) it answers 429 with `Retry-After` / `retry-after-ms`, as real
providers do. Replies follow the chat adapter's format that DSPy 3.4.1 and Tunesmith share: the
output field names come from the system message, the label from keyword rules over the last
user message (so accuracy means something). A JSON-mode request gets a JSON object instead.
The server records each request's start and end, 429s, and usage tokens.

    with FakeOpenAI(latency=0.3, max_concurrent=8) as server:
        LM("openai/fake-model", api_base=server.api_base, api_key="fake")
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# keyword rules for sample_data/support_tickets.csv (first match wins; else "technical")
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "billing",
        (
            "bill",
            "charg",
            "refund",
            "invoice",
            "pay",
            "price",
            "fee",
            "plan",
            "receipt",
            "card",
            "discount",
            "subscription",
        ),
    ),  # fmt: skip
    (
        "shipping",
        (
            "ship",
            "order",
            "package",
            "deliver",
            "parcel",
            "courier",
            "return",
            "track",
            "arrived",
            "box",
            "driver",
            "address",
            "item",
        ),
    ),  # fmt: skip
)
DEFAULT_LABEL = "technical"
_OUTPUTS_BLOCK = re.compile(r"Your output fields are:\s*(.*?)(?:\n\s*\n|All interactions)", re.S)
_FIELD = re.compile(r"^\s*\d+\.\s*`(\w+)`", re.M)
_HEADER = re.compile(r"\[\[ ## (\w+) ## \]\]")


def label_for(text: str) -> str:
    """The deterministic label of a ticket text."""
    lowered = text.lower()
    for label, words in RULES:
        if any(word in lowered for word in words):
            return label
    return DEFAULT_LABEL


def output_fields(messages: list[dict[str, Any]]) -> list[str]:
    """Output field names from the system message ("Your output fields are: 1. `name` ...")."""
    system = next((str(m.get("content")) for m in messages if m.get("role") == "system"), "")
    block = _OUTPUTS_BLOCK.search(system)
    names = _FIELD.findall(block.group(1)) if block else []
    return names or ["answer"]


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The last user message's text, without the field headers."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return _HEADER.sub(" ", str(content)).split("Respond with")[0]
    return ""


def noisy_label(text: str, demos: int) -> str:
    """The label, but wrong for about 1 in 5 (ticket, demo count) pairs: candidates with
    different demo counts then score differently, as a real model's would."""
    label = label_for(text)
    digest = int(hashlib.sha256(f"{demos}|{text.strip()}".encode()).hexdigest()[:8], 16)
    if digest % 5:
        return label
    labels = [name for name, _ in RULES] + [DEFAULT_LABEL]
    return labels[(labels.index(label) + 1) % len(labels)]


def value_for(name: str, text: str, demos: int = 0) -> Any:
    """A field's value: the (noisy) label, or a short deterministic text for reasoning."""
    if name in ("reasoning", "rationale"):
        return "The ticket's wording decides it."
    return noisy_label(text, demos)


def reply_text(messages: list[dict[str, Any]], json_mode: bool) -> str:
    """The completion text for one request, in the chat adapter's format (or JSON)."""
    text = last_user_text(messages)
    fields = output_fields(messages)
    demos = sum(1 for m in messages if m.get("role") == "assistant")
    if json_mode:
        return json.dumps({name: value_for(name, text, demos) for name in fields})
    parts = [f"[[ ## {name} ## ]]\n{value_for(name, text, demos)}" for name in fields]
    return "\n\n".join([*parts, "[[ ## completed ## ]]"])


def tokens(text: str) -> int:
    """A rough token count (4 characters per token)."""
    return max(1, math.ceil(len(text) / 4))


@dataclass
class RequestRecord:
    """One request as the server saw it (seconds on the server's clock)."""

    start: float
    end: float
    status: int
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Limits:
    """The rate limit: requests in flight and/or requests started per second (None: no limit)."""

    max_concurrent: int | None = None
    per_second: float | None = None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0
    starts: deque = field(default_factory=deque)  # accepted start times, last second
    records: list[RequestRecord] = field(default_factory=list)


class FakeOpenAI:
    """The server: `start()` / `stop()` (or a `with` block); `records()` and `reset()`."""

    def __init__(
        self,
        latency: float = 0.3,
        max_concurrent: int | None = None,
        per_second: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.latency = float(latency)
        self.limits = Limits(max_concurrent, per_second)
        self.retry_after = self.latency if retry_after is None else float(retry_after)
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- records ---------------------------------------------------------------------------
    def now(self) -> float:
        """Seconds on the server's clock (the records' time base)."""
        return time.monotonic() - self._t0

    def records(self) -> list[RequestRecord]:
        with self._state.lock:
            return list(self._state.records)

    def reset(self) -> None:
        """Forget the records (between two measured runs)."""
        with self._state.lock:
            self._state.records.clear()
            self._state.max_in_flight = 0

    @property
    def max_in_flight(self) -> int:
        """Most requests accepted at once since the last reset."""
        return self._state.max_in_flight

    # -- serving ---------------------------------------------------------------------------
    def admit(self) -> tuple[bool, float]:
        """(accepted, start time): False when over the rate limit (the caller answers 429)."""
        state, limits, now = self._state, self.limits, self.now()
        with state.lock:
            while state.starts and state.starts[0] <= now - 1.0:
                state.starts.popleft()
            full = limits.max_concurrent is not None and state.in_flight >= limits.max_concurrent
            fast = limits.per_second is not None and len(state.starts) >= limits.per_second
            over = full or fast
            if over:
                state.records.append(RequestRecord(now, now, 429))
                return False, now
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            state.starts.append(now)
            return True, now

    def finish(self, start: float, prompt_tokens: int, completion_tokens: int) -> None:
        with self._state.lock:
            self._state.in_flight -= 1
            self._state.records.append(
                RequestRecord(start, self.now(), 200, prompt_tokens, completion_tokens)
            )

    def wait_hint(self) -> float:
        """Seconds a 429 asks the client to wait."""
        if self.limits.per_second is not None and self._state.starts:
            return max(self.retry_after, self._state.starts[0] + 1.0 - self.now())
        return self.retry_after


def _handler_class(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the OpenAI SDK's pool expects
        disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms ACK wait)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                return
            messages = list(request.get("messages") or [])
            fmt = request.get("response_format") or {}
            json_mode = isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")
            text = reply_text(messages, json_mode)
            prompt = sum(tokens(str(m.get("content", ""))) for m in messages)
            accepted, start = fake.admit()
            if not accepted:
                wait = fake.wait_hint()
                error = {"message": "Rate limit reached", "type": "rate_limit_exceeded"}
                headers = {"Retry-After": str(max(1, math.ceil(wait))),
                           "retry-after-ms": str(int(wait * 1000))}  # fmt: skip
                self._send(429, {"error": error}, headers)
                return
            try:
                time.sleep(fake.latency)
            finally:
                fake.finish(start, prompt, tokens(text))
            usage = {"prompt_tokens": prompt, "completion_tokens": tokens(text),
                     "total_tokens": prompt + tokens(text)}  # fmt: skip
            self._send(200, _completion(request, text, usage), {})

    return Handler


def _completion(request: dict[str, Any], text: str, usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(request.get("model") or "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--limit", type=int, default=None, help="max requests in flight")
    parser.add_argument("--per-second", type=float, default=None)
    args = parser.parse_args()
    with FakeOpenAI(args.latency, args.limit, args.per_second) as server:
        print(f"serving {server.api_base} (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
