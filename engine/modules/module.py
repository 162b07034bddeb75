"""Module: a tree of sub-modules whose learnable leaves are Predict objects (a `Parameter`)."""

from __future__ import annotations

import copy
import json
import logging
import platform
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.modules._parameter import Parameter
from engine.modules.backtracking import call_with_backtracking
from engine.parallel import lm_threads, parallel_map
from engine.settings import settings

logger = logging.getLogger(__name__)

# written into saved files; dspy's load() compares these and only warns on a mismatch
_SAVE_METADATA = {
    "dependency_versions": {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "dspy": "3.4.1",
        "cloudpickle": "3.1",
    },
    "saved_by": "tunesmith",
}


class Module:
    """Base class of programs. Subclasses set sub-modules in `__init__` and define `forward`."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`forward(...)`; a composite module retries it when an Assert or Suggest fails
        (engine.modules.backtracking). A Predict has no constraints of its own: it runs as is."""
        if getattr(self, "runs_without_backtracking", False):
            return self.forward(*args, **kwargs)
        return call_with_backtracking(self, args, kwargs)

    # tree walking ----------------------------------------------------------------------
    def named_sub_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Every module below this one (depth first), with its dotted path."""
        seen: set[int] = {id(self)}
        yield from _walk(self, prefix, seen)

    def named_predictors(self) -> list[tuple[str, Any]]:
        """Every Predict in the program with its path (`self` for a bare Predict)."""
        if isinstance(self, Parameter):
            return [("self", self)]
        return [(path, m) for path, m in self.named_sub_modules() if isinstance(m, Parameter)]

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
            for path, m in self.named_sub_modules()
            if isinstance(m, Parameter) or getattr(m, "saves_own_state", False)
        ]

    # copies and LMs -----------------------------------------------------------------------
    def deepcopy(self) -> Module:
        """A deep copy that shares LM objects (they hold loaded models and caches).

        As in DSPy, an attribute that cannot be deep-copied (a lock, a client) falls back to a
        shallow copy of it, or to the object itself when even that fails; sub-modules are
        still deep-copied."""
        shared: dict[int, Any] = {}
        for _, module in [("", self), *self.named_sub_modules()]:
            lm = getattr(module, "lm", None)
            if lm is not None:
                shared[id(lm)] = lm
        try:
            return copy.deepcopy(self, dict(shared))
        except Exception:  # noqa: BLE001 - any failure: copy attribute by attribute instead
            return _copy_by_attribute(self, dict(shared))

    def reset_copy(self) -> Module:
        """A deep copy with every predictor's demos cleared."""
        new = self.deepcopy()
        for predictor in new.predictors():
            predictor.reset()
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
        return_failed_examples: bool = False,
    ) -> Any:
        """Run the program on many examples in parallel; a failure yields None, never a crash."""

        def run(example: Any) -> Any:
            inputs = example.inputs() if getattr(example, "input_keys", None) else example
            return self(**dict(inputs.items()))

        outcomes = parallel_map(run, examples, lm_threads(num_threads))
        results = [result for result, _ in outcomes]
        if return_failed_examples:
            failed = [ex for ex, (_, err) in zip(examples, outcomes) if err is not None]
            errors = [err for _, err in outcomes if err is not None]
            return results, failed, errors
        return results

    # state --------------------------------------------------------------------------------
    def dump_state(self) -> dict[str, Any]:
        """{predictor path: predictor state}, or the predictor's own state for a bare Predict."""
        if isinstance(self, Parameter):
            return self.dump_predictor_state()
        return {path: _part_state(p) for path, p in self.named_parameters()}

    def load_state(self, state: dict[str, Any]) -> Module:
        if isinstance(self, Parameter):
            self.load_predictor_state(state)
            return self
        named = dict(self.named_parameters())
        unknown = [k for k in state if k != "metadata" and k not in named]
        missing = [k for k in named if k not in state and isinstance(named[k], Parameter)]
        if unknown or missing:
            raise ValueError(
                f"saved state does not match this program: unknown predictors {unknown}, "
                f"missing predictors {missing}; program has {list(named)}"
            )
        for path, part in named.items():
            if isinstance(part, Parameter):
                part.load_predictor_state(state[path])
            elif path in state:
                part.load_state(state[path])
        return self

    def save(self, path: str | Path) -> None:
        """Write the program state as JSON (same shape as DSPy's save())."""
        data = {**self.dump_state(), "metadata": _SAVE_METADATA}
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def load(self, path: str | Path) -> Module:
        data = json.loads(Path(path).read_text())
        data.pop("metadata", None)
        return self.load_state(data)


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
        if name.startswith("_"):
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
