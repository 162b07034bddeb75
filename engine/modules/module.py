"""Module: a tree of sub-modules whose learnable leaves are Predict objects (a `Parameter`)."""

from __future__ import annotations

import copy
import json
import logging
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.core import Prediction, StateMismatchError, settings, with_callbacks
from engine.lm.history_view import render_history
from engine.lm.lm_state import CALLER_MODULES, run_in_thread
from engine.lm.usage import track_usage
from engine.modules import saving
from engine.modules._parameter import Parameter
from engine.modules.attempts.parallel import Parallel
from engine.modules.backtracking import call_with_backtracking

logger = logging.getLogger(__name__)

_NOT_WALKED = frozenset({"callbacks", "history"})  # per-call bookkeeping, never sub-modules


class Module:
    """Base class of programs. Subclasses set sub-modules in `__init__` and define `forward`
    (and, optionally, `aforward` for `acall`). `callbacks=` are told of this module's calls."""

    callbacks: list[Any] = []  # class default: a module whose __init__ skips super() has none
    _compiled: bool = False  # DSPy's flag: named_sub_modules(skip_compiled=True) skips True ones

    def __init__(self, callbacks: list[Any] | None = None) -> None:
        self.callbacks = list(callbacks or [])

    @property
    def history(self) -> list[dict[str, Any]]:
        """The LM calls made while this module ran, newest last (DSPy's `module.history`;
        empty while `disable_history` is set)."""
        return self.__dict__.setdefault("history", [])

    @history.setter
    def history(self, value: list[dict[str, Any]]) -> None:
        self.__dict__["history"] = value

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    @with_callbacks
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`forward(...)`; a composite module retries it when an Assert or Suggest fails
        (engine.modules.backtracking). A Predict has no constraints of its own: it runs as is.
        With `track_usage` on, the Prediction carries the call's usage per LM (as DSPy)."""
        token = CALLER_MODULES.set((*CALLER_MODULES.get(), self))
        try:
            if settings.track_usage and settings.usage_tracker is None:
                with track_usage() as tracker:
                    output = self._forward_with_backtracking(args, kwargs)
                _set_usage(output, tracker.get_total_tokens())
                return output
            return self._forward_with_backtracking(args, kwargs)
        finally:
            CALLER_MODULES.reset(token)

    @with_callbacks
    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        """`await module.acall(...)`: `aforward(...)`, with callbacks and usage as `__call__`."""
        token = CALLER_MODULES.set((*CALLER_MODULES.get(), self))
        try:
            if settings.track_usage and settings.usage_tracker is None:
                with track_usage() as tracker:
                    output = await self.aforward(*args, **kwargs)
                _set_usage(output, tracker.get_total_tokens())
                return output
            return await self.aforward(*args, **kwargs)
        finally:
            CALLER_MODULES.reset(token)

    async def aforward(self, *args: Any, **kwargs: Any) -> Any:
        """By default `forward` (with backtracking) on a worker thread, with this context's
        settings; override it with native async code (`await self.step.acall(...)`)."""
        return await run_in_thread(self._forward_with_backtracking, args, kwargs)

    def _forward_with_backtracking(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        if getattr(self, "runs_without_backtracking", False):
            return self.forward(*args, **kwargs)
        return call_with_backtracking(self, args, kwargs)

    def inspect_history(self, n: int = 1) -> str:
        """This module's last `n` LM calls as readable text (like `LM.inspect_history`)."""
        history = list(self.__dict__.get("history", []))
        return render_history(history[-n:] if n > 0 else [])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("history", None)  # as DSPy: copies and pickles keep neither
        state.pop("callbacks", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # tree walking ----------------------------------------------------------------------
    def named_sub_modules(
        self, type_: type | None = None, skip_compiled: bool = False
    ) -> Iterator[tuple[str, Any]]:
        """DSPy's walk: `("self", self)` then every module below (breadth first) through
        attributes, lists, tuples and dicts, named like `self.steps[0].predict`; only those of
        `type_` (default Module); `skip_compiled` does not enter modules marked `_compiled`."""
        wanted = type_ or Module
        queue: deque[tuple[str, Any]] = deque([("self", self)])
        seen = {id(self)}
        while queue:
            name, item = queue.popleft()
            if isinstance(item, wanted):
                yield name, item
            if isinstance(item, Module):
                if skip_compiled and getattr(item, "_compiled", False):
                    continue
                children = [(f"{name}.{k}", v) for k, v in vars(item).items()
                            if k not in _NOT_WALKED]  # fmt: skip
            elif isinstance(item, (list, tuple)):
                children = [(f"{name}[{i}]", v) for i, v in enumerate(item)]
            elif isinstance(item, dict):
                children = [(f"{name}[{k}]", v) for k, v in item.items()]
            else:
                continue
            for child_name, child in children:
                if id(child) not in seen:
                    seen.add(id(child))
                    queue.append((child_name, child))

    def _modules_below(self) -> Iterator[tuple[str, Module]]:
        """Every module below this one (depth first), with its dotted path (`steps[0].x`)."""
        seen: set[int] = {id(self)}
        yield from _walk(self, "", seen)

    def parameters(self) -> list[Any]:
        """What `named_parameters()` lists, without the names (DSPy's `parameters()`)."""
        return [part for _, part in self.named_parameters()]

    def named_predictors(self) -> list[tuple[str, Any]]:
        """Every Predict in the program with its path (`self` for a bare Predict)."""
        if isinstance(self, Parameter):
            return [("self", self)]
        return [(path, m) for path, m in self._modules_below() if isinstance(m, Parameter)]

    def predictors(self) -> list[Any]:
        return [p for _, p in self.named_predictors()]

    def child_modules(self) -> list[Module]:
        """The modules directly below this one (in attributes, lists and dicts), not deeper."""
        seen: set[int] = {id(self)}
        return [m for path, m in _walk(self, "", seen) if "." not in _outer(path)]

    def lm_calls_per_run(self) -> int:
        """Most LM calls one call of this module makes (an upper bound for the pre-flight
        estimate): by default the sum over its child modules, so one per predictor. Modules
        that call a child several times (BestOfN, a sampled or multi-chain step) say so."""
        return sum(child.lm_calls_per_run() for child in self.child_modules())

    def named_parameters(self) -> list[tuple[str, Any]]:
        """What the saved state holds, in DSPy's order: every Predict and every sub-module that
        keeps a state of its own (`saves_own_state`, e.g. Retrieve's k)."""
        if isinstance(self, Parameter):
            return [("self", self)]
        return [
            (path, m)
            for path, m in self._modules_below()
            if isinstance(m, Parameter) or getattr(m, "saves_own_state", False)
        ]

    # copies and LMs -----------------------------------------------------------------------
    def deepcopy(self) -> Module:
        """A deep copy that shares LM objects (they hold loaded models and caches).

        As in DSPy, an attribute that cannot be deep-copied (a lock, a client) falls back to a
        shallow copy of it, or to the object itself when even that fails; sub-modules are
        still deep-copied."""
        shared: dict[int, Any] = {}
        for _, module in [("", self), *self._modules_below()]:
            lm = getattr(module, "lm", None)
            if lm is not None:
                shared[id(lm)] = lm
        try:
            return copy.deepcopy(self, dict(shared))
        except Exception:  # noqa: BLE001 - any failure: copy attribute by attribute instead
            return _copy_by_attribute(self, dict(shared))

    def reset_copy(self) -> Module:
        """A deep copy with every predictor's demos cleared (each keeps its own LM)."""
        new = self.deepcopy()
        for predictor in new.predictors():
            clear = getattr(predictor, "clear_learned", None)
            (clear or predictor.reset)()
        return new

    def set_lm(self, lm: Any) -> None:
        for predictor in self.predictors():
            predictor.lm = lm

    def get_lm(self) -> Any:
        lms = {id(p.lm): p.lm for p in self.predictors() if p.lm is not None}
        if len(lms) > 1:
            raise ValueError("predictors use different LMs; ask each predictor for its lm")
        return next(iter(lms.values()), None) or settings.lm

    def batch(
        self,
        examples: list[Any],
        num_threads: int | None = None,
        max_errors: int | None = None,
        return_failed_examples: bool = False,
        provide_traceback: bool | None = None,
        disable_progress_bar: bool = False,
        timeout: float | None = None,
        straggler_limit: int = 3,
    ) -> Any:
        """Run the program on many examples in parallel (`Parallel`, DSPy's arguments): a
        failure gives None; past `max_errors` failures it raises TooManyErrors."""
        executor = Parallel(
            num_threads=num_threads,
            max_errors=max_errors,
            return_failed_examples=return_failed_examples,
            provide_traceback=provide_traceback,
            disable_progress_bar=disable_progress_bar,
            timeout=timeout,
            straggler_limit=straggler_limit,
        )
        return executor.forward([(self, example) for example in examples])

    # state --------------------------------------------------------------------------------
    def dump_state(self) -> dict[str, Any]:
        """{predictor path: predictor state}, or the predictor's own state for a bare Predict."""
        if isinstance(self, Parameter):
            return self.dump_predictor_state()
        return {path: _part_state(p) for path, p in self.named_parameters()}

    def load_state(self, state: dict[str, Any], allow_unsafe_lm_state: bool = False) -> Module:
        """Restore a state from `dump_state()`; `allow_unsafe_lm_state=True` lets a predictor's
        saved LM name a custom LM class (only for states you trust)."""
        token = saving.ALLOW_UNSAFE_LM_STATE.set(
            allow_unsafe_lm_state or saving.ALLOW_UNSAFE_LM_STATE.get()
        )
        try:
            return self._load_state(state)
        finally:
            saving.ALLOW_UNSAFE_LM_STATE.reset(token)

    def _load_state(self, state: dict[str, Any]) -> Module:
        if isinstance(self, Parameter):
            self.load_predictor_state(state)
            return self
        named = dict(self.named_parameters())
        unknown = [k for k in state if k != "metadata" and k not in named]
        missing = [k for k in named if k not in state and isinstance(named[k], Parameter)]
        if unknown or missing:
            raise StateMismatchError(
                f"saved state does not match this program: unknown predictors {unknown}, "
                f"missing predictors {missing}; program has {list(named)}"
            )
        for path, part in named.items():
            if isinstance(part, Parameter):
                part.load_predictor_state(state[path])
            elif path in state:
                part.load_state(state[path])
        return self

    def save(
        self,
        path: str | Path,
        save_program: bool = False,
        modules_to_serialize: list[Any] | None = None,
    ) -> None:
        """Write the program state as JSON (same shape as DSPy's save()); a `.pkl` path
        pickles it; `save_program=True` writes the whole program into the directory `path`
        (program.pkl + metadata.json; see engine.modules.saving for what pickles)."""
        if modules_to_serialize:
            logger.warning("save: modules_to_serialize needs cloudpickle; ignored")
        if save_program:
            saving.save_program(self, path)
            return
        data = {**self.dump_state(), "metadata": saving.save_metadata()}
        if Path(path).suffix == ".pkl":
            logger.warning(saving.PICKLE_WARNING)
            Path(path).write_bytes(saving.dumps(data))
            return
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def load(
        self, path: str | Path, allow_pickle: bool = False, allow_unsafe_lm_state: bool = False
    ) -> Module:
        """Load a state saved by `save(path)` (JSON; `.pkl` needs `allow_pickle=True`). A
        predictor's saved LM is rebuilt without endpoint or key; `allow_unsafe_lm_state=True`
        also lets a custom LM class be imported."""
        if Path(path).suffix == ".pkl":
            data = saving.load_pickle(Path(path), allow_pickle, saving.PKL_STATE)
        else:
            data = json.loads(Path(path).read_text())
        saving.warn_versions(data.pop("metadata", None))
        return self.load_state(data, allow_unsafe_lm_state)


def _set_usage(output: Any, usage: dict[str, Any]) -> None:
    """Attach DSPy's per-LM usage to the Prediction a module returned (or the first item of
    a tuple, as some optimizers' tracing wrappers return)."""
    if isinstance(output, tuple) and output and isinstance(output[0], Prediction):
        output = output[0]
    if isinstance(output, Prediction):
        output.set_lm_usage(usage)
    else:
        logger.warning("Failed to set LM usage: return a Prediction from forward() to track it.")


def _copy_by_attribute(module: Module, memo: dict[int, Any]) -> Module:
    """`module` copied attribute by attribute (`_copy_value`), for a module that
    `copy.deepcopy` cannot copy whole."""
    new = module.__class__.__new__(module.__class__)
    memo[id(module)] = new
    for name, value in vars(module).items():
        object.__setattr__(new, name, _copy_value(value, memo, name, module))
    return new


def _copy_value(value: Any, memo: dict[int, Any], name: str, owner: Module) -> Any:
    """Sub-modules (also inside lists, tuples and dicts) copied by attribute; any other value
    deep-copied, else shallow-copied, else shared (logged)."""
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, Module):
        return _copy_by_attribute(value, memo)
    trial = dict(memo)  # a failed attempt leaves half-built copies in its memo
    try:
        copied = copy.deepcopy(value, trial)
    except Exception:  # noqa: BLE001
        pass
    else:
        memo.update(trial)
        return copied
    if type(value) in (list, tuple):
        return type(value)(_copy_value(item, memo, name, owner) for item in value)
    if type(value) is dict:
        return {key: _copy_value(item, memo, name, owner) for key, item in value.items()}
    logger.warning(
        "cannot deep-copy attribute %r of %s; copying it shallowly", name, type(owner).__name__
    )
    try:
        return copy.copy(value)
    except Exception:  # noqa: BLE001
        return value


def _part_state(part: Any) -> dict[str, Any]:
    """A Predict's predictor state, or the own state of a `saves_own_state` module."""
    dump = getattr(part, "dump_predictor_state", None)
    return dump() if callable(dump) else part.dump_state()


def _outer(path: str) -> str:
    """A path without its list/dict subscripts (`steps[0].x` -> `steps.x`)."""
    return re.sub(r"\[[^\]]*\]", "", path)


def _walk(obj: Any, prefix: str, seen: set[int]) -> Iterator[tuple[str, Module]]:
    for name, value in vars(obj).items():
        if name.startswith("_") or name in _NOT_WALKED:
            continue
        yield from _visit(value, f"{prefix}{name}", seen)


def _visit(value: Any, path: str, seen: set[int]) -> Iterator[tuple[str, Module]]:
    if isinstance(value, Module):
        if id(value) in seen:
            return
        seen.add(id(value))
        yield path, value
        yield from _walk(value, path + ".", seen)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _visit(item, f"{path}[{i}]", seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _visit(item, f"{path}['{key}']", seen)
