"""Global configuration with thread- and async-safe overrides.

`configure(...)` sets process-wide defaults; `context(...)` overrides them for the current
thread/task only (a `contextvars` layer). `parallel_map` (engine.core._parallel) copies the active
context into its worker threads, so overrides reach the engine's own thread pool.
Every key of DSPy 3.4's settings is accepted (docs/COMPATIBILITY.md says which differ).
"""

from __future__ import annotations

import contextvars
import logging
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_DEFAULTS: dict[str, Any] = {
    "lm": None,  # default LM; None means the embedded local model
    "adapter": None,  # default adapter; None means ChatAdapter
    "usage_trackers": (),  # UsageLedger objects that receive every LM call record
    "budget": None,  # object with before_call(role, model) -> None (raises BudgetExhausted)
    "judge_lm": None,  # LM of LLM-judged metrics (engine.metrics.Judge); None: the task LM
    "rm": None,  # retriever of engine.Retrieve: rm(query, k) -> passages (engine.retrievers)
    "lm_role": "task",  # role recorded for LM calls: task / proposer / judge
    "trace": None,  # list collecting (predictor, inputs, prediction) while bootstrapping
    "callbacks": (),  # BaseCallback objects notified of module, LM, adapter, tool calls
    "num_threads": 4,  # default thread count for Evaluate / optimizers
    "max_errors": None,  # default max_errors for Evaluate (None = unlimited)
    # True: a top-level module call's Prediction carries DSPy's per-LM usage
    # ({model: {prompt_tokens, ...}}); False: each Predict's own totals ({calls, ...})
    "track_usage": False,
    "usage_tracker": None,  # the active engine.lm.usage.UsageTracker (dspy.track_usage())
    "max_backtracks": 2,  # retries of a module whose Assert/Suggest failed (engine.Assert)
    # DSPy's other keys
    "disable_history": False,  # True: LMs and modules keep no call history
    "max_history_size": 10000,  # history kept per LM and per module (at most 200 and 20)
    "max_trace_size": 10000,  # most entries a trace list keeps
    "provide_traceback": False,  # default of Parallel / batch: log tracebacks of failures
    "async_max_workers": 8,  # threads asyncify runs programs on
    "send_stream": None,  # where streamify's status messages go (set by streamify)
    "stream_listeners": [],  # accepted; token streaming is not supported (engine.modules.streaming)
    "caller_predict": None,  # the Predict being called, if any
    "caller_modules": None,  # accepted; the modules being called: engine.lm.lm_state
    "branch_idx": 0,  # accepted for DSPy compatibility; unused
    "allow_tool_async_sync_conversion": False,  # accepted for DSPy compatibility
    "warn_on_type_mismatch": True,  # accepted for DSPy compatibility
    "interpreter_factory": None,  # replaces PythonInterpreter in code-running modules
}

# DSPy's `dspy.dsp.utils.settings.DEFAULT_CONFIG`: the defaults, for `configure(**...)`
DEFAULT_CONFIG: dict[str, Any] = dict(_DEFAULTS)

_overrides: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "tunesmith_settings_overrides", default=None
)


class Settings:
    """Read settings as attributes: `settings.lm`, `settings.adapter`, ...

    Also DSPy's dict-like reads (`settings["lm"]`, `settings.get("lm")`, `"lm" in settings`,
    `settings.config`), `settings.lm = x` (same as `configure(lm=x)`) and `save` / `load`.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_global", dict(_DEFAULTS))
        object.__setattr__(self, "_lock", threading.Lock())
        # the thread that first called configure: only it may change the defaults (DSPy's rule;
        # other threads use `context`)
        object.__setattr__(self, "_owner_thread", None)

    def __getattr__(self, name: str) -> Any:
        overrides = _overrides.get()
        if overrides is not None and name in overrides:
            return overrides[name]
        try:
            return self._global[name]
        except KeyError:
            if name.startswith("__"):
                raise AttributeError(name) from None
            raise AttributeError(f"unknown setting {name!r}; known: {sorted(_DEFAULTS)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.configure(**{name: value})

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        self.configure(**{name: value})

    def __contains__(self, name: object) -> bool:
        return name in _DEFAULTS

    def get(self, name: str, default: Any = None) -> Any:
        """A setting's value, or `default` for an unknown name."""
        try:
            return getattr(self, name)
        except AttributeError:
            return default

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    @property
    def config(self) -> dict[str, Any]:
        """The effective settings in this context (a copy)."""
        return self.snapshot()

    def copy(self) -> dict[str, Any]:
        return self.snapshot()

    def _check(self, kwargs: dict[str, Any]) -> None:
        unknown = set(kwargs) - set(_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")

    def configure(self, **kwargs: Any) -> None:
        """Set process-wide defaults, e.g. `configure(lm=LM("openai/gpt-4o-mini"))`.

        `inherit_config=` is accepted and ignored (DSPy 3.4 keeps it as a setting of its own);
        the keys given are updated, the others kept."""
        kwargs.pop("inherit_config", None)
        self._check(kwargs)
        me = threading.get_ident()
        with self._lock:
            if self._owner_thread is None:
                object.__setattr__(self, "_owner_thread", me)
            elif self._owner_thread != me:
                raise RuntimeError(
                    "dspy.settings can only be changed by the thread that initially configured "
                    "it; in other threads use `engine.context(...)` (dspy.context)."
                )
            self._global.update(kwargs)

    @contextmanager
    def context(self, **kwargs: Any) -> Iterator[None]:
        """Override settings inside a `with` block, for this thread/task only."""
        self._check(kwargs)
        current = _overrides.get() or {}
        token = _overrides.set({**current, **kwargs})
        try:
            yield
        finally:
            _overrides.reset(token)

    def reset(self) -> None:
        """Restore every default (for tests)."""
        with self._lock:
            self._global.clear()
            self._global.update(_DEFAULTS)
            object.__setattr__(self, "_owner_thread", None)

    def snapshot(self) -> dict[str, Any]:
        """The effective settings in this context."""
        return {name: getattr(self, name) for name in _DEFAULTS}

    def __repr__(self) -> str:
        return repr(self.snapshot())

    # saving ---------------------------------------------------------------------------
    def save(
        self,
        path: str | Path,
        modules_to_serialize: list[Any] | None = None,
        exclude_keys: list[str] | None = None,
    ) -> None:
        """Pickle the effective settings to `path` (DSPy's shape; stdlib pickle, so objects
        are saved by reference: their classes must be importable where they are loaded).
        `modules_to_serialize` is accepted and ignored (it needs cloudpickle)."""
        if modules_to_serialize:
            logger.warning("settings.save: modules_to_serialize needs cloudpickle; ignored")
        logger.warning(
            "settings are saved with pickle: load the file only from a source you trust"
        )
        excluded = set(exclude_keys or ())
        data = {k: v for k, v in self.snapshot().items() if k not in excluded}
        try:
            blob = pickle.dumps(data)
        except Exception as exc:
            raise RuntimeError(
                f"Saving failed with error: {exc}. Remove the values that cannot be pickled "
                "from the settings, or pass their keys in exclude_keys."
            ) from exc
        Path(path).write_bytes(blob)

    @classmethod
    def load(cls, path: str | Path, allow_pickle: bool = False) -> dict[str, Any]:
        """The settings dict saved by `save` (pass it to `configure(**...)`).

        Refuses unless `allow_pickle=True`: unpickling a file can run arbitrary code."""
        if not allow_pickle:
            raise ValueError(
                "Loading .pkl files can run arbitrary code, which may be dangerous. "
                "Set `allow_pickle=True` if you trust the source of the file."
            )
        with open(path, "rb") as handle:
            return pickle.load(handle)  # noqa: S301 (allowed explicitly by the caller)


settings = Settings()


def record_trace(*entries: Any) -> None:
    """Add (predictor, inputs, prediction) entries to the active trace, if one is being
    collected (`settings.trace` is a list), keeping its last `settings.max_trace_size`."""
    trace = settings.trace
    if trace is None:
        return
    limit = settings.max_trace_size
    if limit is not None and limit <= 0:
        return
    trace.extend(entries)
    if limit is not None and len(trace) > limit:
        del trace[: len(trace) - limit]
configure = settings.configure
context = settings.context
