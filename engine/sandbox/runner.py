"""Sandbox: run a piece of Python in a separate, confined process and read back its output.

The parent side. Each `run()` makes an empty temp dir, starts `python -I -S child.py` there
in a new session with an empty environment, sends the code as JSON on stdin, reads the child's
reply pipe and stderr with a cap on each (over it: the whole process group is killed, kind
"output"), waits up to the wall-clock limit (then kills the group), and turns the child's JSON
lines or its exit status into a `SandboxResult` with a message the LM can act on. The parent's
memory per run is bounded by the two caps. See docs/design/sandbox.md for the layers (Landlock,
seccomp, rlimits, uid drop, audit hook) and what each refuses. Where the kernel offers no
Landlock or seccomp the code does not run (`SandboxUnavailable`) unless the user opted in to the
audit hook alone (`TUNESMITH_SANDBOX_UNCONFINED=1`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from engine.sandbox.limits import UNCONFINED_ENV, SandboxLimits, SandboxResult, SandboxUnavailable

CHILD = str(Path(__file__).with_name("child.py"))
NOBODY = 65534
LAYERS = ("landlock", "seccomp", "audit-hook")
CHUNK = 65536
log = logging.getLogger("engine.sandbox")
_warned: set[str] = set()


class Sandbox:
    """`Sandbox(limits).run(code) -> SandboxResult`; safe to call from several threads.

    `preload`: extra standard-library modules loaded before the guard goes up (code may import
    only preloaded modules; the operations they offer are still checked by the guard and the
    kernel). `layers`: which of "landlock", "seccomp", "audit-hook" to apply, all by default;
    leaving one out runs as on a kernel (or a policy) without it, for tests and diagnosis."""

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        python: str | None = None,
        preload: tuple[str, ...] = (),
        layers: tuple[str, ...] = LAYERS,
    ) -> None:
        unknown = sorted(set(layers) - set(LAYERS))
        if unknown:
            raise ValueError(f"Sandbox: unknown layers {unknown}; known: {list(LAYERS)}")
        self.limits = limits or SandboxLimits()
        self.python = python or sys.executable
        self.preload = tuple(preload)
        self.layers = tuple(layers)

    def run(self, code: str) -> SandboxResult:
        """Run `code` in a fresh child process; never raises for anything the code does.
        SandboxUnavailable when the kernel cannot confine it and the user did not opt in."""
        if not isinstance(code, str):
            raise TypeError(f"Sandbox.run takes the code as a str, got {type(code).__name__}")
        root = tempfile.mkdtemp(prefix="tunesmith-sandbox-")
        started = time.perf_counter()
        try:
            if os.geteuid() == 0:  # the child drops to nobody: let it use its own dir
                os.chown(root, NOBODY, NOBODY)
            result = self._run_in(root, code)
        finally:
            _remove_tree(root)
        result.seconds = time.perf_counter() - started
        return result

    def _run_in(self, root: str, code: str) -> SandboxResult:
        request = json.dumps(
            {
                "code": code,
                "root": root,
                "limits": self.limits.to_dict(),
                "preload": self.preload,
                "layers": self.layers,
                "unconfined_ok": os.environ.get(UNCONFINED_ENV, "").strip() == "1",
            }
        )
        status = "crash"
        with subprocess.Popen(
            [self.python, "-I", "-S", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=root,
            env={"LC_ALL": "C.UTF-8"},
            start_new_session=True,
            close_fds=True,
        ) as process:
            try:
                status, out, err = self._exchange(process, request.encode())
            finally:
                if status != "done" or process.poll() is None:
                    _kill_group(process)  # on overflow or timeout, or if anything raised
                process.wait()
            lines = _Lines(out)
            if status == "done":
                result = self._read_reply(process.returncode, lines, err)
            else:
                result = self._failure(status)
        if result.kind == "unconfined":  # the child refused before the code existed
            raise SandboxUnavailable(_unconfined_words(lines.warnings))
        if lines.refusals:  # recorded before the code could act on them: they stand
            result.ok, result.kind, result.error = False, "refused", lines.refusals[0]
            result.refusals = list(dict.fromkeys([*lines.refusals, *result.refusals]))
        result.layers, result.warnings = lines.layers, lines.warnings
        _warn_once(result)
        return result

    def _exchange(self, process: subprocess.Popen, request: bytes) -> tuple[str, bytes, bytes]:
        """Send the request and read both pipes, each up to its cap, until the child closes
        them and exits or the deadline passes. Status: "done", "timeout", or "output-reply" /
        "output-stderr" when a cap was passed (the caller then kills the group)."""
        limits = self.limits
        deadline = time.monotonic() + limits.wall_seconds
        stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
        assert stdin is not None and stdout is not None and stderr is not None
        out, err = bytearray(), bytearray()
        reading = {
            stdout.fileno(): (out, limits.max_reply_kb * 1024, "output-reply"),
            stderr.fileno(): (err, limits.max_stderr_kb * 1024, "output-stderr"),
        }
        pending, stdin_fd = memoryview(request), stdin.fileno()
        with selectors.DefaultSelector() as selector:
            for fd in (*reading, stdin_fd):
                os.set_blocking(fd, False)
            selector.register(stdin_fd, selectors.EVENT_WRITE)
            for fd in reading:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timeout", bytes(out), bytes(err)
                for key, _ in selector.select(remaining):
                    if key.fd == stdin_fd:
                        try:
                            pending = pending[os.write(key.fd, pending[:CHUNK]) :]
                        except BlockingIOError:
                            continue
                        except OSError:  # the child is gone or closed its stdin
                            pending = pending[:0]
                        if not pending:
                            selector.unregister(key.fd)
                            stdin.close()
                        continue
                    try:
                        chunk = os.read(key.fd, CHUNK)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(key.fd)
                        continue
                    buffer, cap, overflow = reading[key.fd]
                    if len(buffer) + len(chunk) > cap:
                        return overflow, bytes(out), bytes(err)
                    buffer += chunk
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            return "timeout", bytes(out), bytes(err)
        return "done", bytes(out), bytes(err)

    def _read_reply(self, code: int, lines: _Lines, err: bytes) -> SandboxResult:
        if code == 0 and lines.reply is not None:
            return self._from_reply(lines.reply)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return self._failure("cpu")
        tail = err.decode("utf-8", "replace").strip()[-400:]
        if "MemoryError" in tail or "Cannot allocate memory" in tail:
            return self._failure("memory")
        return SandboxResult(
            ok=False, kind="crash", error=f"sandbox crashed (exit status {code}): {tail or '-'}"
        )

    def _from_reply(self, reply: dict) -> SandboxResult:
        kind = str(reply.get("kind", "ok" if reply.get("ok") else "error"))
        result = SandboxResult(
            ok=bool(reply.get("ok")),
            stdout=str(reply.get("stdout", "")),
            result=reply.get("result"),
            has_result=bool(reply.get("has_result")),
            kind=kind,
            error=str(reply.get("error", "")),
            refusals=_strings(reply.get("refusals")),
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
            "output-reply": f"sandbox limit: output over {limits.max_reply_kb} KB on the reply "
            "pipe (killed, the rest discarded)",
            "output-stderr": f"sandbox limit: output over {limits.max_stderr_kb} KB on stderr "
            "(killed, the rest discarded)",
        }
        return SandboxResult(ok=False, kind=kind.split("-")[0], error=messages[kind])


class _Lines:
    """The child's protocol lines (child.py): the first "confined" line, written before the
    code ran; every "refused" line, written by the hook before the code saw the refusal; the
    last "reply" line. Bytes that are not such lines are ignored."""

    def __init__(self, data: bytes) -> None:
        self.layers: list[str] = []
        self.warnings: list[str] = []
        self.refusals: list[str] = []
        self.reply: dict | None = None
        confined = False
        for raw in data.split(b"\n"):
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(line, dict):
                continue
            kind = line.get("t")
            if kind == "confined" and not confined:
                confined = True
                self.layers = _strings(line.get("layers"))
                self.warnings = _strings(line.get("warnings"))
            elif kind == "refused" and len(self.refusals) < 20:
                self.refusals.append(str(line.get("error", "sandbox refused")))
            elif kind == "reply":
                self.reply = line


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _unconfined_words(warnings: list[str]) -> str:
    return (
        "The code was not run: this machine's kernel cannot confine it ("
        + "; ".join(warnings or ["Landlock or seccomp missing"])
        + "). Without Landlock and seccomp, code can switch off the sandbox's in-process guard "
        "and then read your files or open network connections. Run on Linux 5.13 or newer on "
        f"x86_64, or accept the weaker sandbox knowingly: set {UNCONFINED_ENV}=1 "
        "(docs/design/sandbox.md)."
    )


def _remove_tree(root: str) -> None:
    """Delete the run's temp dir whatever the code left in it, without recursion: folders nested
    thousands deep are moved up to the top one by one, and each folder gets its owner's rights
    back before it is emptied (the code may have made it with mkdir(path, 0o300) or under a
    umask, which its owner, not being root, could not list or empty). Symlinks are removed,
    never followed. Never raises; stops when a pass removes nothing."""
    try:
        os.chmod(root, stat.S_IRWXU)
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        while any([_remove_entry(top, name, is_dir) for name, is_dir in _entries(top)]):
            pass
    finally:
        os.close(top)
    with contextlib.suppress(OSError):
        os.rmdir(root)


def _entries(folder: int) -> list[tuple[str, bool]]:
    """(name, is a folder and not a symlink) of each entry of an open folder."""
    with contextlib.suppress(OSError), os.scandir(folder) as found:
        return [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in found]
    return []


def _remove_entry(top: int, name: str, is_dir: bool) -> bool:
    """Remove one entry of the top folder, a folder once its files are removed and its folders
    moved up into the top (moving one rewrites its "..": it needs its rights back first)."""
    try:
        if is_dir:
            os.chmod(name, stat.S_IRWXU, dir_fd=top)
            folder = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top)
            try:
                for child, child_is_dir in _entries(folder):
                    if child_is_dir:
                        os.chmod(child, stat.S_IRWXU, dir_fd=folder)
                        os.rename(child, uuid.uuid4().hex, src_dir_fd=folder, dst_dir_fd=top)
                    else:
                        os.unlink(child, dir_fd=folder)
            finally:
                os.close(folder)
            os.rmdir(name, dir_fd=top)
        else:
            os.unlink(name, dir_fd=top)
    except OSError:
        return False
    return True


def _warn_once(result: SandboxResult) -> None:
    """Log, once per message, that the kernel did not enforce a layer."""
    for message in result.warnings:
        if message not in _warned:
            _warned.add(message)
            log.warning("sandbox: %s", message)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
