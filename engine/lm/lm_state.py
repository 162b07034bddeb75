"""LM helpers kept apart from `lm.py`: rebuilding an LM from its saved state, module call
history (DSPy's `module.history`) and running a call on a worker thread for async callers."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.core import settings

# never restored from a file: where requests go and what they carry (DSPy drops these too)
UNSAFE_LM_STATE_KEYS = ("api_key", "api_base", "base_url", "headers", "extra_headers", "model_list")
_CLASS_KEY = "_dspy_lm_class"
_ENGINE_LM = "engine.lm.lm.LM"

# the modules being called, outermost first (DSPy's settings.caller_modules; a variable of its
# own because setting it on every module call must be cheap)
CALLER_MODULES: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar(
    "tunesmith_caller_modules", default=()
)
MODULE_HISTORY_SIZE = 20  # calls a module keeps (optimizers hold many copies of a program)
_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


def _import_class(path: str) -> type:
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                target = getattr(target, name)
        except AttributeError:
            continue
        if isinstance(target, type):
            return target
    raise ImportError(f"Could not import the saved LM class `{path}`.")


def lm_from_state(
    cls: type, state: dict[str, Any], allow_custom_lm_class: bool, engine_lm: type
) -> Any:
    """Rebuild an LM from `LM.dump_state()` (`engine_lm`: the engine's LM class); DSPy's own
    class path means our LM."""
    data = {k: v for k, v in dict(state).items() if k not in UNSAFE_LM_STATE_KEYS}
    path = data.pop(_CLASS_KEY, None)
    target: type = cls
    if path and path not in (_ENGINE_LM, "dspy.clients.lm.LM"):
        if not allow_custom_lm_class:
            raise ValueError(
                f"Refusing to import the saved custom LM class `{path}`: pass "
                "allow_custom_lm_class=True (allow_unsafe_lm_state=True when loading a "
                "program) only for files you trust."
            )
        target = _import_class(path)
        if not issubclass(target, engine_lm):
            raise TypeError(f"The saved LM class `{path}` must be a subclass of engine.LM.")
    elif path:
        target = engine_lm
    return target(**data)


def record_module_history(entry: dict[str, Any], max_size: int) -> None:
    """Append one LM call's history entry to each module being called (DSPy's module.history)."""
    modules = CALLER_MODULES.get()
    if not modules or max_size <= 0:
        return
    max_size = min(max_size, MODULE_HISTORY_SIZE)
    for module in modules:
        history = module.__dict__.setdefault("history", [])
        history.append(entry)
        if len(history) > max_size:
            del history[: len(history) - max_size]


def _executor() -> ThreadPoolExecutor:
    size = max(1, int(settings.async_max_workers or 1))
    with _executors_lock:
        pool = _executors.get(size)
        if pool is None:
            pool = _executors[size] = ThreadPoolExecutor(size, thread_name_prefix="tunesmith-async")
        return pool


async def run_in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `fn(*args, **kwargs)` on one of `settings.async_max_workers` threads, inside a copy
    of the caller's context (its `engine.context(...)` overrides apply there)."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)
