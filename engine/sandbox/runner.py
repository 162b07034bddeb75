"""Sandbox: run a piece of Python in a separate, limited process and read back its output.

The parent side. Each `run()` makes an empty temp dir, starts `python -I -S child.py` there
in a new session with an empty environment, sends the code as JSON on stdin, waits up to the
wall-clock limit (then kills the whole process group), and turns the child's JSON reply or its
exit status into a `SandboxResult` with a message the LM can act on. See
docs/design/sandbox.md for what the child refuses and what it does not.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine.sandbox.limits import SandboxLimits, SandboxResult

CHILD = str(Path(__file__).with_name("child.py"))
NOBODY = 65534


class Sandbox:
    """`Sandbox(limits).run(code) -> SandboxResult`; safe to call from several threads.

    `preload`: extra standard-library modules loaded before the guard goes up (code may import
    only preloaded modules; the operations they offer are still checked by the guard)."""

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        python: str | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.python = python or sys.executable
        self.preload = tuple(preload)

    def run(self, code: str) -> SandboxResult:
        """Run `code` in a fresh child process; never raises for anything the code does."""
        if not isinstance(code, str):
            raise TypeError(f"Sandbox.run takes the code as a str, got {type(code).__name__}")
        root = tempfile.mkdtemp(prefix="tunesmith-sandbox-")
        started = time.perf_counter()
        try:
            if os.geteuid() == 0:  # the child drops to nobody: let it use its own dir
                os.chown(root, NOBODY, NOBODY)
            result = self._run_in(root, code)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        result.seconds = time.perf_counter() - started
        return result

    def _run_in(self, root: str, code: str) -> SandboxResult:
        request = json.dumps(
            {"code": code, "root": root, "limits": self.limits.to_dict(), "preload": self.preload}
        )
        process = subprocess.Popen(
            [self.python, "-I", "-S", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=root,
            env={"LC_ALL": "C.UTF-8"},
            start_new_session=True,
            close_fds=True,
        )
        try:
            out, err = process.communicate(request.encode(), timeout=self.limits.wall_seconds)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            return self._failure("timeout")
        return self._read_reply(process.returncode, out, err)

    def _read_reply(self, code: int, out: bytes, err: bytes) -> SandboxResult:
        lines = out.decode("ascii", "replace").strip().splitlines()
        if code == 0 and lines:
            try:
                reply = json.loads(lines[-1])
            except ValueError:
                reply = None
            if isinstance(reply, dict):
                return self._from_reply(reply)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return self._failure("cpu")
        tail = err.decode("utf-8", "replace").strip()[-400:]
        if "MemoryError" in tail or "Cannot allocate memory" in tail:
            return self._failure("memory")
        return SandboxResult(
            ok=False, kind="crash", error=f"sandbox crashed (exit status {code}): {tail or '-'}"
        )

    def _from_reply(self, reply: dict) -> SandboxResult:
        kind = reply.get("kind", "ok" if reply.get("ok") else "error")
        result = SandboxResult(
            ok=bool(reply.get("ok")),
            stdout=str(reply.get("stdout", "")),
            result=reply.get("result"),
            has_result=bool(reply.get("has_result")),
            kind=kind,
            error=str(reply.get("error", "")),
            refusals=list(reply.get("refusals", [])),
        )
        if kind in ("cpu", "memory"):
            limit = self._failure(kind)
            result.error = limit.error
        return result

    def _failure(self, kind: str) -> SandboxResult:
        limits = self.limits
        messages = {
            "timeout": f"sandbox limit: wall clock over {limits.wall_seconds:g} s (killed)",
            "cpu": f"sandbox limit: CPU time over {limits.cpu_seconds} s",
            "memory": f"sandbox limit: memory over {limits.memory_mb} MB (MemoryError)",
        }
        return SandboxResult(ok=False, kind=kind, error=messages[kind])


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
