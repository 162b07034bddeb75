"""llama.cpp's own OpenAI-compatible server on 127.0.0.1, serving the embedded model's GGUF file:
a real provider for the hosted path (its latency, its one-request-at-a-time batching, its
errors), reached through litellm's `openai/` provider like any hosted model.

    with LlamaServer() as server:   # a free port, waits until it answers, stopped at the end
        LM(server.model, api_base=server.api_base, api_key=server.api_key)

The server is `python -m llama_cpp.server` (the `server` extra of llama-cpp-python: fastapi,
uvicorn, sse-starlette, starlette-context, pydantic-settings; `missing_packages()` names what
is not installed) in a child process of its own session; its output goes to a temp log file
(its tail in every error; removed on `stop()`); it is stopped on `stop()`, on leaving the
`with` block, at interpreter exit, and (Linux) when the thread that started it ends. Only a
fault it cannot make (429 with Retry-After) needs the hand-written fake,
bench/core/fake_openai_server.py. Imported by bench/hosted and by the tests.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from engine.lm.local import local_model_path, pick_threads

SERVER_PACKAGES = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
EMBEDDED = "local/smollm2-135m"  # the embedded model whose GGUF the server loads by default
ALIAS = "smollm2-135m"  # the model name the server answers to (litellm: `openai/<alias>`)
DUMMY_KEY = "llama-server-needs-no-key"  # the openai client insists on a key; the server ignores it


def missing_packages() -> list[str]:
    """The `llama-cpp-python[server]` packages this Python cannot import (empty: it can run)."""
    names = ("llama_cpp", *SERVER_PACKAGES)
    return [name for name in names if importlib.util.find_spec(name) is None]


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a child gets when the thread that started it ends


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM when the starting thread ends (a parent killed
    without running its atexit handlers does not leave the server behind). Linux only."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServerError(RuntimeError):
    """The server did not start or stopped answering; the message ends with its log's tail."""


class LlamaServer:
    """One `python -m llama_cpp.server` child on 127.0.0.1: `start()` / `stop()` or `with`."""

    def __init__(
        self,
        weights: Path | None = None,
        *,
        alias: str = ALIAS,
        n_ctx: int = 4096,
        threads: int | None = None,
        ready_timeout: float = 180.0,
    ) -> None:
        self.weights = Path(weights) if weights is not None else local_model_path(EMBEDDED)
        self.alias, self.n_ctx, self.threads = alias, n_ctx, threads
        self.ready_timeout = ready_timeout
        self.port = 0
        self.api_key = DUMMY_KEY
        self.log_path: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: object | None = None

    # -- where it is ------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        """The model name for litellm (and Tunesmith's and DSPy's LM)."""
        return f"openai/{self.alias}"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> LlamaServer:
        """Start the child on a free port and wait until it lists its model."""
        missing = missing_packages()
        if missing:
            raise LlamaServerError(
                "llama.cpp's server cannot run here: missing "
                + ", ".join(missing)
                + " (the `bench` extra installs llama-cpp-python[server]: make bench)"
            )
        if not self.weights.is_file():
            raise LlamaServerError(f"no GGUF file at {self.weights}")
        if self.threads is None:  # the embedded model's rule: 1 thread beside a busy core
            self.threads = pick_threads()  # (docs/BENCHMARKS.md, "llama.cpp's server beside…")
        self.port = free_port()
        handle, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)
        self._log = self.log_path.open("wb")
        command = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(self.weights),
            "--model_alias", self.alias, "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends it and its children
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )  # fmt: skip
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        url = f"{self.api_base}/models"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise LlamaServerError(
                    f"llama.cpp's server exited with code {self._process.returncode} before "
                    f"answering:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise LlamaServerError(
            f"llama.cpp's server did not answer {url} within {self.ready_timeout:.0f} s:\n"
            f"{self.log_tail()}"
        )

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """End the child (its whole process group): SIGTERM, then SIGKILL after 10 s."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote so far."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
