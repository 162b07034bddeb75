"""Callbacks, DSPy's shape: subclass `BaseCallback` and pass it in `configure(callbacks=[...])`
or a module's / LM's `callbacks=`. Handlers are told of module calls, LM calls and (where the
caller decorates them) adapter, tool and evaluation calls. A handler that raises is logged and
never stops the call."""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from typing import Any

from engine.core._settings import settings

logger = logging.getLogger(__name__)

ACTIVE_CALL_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tunesmith_active_call_id", default=None
)


class BaseCallback:
    """Override the handlers you need; each start has `(call_id, instance, inputs)`, each end
    `(call_id, outputs, exception)` (outputs None when the call raised)."""

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """A module (or Predict) is called; `inputs` is `{"args": ..., "kwargs": ...}`."""

    def on_module_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """A module call ended."""

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """An LM is called; `inputs` is `{"prompt", "messages", "kwargs"}`."""

    def on_lm_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """An LM call ended; `outputs` is its list of texts."""

    def on_adapter_format_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """An adapter's format() is called."""

    def on_adapter_format_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """An adapter's format() ended."""

    def on_adapter_parse_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """An adapter's parse() is called."""

    def on_adapter_parse_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """An adapter's parse() ended."""

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """A tool is called."""

    def on_tool_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """A tool call ended."""

    def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """An evaluation starts."""

    def on_evaluate_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """An evaluation ended."""

    def on_compile_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """An optimizer's compile starts."""

    def on_compile_end(
        self, call_id: str, outputs: Any | None, exception: BaseException | None = None
    ) -> None:
        """An optimizer's compile ended."""


def _kind(instance: Any, fn_name: str) -> str:
    """Which handler pair an instance's method call goes to (module, lm, tool, ...)."""
    names = {cls.__name__ for cls in type(instance).__mro__}
    modules = {cls.__module__ for cls in type(instance).__mro__}
    if "LM" in names or "BaseLM" in names:
        return "lm"
    if fn_name == "compile":
        return "compile"
    if "Evaluate" in names:
        return "evaluate"
    if "Tool" in names and "engine.adapters.types.tool" in modules:
        return "tool"
    if "Adapter" in names and fn_name in ("format", "parse"):
        return f"adapter_{fn_name}"
    if "Optimizer" in names or "Teleprompter" in names:
        return "compile"
    return "module"


def active_callbacks(instance: Any) -> list[Any]:
    """The settings' callbacks, then the instance's own."""
    configured = settings.callbacks
    own = getattr(instance, "callbacks", None)
    if not configured and not own:
        return []
    return [*(configured or ()), *(own or ())]


def _call_inputs(fn: Callable[..., Any], instance: Any, args: tuple, kwargs: dict) -> dict:
    try:
        inputs = inspect.getcallargs(fn, instance, *args, **kwargs)
    except TypeError:
        return {"args": args, "kwargs": kwargs}
    inputs.pop("self", None)
    return inputs


def _notify(callbacks: list[Any], handler: str, **kwargs: Any) -> None:
    for callback in callbacks:
        method = getattr(callback, handler, None)
        if method is None:
            continue
        try:
            method(**kwargs)
        except Exception as exc:  # a broken handler never stops the program
            logger.warning("Error when calling callback %r (%s): %s", callback, handler, exc)


class _Heard:
    """A call `callbacks` hear of: `on_<kind>_start` when made, `on_<kind>_end` when it ends
    (`outputs` None when it raised); `ACTIVE_CALL_ID` is its id inside the `with` block."""

    def __init__(self, callbacks: list[Any], kind: str, instance: Any, inputs: dict) -> None:
        self.callbacks, self.kind = callbacks, kind
        self.call_id = uuid.uuid4().hex
        self.outputs: Any = None
        _notify(callbacks, f"on_{kind}_start", call_id=self.call_id, instance=instance,
                inputs=inputs)  # fmt: skip

    def __enter__(self) -> _Heard:
        self.token = ACTIVE_CALL_ID.set(self.call_id)
        return self

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        ACTIVE_CALL_ID.reset(self.token)
        _notify(self.callbacks, f"on_{self.kind}_end", call_id=self.call_id,
                outputs=self.outputs, exception=error)  # fmt: skip


def call_heard(
    callbacks: list[Any], kind: str, instance: Any, inputs: dict[str, Any],
    run: Callable[[], Any],
) -> Any:
    """`run()` with `callbacks` told of it (`on_<kind>_start` with `inputs`, `on_<kind>_end`):
    for calls that are not a decorated method (an adapter's format and parse). The caller checks
    `active_callbacks` first, so a call nobody listens to costs nothing here."""  # fmt: skip
    with _Heard(callbacks, kind, instance, inputs) as heard:
        heard.outputs = run()
    return heard.outputs


_OUTERMOST: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "tunesmith_outermost_calls", default=frozenset()
)


def with_callbacks_once(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`with_callbacks` for a method that overrides call `super()`'s: only the outermost call
    on an instance is heard (an optimizer's `compile` calling its base's)."""
    heard = with_callbacks(fn)

    @functools.wraps(fn)
    def wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
        active = _OUTERMOST.get()
        if id(instance) in active:
            return fn(instance, *args, **kwargs)
        token = _OUTERMOST.set(active | {id(instance)})
        try:
            return heard(instance, *args, **kwargs)
        finally:
            _OUTERMOST.reset(token)

    wrapper.__wrapped_once__ = True  # type: ignore[attr-defined]
    return wrapper


def with_callbacks(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an instance method (sync or async) so active callbacks hear of its calls."""

    def heard(instance: Any, args: tuple, kwargs: dict) -> _Heard | None:
        callbacks = active_callbacks(instance)
        if not callbacks:
            return None
        inputs = _call_inputs(fn, instance, args, kwargs)
        return _Heard(callbacks, _kind(instance, fn.__name__), instance, inputs)

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
            call = heard(instance, args, kwargs)
            if call is None:
                return await fn(instance, *args, **kwargs)
            with call:
                call.outputs = await fn(instance, *args, **kwargs)
            return call.outputs

        return async_wrapper

    @functools.wraps(fn)
    def sync_wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
        call = heard(instance, args, kwargs)
        if call is None:
            return fn(instance, *args, **kwargs)
        with call:
            call.outputs = fn(instance, *args, **kwargs)
        return call.outputs

    return sync_wrapper
