"""`syncify(program)`: DSPy's reverse of `asyncify`, a module whose `aforward` is async made
callable from plain code (`program(...)` runs `aforward` to completion)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Coroutine
from types import MethodType
from typing import Any

from engine.modules.module import Module


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run `coro` to completion from synchronous code. Inside a running event loop (a notebook)
    it runs on its own loop in a helper thread, with the caller's context, and this call waits."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def runner() -> None:
        try:
            outcome["value"] = context.run(asyncio.run, coro)
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=runner, name="syncify", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class SyncWrapper(Module):
    """A module whose `forward` runs the wrapped program's `aforward`."""

    def __init__(self, program: Module) -> None:
        super().__init__()
        self.program = program

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return run_async(self.program.aforward(*args, **kwargs))


def syncify(program: Module, in_place: bool = True) -> Module:
    """`program` with a sync `forward` that runs its `aforward`: patched in place (default), or
    wrapped in a new `SyncWrapper` module with `in_place=False`."""
    aforward = getattr(type(program), "aforward", None)
    if not callable(aforward) or aforward is Module.aforward:
        raise TypeError(
            f"syncify needs a module with an async aforward() of its own, got {program!r} "
            "(a module's default aforward runs its forward: call the module directly)"
        )
    if not in_place:
        return SyncWrapper(program)

    def forward(self: Module, *args: Any, **kwargs: Any) -> Any:
        return run_async(self.aforward(*args, **kwargs))

    program.forward = MethodType(forward, program)  # type: ignore[method-assign]
    return program
