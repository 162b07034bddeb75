"""The sandbox child: run one piece of Python under OS confinement, limits and the audit hook.

Started as `python -I -S child.py` in an empty temp dir (standard library only, no site). It
reads {"code", "root", "limits", "preload", "layers"} as JSON on stdin, preloads the modules
code may import, drops root privileges, confines itself (confine.py: Landlock, then a seccomp
filter; from then on the kernel refuses every file outside the temp dir, sockets, signals to
other processes, new processes), sets resource limits, installs the audit hook (guard.py), runs
the code with its prints captured, and writes JSON lines to the pipe it was given as stdout:

    {"t": "confined", "layers": [...], "warnings": [...]}   before the code runs
    {"t": "refused", "error": "sandbox refused: ..."}       at each refusal, before it is raised
    {"t": "reply", "ok": ..., "stdout": ..., "result": ...} after the code

When Landlock or seccomp was asked for and the kernel did not apply it, the code does not run
(reply kind "unconfined") unless the request says the user opted in ("unconfined_ok").

Each line starts with a newline, so bytes the code wrote to the pipe cannot merge with it. The
parent trusts the first "confined" line (written before the code could write) and every
"refused" line; a forged "reply" can only carry a value the code chose. Nothing here is
imported by the engine itself.
"""

from __future__ import annotations

import ast
import io
import json
import os
import resource
import signal
import sys
from typing import Any

PRELOADED = (
    "math", "cmath", "json", "re", "random", "statistics", "fractions", "decimal", "datetime",
    "_strptime", "itertools", "functools", "collections", "string", "operator", "heapq",
    "bisect", "textwrap", "copy", "time", "typing", "dataclasses", "numbers", "unicodedata",
    "encodings.idna",
)  # fmt: skip
NOBODY = 65534


class CPULimitExceeded(BaseException):
    """Raised by the SIGXCPU handler; a BaseException so `except Exception` cannot hide it."""


def _on_cpu_limit(signum: int, frame: object) -> None:
    raise CPULimitExceeded("CPU time limit reached")


def _preload(extra: list[str]) -> None:
    for name in (*PRELOADED, *extra):
        __import__(name)


def _send(fd: int, message: dict) -> None:
    """One protocol line; a leading newline ends whatever the code may have left unfinished."""
    data = ("\n" + json.dumps(message, ensure_ascii=True, default=repr) + "\n").encode("ascii")
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        pass  # the code closed or replaced the pipe; the parent reports what it received


def _confine(confine: Any, root: str, layers: list[str]) -> tuple[list[str], list[str]]:
    """Apply the kernel layers asked for; returns (layers applied, warnings). A layer the
    kernel lacks is a warning, not a failure: the audit hook still runs."""
    applied: list[str] = []
    warnings = [
        f"{layer} left out (Sandbox layers={layers})"
        for layer in ("landlock", "seccomp", "audit-hook")
        if layer not in layers
    ]
    wanted = [layer for layer in ("landlock", "seccomp") if layer in layers]
    if not wanted:
        return applied, warnings
    if isinstance(confine, str):
        return applied, [*warnings, f"not confined: {confine}"]
    if not confine.single_threaded():
        return applied, [*warnings, "not confined: the child has several threads"]
    try:
        confine.no_new_privs()
    except OSError as exc:
        return applied, [*warnings, f"not confined: prctl(PR_SET_NO_NEW_PRIVS) failed ({exc})"]
    unavailable = (confine.ConfinementUnavailable, OSError)
    if "landlock" in wanted:
        try:
            done = confine.landlock(root)
        except unavailable as exc:
            warnings.append(f"no Landlock ({exc}): only the audit hook refuses files outside")
        else:
            abi = done["abi"]
            applied.append(f"landlock-fs (ABI {abi})")
            if done["net"]:
                applied.append("landlock-net")
            else:
                warnings.append(f"Landlock ABI {abi} has no TCP rules (seccomp refuses sockets)")
            if done["scoped"]:
                applied.append("landlock-scope")
            else:
                warnings.append(f"Landlock ABI {abi} does not scope signals or abstract sockets")
    if "seccomp" in wanted:
        try:
            confine.seccomp()
        except unavailable as exc:
            warnings.append(
                f"no seccomp filter ({exc}): only the audit hook and rlimits refuse sockets, "
                "ptrace and new processes"
            )
        else:
            applied.append("seccomp")
    return applied, warnings


def _drop_privileges(root: str) -> bool:
    if os.geteuid() != 0:
        return False
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    return True


def _set_limits(limits: dict) -> None:
    mb = 1024 * 1024
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(limits["memory_mb"]) * mb
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = int(limits["file_size_mb"]) * mb
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    files = int(limits["open_files"])
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
    signal.signal(signal.SIGXCPU, _on_cpu_limit)


def _split_last_expression(code: str) -> tuple[object, object]:
    """Compile the code; its last statement, if an expression, separately for its value."""
    tree = ast.parse(code, "<sandbox>")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, "<sandbox>", "exec")
    return body, compile(last, "<sandbox>", "eval") if last is not None else None


def _plain(value: object) -> object:
    """A JSON-ready form of a result value."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _run(code: str, get_refusals) -> dict:
    captured = io.StringIO()
    submitted: list = []

    def submit(*args: object, **kwargs: object) -> None:
        """SUBMIT({"answer": ...}) or SUBMIT(answer=...): the run's result."""
        submitted[:] = [kwargs if kwargs else (args[0] if len(args) == 1 else list(args))]

    namespace = {"__name__": "__main__", "SUBMIT": submit}
    out: dict = {"ok": True, "has_result": False}
    sys.stdout = sys.stderr = captured
    try:
        body, last = _split_last_expression(code)
        exec(body, namespace)  # noqa: S102 - this process is the sandbox
        value = eval(last, namespace) if last is not None else None  # noqa: S307
        if submitted:
            out.update(result=_plain(submitted[0]), has_result=True)
        elif last is not None and value is not None:
            out.update(result=_plain(value), has_result=True)
    except CPULimitExceeded:
        out.update(ok=False, kind="cpu", error="CPU time limit reached")
    except MemoryError:
        out.update(ok=False, kind="memory", error="memory limit reached (MemoryError)")
    except RecursionError as exc:
        out.update(ok=False, kind="error", error=f"RecursionError: {exc}")
    except SyntaxError as exc:
        out.update(ok=False, kind="error", error=f"SyntaxError: {exc.msg} (line {exc.lineno})")
    except BaseException as exc:  # noqa: BLE001 - everything the code raised is reported
        out.update(ok=False, kind="error", error=f"{type(exc).__name__}: {exc}")
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    refusals = get_refusals()
    if refusals:
        out.update(ok=False, kind="refused", error=refusals[0], refusals=refusals)
    out["stdout"] = captured.getvalue()
    return out


def _fit(reply: dict, limits: dict) -> dict:
    """Cut the printed output and the result so the reply line stays well inside the parent's
    cap on the pipe (which would otherwise kill the run as an output overflow)."""
    limit = int(limits["max_output_chars"])
    reply["error"] = str(reply.get("error", ""))[:limit]
    if len(reply["stdout"]) > limit:
        reply["stdout"] = reply["stdout"][:limit] + f"\n... (output cut at {limit} characters)"
    room = int(limits["max_reply_kb"]) * 1024 // 2
    text = json.dumps(reply, ensure_ascii=True, default=repr)
    if len(text) > min(4 * limit, room):
        reply["result"] = repr(reply.get("result"))[:limit]
    while len(json.dumps(reply, ensure_ascii=True, default=repr)) > room and limit > 100:
        limit //= 2
        reply["stdout"] = reply["stdout"][:limit] + f"\n... (output cut at {limit} characters)"
        reply["result"] = repr(reply.get("result"))[:limit]
        reply["error"] = reply["error"][:limit]
    return reply


def main() -> None:
    request = json.loads(sys.stdin.read())
    result_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stray writes to fd 1 cannot corrupt the reply; fd 2 stays for crashes
    os.close(devnull)
    root = os.path.realpath(request["root"])
    os.chdir(root)
    _preload(request.get("preload", []))
    allowed = set(sys.modules)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import guard

    layers = list(request.get("layers", ("landlock", "seccomp", "audit-hook")))
    confine: Any = None
    if "landlock" in layers or "seccomp" in layers:
        try:
            import confine  # ctypes: loaded now, while files can still be read
        except (ImportError, OSError) as exc:  # no ctypes on this Python
            confine = f"confine.py could not be loaded ({exc})"
    sys.path.pop(0)
    dropped = _drop_privileges(root)
    applied, warnings = _confine(confine, root, layers)
    del confine
    _set_limits(request["limits"])
    applied.append("rlimits")
    if dropped:
        applied.append("uid-nobody")
    for name in set(sys.modules) - allowed:  # ctypes, struct, guard, confine: not for the code
        del sys.modules[name]
    get_refusals = lambda: []  # noqa: E731
    if "audit-hook" in layers:
        get_refusals = guard.install(root, lambda message: _send(result_fd, _refused(message)))
        applied.append("audit-hook")
    del guard
    _send(result_fd, {"t": "confined", "layers": applied, "warnings": warnings})
    kernel = {"landlock": "landlock-fs", "seccomp": "seccomp"}
    missing = [k for k, done in kernel.items() if k in layers and not _applied(applied, done)]
    if missing and not request.get("unconfined_ok"):
        _send(result_fd, {"t": "reply", "ok": False, "kind": "unconfined", "error": str(missing)})
        return
    reply = _fit(_run(request["code"], get_refusals), request["limits"])
    _send(result_fd, {"t": "reply", **reply})


def _applied(applied: list[str], layer: str) -> bool:
    return any(name.startswith(layer) for name in applied)


def _refused(message: str) -> dict:
    return {"t": "refused", "error": message}


if __name__ == "__main__":
    main()
