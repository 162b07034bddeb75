"""A fault-injecting litellm custom provider for the reliability battery.

`FaultLM(answer, rate=0.2, seed=0)` is a real `engine.LM` named `fault/<name>`: every call goes
through litellm to the custom provider `fault` registered here, so the engine's own error
mapping, retries, ledger and store see exactly what they would see from a hosted provider.
The provider answers with `answer(messages)` (a string, or a dict rendered in the chat adapter
format) or, at the configured rate, injects one of the FAULTS instead. Which call faults is a
function of (seed, request, attempt), never of thread timing, so a run is reproducible.

Worker hook: `TUNESMITH_TEST_LM=fault_lm:faulty_oracle_lm` (with this folder and tests/runs on
PYTHONPATH; rate, seed and kinds from $FAULT_LM_RATE, $FAULT_LM_SEED, $FAULT_LM_KINDS).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from engine.lm import LM
from engine.lm.scripted import render_fields

PROVIDER = "fault"
# raised as the provider's exception
ERROR_FAULTS = (
    "timeout", "rate_limit", "rate_limit_retry_after", "server_error_500",
    "service_unavailable_503", "connection_reset", "auth", "not_found", "context_window",
)  # fmt: skip
# returned as a (bad) reply
REPLY_FAULTS = ("empty", "garbage", "truncated", "long")
FAULTS = ERROR_FAULTS + REPLY_FAULTS
# what a run survives (auth / not_found / context_window are tested on their own)
TRANSIENT = (
    "timeout", "rate_limit", "rate_limit_retry_after", "server_error_500",
    "service_unavailable_503", "connection_reset", "empty", "garbage", "truncated", "long",
)  # fmt: skip
# the engine's fault kind (CallRecord.fault / lm_calls) each injected fault must be counted as
ENGINE_KIND = {
    "timeout": "timeout", "rate_limit": "rate_limit", "rate_limit_retry_after": "rate_limit",
    "server_error_500": "server_error", "service_unavailable_503": "server_error",
    "connection_reset": "connection", "auth": "auth", "not_found": "not_found",
    "context_window": "context_window", "empty": "empty_reply", "truncated": "truncated",
    "garbage": "garbage", "long": "long",
}  # fmt: skip
LONG_REPLY_CHARS = 200_000

Answerer = Callable[[list[dict[str, Any]]], Any]


class Injector:
    """Decides, injects and counts faults for one `fault/<name>` model."""

    def __init__(
        self,
        answer: Answerer,
        *,
        rate: float,
        seed: int = 0,
        kinds: Sequence[str] = TRANSIENT,
        retry_after: float = 0.01,
        fail_first: int = 0,
    ) -> None:
        unknown = set(kinds) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULTS}")
        self.answer, self.rate, self.seed = answer, rate, seed
        self.kinds, self.retry_after = tuple(kinds), retry_after
        self.fail_first = fail_first  # >0: the first n attempts of each request fault, no draw
        self.injected: Counter[str] = Counter()
        self.calls = 0
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _draw(self, messages: list[dict[str, Any]]) -> str | None:
        """The fault for this attempt at this request (None: answer it)."""
        request = json.dumps(messages, sort_keys=True, default=str)
        with self._lock:
            self.calls += 1
            attempt = self._attempts[request]
            self._attempts[request] += 1
        digest = hashlib.sha256(f"{self.seed}|{attempt}|{request}".encode()).digest()
        if self.fail_first:
            if attempt >= self.fail_first:
                return None
        elif int.from_bytes(digest[:4], "big") / 2**32 >= self.rate or not self.kinds:
            return None
        kind = self.kinds[int.from_bytes(digest[4:8], "big") % len(self.kinds)]
        with self._lock:
            self.injected[kind] += 1
        return kind

    def respond(self, model: str, messages: list[dict[str, Any]], litellm: Any) -> Any:
        kind = self._draw(messages)
        if kind in ERROR_FAULTS:
            raise _error(kind, f"{PROVIDER}/{model}", litellm, self.retry_after)
        answer = self.answer(messages)
        text = answer if isinstance(answer, str) else render_fields(answer)
        reason = "stop"
        if kind == "empty":
            text = ""
        elif kind == "garbage":
            text = "\x00\ufffd}{ ]] ## [[ " + hashlib.md5(text.encode()).hexdigest() * 3
        elif kind == "truncated":
            text, reason = text[: max(1, len(text) // 2)], "length"
        elif kind == "long":
            text = text + "\n" + ("and so on " * (LONG_REPLY_CHARS // 10))
        return _response(litellm, model, text, reason, messages)

    def log(self, kind: str = "fault", **extra: Any) -> dict[str, Any]:
        return {"kind": kind, "injected": sum(self.injected.values()),
                "by_kind": dict(self.injected), "calls": self.calls, **extra}  # fmt: skip


def _error(kind: str, model: str, litellm: Any, retry_after: float) -> Exception:
    import httpx

    args = {"model": model, "llm_provider": PROVIDER}
    if kind == "timeout":
        return litellm.Timeout(message="injected: request timed out", **args)
    if kind in ("rate_limit", "rate_limit_retry_after"):
        headers = {"retry-after": str(retry_after)} if kind == "rate_limit_retry_after" else {}
        response = httpx.Response(
            429, headers=headers, request=httpx.Request("POST", "http://fault.invalid")
        )
        return litellm.RateLimitError(message="injected: rate limited", response=response, **args)
    if kind == "server_error_500":
        return litellm.InternalServerError(message="injected: internal error", **args)
    if kind == "service_unavailable_503":
        return litellm.ServiceUnavailableError(message="injected: overloaded", **args)
    if kind == "connection_reset":
        return ConnectionResetError(104, "injected: Connection reset by peer")
    if kind == "auth":
        return litellm.AuthenticationError(
            message="injected: Incorrect API key provided. Set FAULT_API_KEY.", **args
        )
    if kind == "not_found":
        return litellm.NotFoundError(message=f"injected: model {model} does not exist", **args)
    return litellm.ContextWindowExceededError(
        message="injected: maximum context length is 8 tokens", **args
    )


def _response(litellm: Any, model: str, text: str, reason: str, messages: list) -> Any:
    prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4
    completion = len(text) // 4
    return litellm.ModelResponse(
        id=f"fault-{uuid.uuid4().hex[:12]}",
        created=int(time.time()),
        model=f"{PROVIDER}/{model}",
        choices=[litellm.Choices(index=0, finish_reason=reason,
                                 message=litellm.Message(role="assistant", content=text))],
        usage=litellm.Usage(prompt_tokens=prompt, completion_tokens=completion,
                            total_tokens=prompt + completion),
    )  # fmt: skip


_injectors: dict[str, Injector] = {}
_registered = threading.Lock()


def register(name: str, injector: Injector) -> None:
    """Route `fault/<name>` to `injector`; registers the litellm provider on first use."""
    from engine.lm._litellm import get_litellm

    litellm = get_litellm()
    _injectors[name] = injector
    with _registered:
        if any(e.get("provider") == PROVIDER for e in litellm.custom_provider_map or []):
            return

        class FaultProvider(litellm.CustomLLM):  # type: ignore[name-defined, misc]
            def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
                return _injectors[model].respond(model, messages, litellm)

        litellm.custom_provider_map = [
            *(litellm.custom_provider_map or []),
            {"provider": PROVIDER, "custom_handler": FaultProvider()},
        ]
        litellm.utils.custom_llm_setup()


class FaultLM(LM):
    """An LM on the `fault` provider: `answer` at `1 - rate`, an injected fault at `rate`."""

    def __init__(
        self,
        answer: Answerer,
        *,
        rate: float = 0.2,
        seed: int = 0,
        kinds: Sequence[str] = TRANSIENT,
        retry_after: float = 0.01,
        fail_first: int = 0,
        name: str = "default",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("cache", False)
        super().__init__(f"{PROVIDER}/{name}", **kwargs)
        self.injector = Injector(
            answer, rate=rate, seed=seed, kinds=kinds, retry_after=retry_after,
            fail_first=fail_first,
        )  # fmt: skip
        register(name, self.injector)


def faulty_oracle_lm(spec: Any) -> FaultLM:
    """Worker hook: the tests/runs oracle behind the fault provider (settings from env)."""
    from scripted_lms import _answerer

    kinds = os.environ.get("FAULT_LM_KINDS")
    return FaultLM(
        _answerer(spec),
        rate=float(os.environ.get("FAULT_LM_RATE", "0.2")),
        seed=int(os.environ.get("FAULT_LM_SEED", "0")),
        kinds=kinds.split(",") if kinds else TRANSIENT,
        name="oracle",
    )
