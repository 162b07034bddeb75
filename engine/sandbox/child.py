"""The sandbox child: run one piece of Python under OS limits and the audit-hook policy.

Started as `python -I -S child.py` in an empty temp dir (standard library only, no site). It
reads {"code", "root", "limits"} as JSON on stdin, preloads the modules code may import, drops
root privileges, sets resource limits, installs the guard (guard.py), runs the code with its
prints captured, and writes {"ok", "stdout", "result", ...} as one JSON line to the pipe it
was given as stdout. Nothing here is imported by the engine itself.
"""

from __future__ import annotations

import ast
import io
import json
import os
import resource
import signal
import sys

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


def _drop_privileges(root: str) -> None:
    if os.geteuid() != 0:
        return
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


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


def main() -> None:
    request = json.loads(sys.stdin.read())
    result_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stray writes to fd 1 cannot corrupt the reply; fd 2 stays for crashes
    root = os.path.realpath(request["root"])
    os.chdir(root)
    _preload(request.get("preload", []))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import guard

    sys.path.pop(0)
    sys.modules.pop("guard", None)
    _drop_privileges(root)
    _set_limits(request["limits"])
    get_refusals = guard.install(root)
    reply = _run(request["code"], get_refusals)
    limit = int(request["limits"]["max_output_chars"])
    if len(reply["stdout"]) > limit:
        reply["stdout"] = reply["stdout"][:limit] + f"\n... (output cut at {limit} characters)"
    text = json.dumps(reply, ensure_ascii=True, default=repr)
    if len(text) > 4 * limit:
        reply["result"] = repr(reply.get("result"))[:limit]
        text = json.dumps(reply, ensure_ascii=True, default=repr)
    data = (text + "\n").encode("ascii")
    while data:
        data = data[os.write(result_fd, data) :]


if __name__ == "__main__":
    main()
