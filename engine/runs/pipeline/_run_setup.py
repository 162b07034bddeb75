"""What a run is built from, shared by the worker and the pre-flight estimate: the optimizer
a spec names (from the registry; `auto` picks by train size), the task LM (with the tests'
scripted-LM hook) and the LM cache beside the run store.

Test hook: `TUNESMITH_TEST_LM=module:factory` (read only here) builds the task LM as
`factory(spec)`; from Python, pass `lm_factory=` to `run_worker` instead.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from engine.core import SpecError, TunesmithError
from engine.lm.cache import CACHE_DIR_ENV
from engine.optimizers import registry
from engine.optimizers.auto import auto_params, choose_optimizer
from engine.runs.pipeline._models import build_lm
from engine.runs.spec import ProjectSpec
from engine.runs.store import StoreAt, local_dir

TEST_LM_ENV = "TUNESMITH_TEST_LM"
LMFactory = Callable[[ProjectSpec], Any]


def task_lm(spec: ProjectSpec, lm_factory: LMFactory | None = None) -> Any:
    """The task LM: `lm_factory(spec)`, else the TUNESMITH_TEST_LM factory, else the spec's."""
    if lm_factory is not None:
        return lm_factory(spec)
    hook = os.environ.get(TEST_LM_ENV)
    if hook:
        module, _, name = hook.partition(":")
        if not name:
            raise TunesmithError(f"{TEST_LM_ENV}={hook!r}: expected 'module:factory'")
        return getattr(importlib.import_module(module), name)(spec)
    return build_lm(spec.models.task)


class BuiltOptimizer(NamedTuple):
    """An optimizer built for a run: the instance, its class name, why it was chosen, and the
    value of each of its declared settings (what ran, for the run's pages)."""

    optimizer: Any
    name: str
    reason: str
    settings: dict[str, Any]


def make_optimizer(spec: ProjectSpec, train_size: int, metric: Any) -> BuiltOptimizer:
    """The optimizer the spec names, built from its registry entry; `auto` picks by train
    size."""
    name, reason = spec.optimizer.name, f"chosen in the spec: {spec.optimizer.name}"
    params = dict(spec.optimizer.params)
    if name == registry.AUTO:
        name, reason = choose_optimizer(train_size)
        params = {**auto_params(name), **params}
    entry = registry.get(name)
    if entry is None:
        raise SpecError(f"optimizer.name: {name} is not available in this engine version")
    given = dict(params)
    role_models = {"proposer": spec.models.proposer}
    for role, param in entry.roles.items():
        if role_models.get(role) is not None:
            params.setdefault(param, build_lm(role_models[role]))
    try:
        optimizer = entry.factory(metric=metric, **params)
    except (TypeError, ValueError) as exc:  # its own check of a setting's value
        raise SpecError(
            f"optimizer.params: {name} rejected the parameters {spec.optimizer.params}: {exc}"
        ) from None
    return BuiltOptimizer(optimizer, name, reason, entry.settings(optimizer, given))


def use_run_cache(db_path: StoreAt) -> None:
    """Use the LM cache beside the run store (`lm_cache/`) unless a cache directory is set; a
    pre-flight pilot uses it too, so the run gets the pilot's calls back."""
    os.environ.setdefault(CACHE_DIR_ENV, str(local_dir(db_path) / "lm_cache"))
