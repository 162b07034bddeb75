"""The audit-hook policy installed in the sandbox child (standard library only).

`install(root)` adds a `sys.addaudithook` hook, which cannot be removed for the rest of the
process's life. It refuses file access outside `root`, links, network, new processes, ctypes,
resource-limit changes, frame/trace introspection and imports of modules not already loaded.
Every refusal is first sent to the parent (the `report` callback writes it to the reply pipe)
and then raised as `SandboxRefused`, so a run that swallows the exception, or tampers with this
module afterwards, is still reported as refused.

This is the second layer. The hook runs in the same interpreter as the code it polices, so
code that reaches its frame or globals can switch it off; the boundary is the OS one applied
before the code starts (confine.py: Landlock, seccomp). See docs/design/sandbox.md.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

PROCESS_EVENTS = frozenset(
    {
        "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty",
        "os.kill", "os.killpg", "subprocess.Popen", "pty.spawn", "os.startfile",
        "_posixsubprocess.fork_exec",
    }
)  # fmt: skip
PATH_EVENTS = frozenset(
    {
        "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
        "os.utime", "os.listdir", "os.scandir", "os.chdir", "os.chflags", "os.lchflags",
        "os.mkfifo", "os.mknod", "shutil.rmtree", "shutil.copyfile", "shutil.copymode",
        "shutil.copystat", "shutil.copytree", "shutil.move", "os.getxattr", "os.setxattr",
        "os.listxattr", "os.removexattr",
    }
)  # fmt: skip
READ_ONLY_PATH_EVENTS = frozenset({"os.listdir", "os.scandir", "os.chdir", "os.getxattr"})
INTROSPECTION_EVENTS = frozenset(
    {
        "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile",
        "sys._current_exceptions", "resource.setrlimit", "resource.prlimit", "mmap.__new__",
        "os.link", "os.symlink", "os.putenv", "os.unsetenv",
    }
)  # fmt: skip
MODULE_KINDS = {
    "network access": frozenset(
        {"socket", "_socket", "ssl", "_ssl", "http", "urllib", "ftplib", "smtplib", "poplib",
         "imaplib", "telnetlib", "xmlrpc", "socketserver", "asyncio", "select", "selectors"}
    ),
    "starting a process": frozenset(
        {"subprocess", "_posixsubprocess", "multiprocessing", "pty", "concurrent", "os.spawn"}
    ),
    "native code through ctypes": frozenset({"ctypes", "_ctypes", "cffi"}),
}  # fmt: skip
MAX_SHOWN = 200  # characters of a path shown in a message
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class SandboxRefused(PermissionError):
    """Raised inside the sandbox when the policy refuses an operation."""


def _is_write(mode: object, flags: object) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def _inside(root: str, path: object) -> bool:
    if isinstance(path, int):
        return True  # an already open descriptor: only the ones the child was given exist
    try:
        text = os.fsdecode(os.fspath(path))  # type: ignore[arg-type]
    except TypeError:
        return False
    real = os.path.realpath(os.path.join(os.getcwd(), text))
    return real == root or real.startswith(root + os.sep)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "...'"


def _describe(event: str, args: tuple, root: str) -> str | None:
    """The refusal message for an event, or None when the event is allowed."""
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if _inside(root, path):
            return None
        action = "writing" if _is_write(mode, flags) else "reading"
        return f"{action} outside the sandbox directory (open {_short(path)})"
    if event in PATH_EVENTS:
        if all(_inside(root, a) for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))):
            return None
        action = "reading" if event in READ_ONLY_PATH_EVENTS else "writing"
        return f"{action} outside the sandbox directory ({event} {_short(args[0])})"
    if event.startswith("socket.") or event in ("urllib.Request", "http.client.connect"):
        return f"network access ({event})"
    if event in PROCESS_EVENTS:
        return f"starting a process ({event})"
    if event.startswith("ctypes."):
        return f"native code through ctypes ({event})"
    if event == "import":
        name = str(args[0])[:MAX_SHOWN]
        for kind, modules in MODULE_KINDS.items():
            if name.split(".")[0] in modules:
                return f"{kind} (import {name})"
        return f"importing module {name!r} (only preloaded modules may be imported)"
    if event in INTROSPECTION_EVENTS:
        return f"{event} is not allowed"
    return None


def install(root: str, report: Callable[[str], None] | None = None) -> Callable[[], list[str]]:
    """Install the hook for the sandbox directory `root`; returns a getter of the refusals.
    `report(message)` is called with each of the first 20 refusals before it is raised."""
    root = os.path.realpath(root)
    refusals: list[str] = []

    def hook(event: str, args: tuple) -> None:
        if event in ("exec", "compile", "builtins.id", "marshal.loads"):
            return
        message = _describe(event, args, root)
        if message is not None:
            message = "sandbox refused: " + message
            if len(refusals) < 20:
                refusals.append(message)
                if report is not None:
                    report(message)
            raise SandboxRefused(message)

    sys.addaudithook(hook)
    return lambda: list(refusals)
