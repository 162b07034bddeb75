"""The spec's models and metric as engine objects: `LM` keyword arguments, LMs, the metric.

Used by the run (worker, plan), a step's label-free `refine` reward (refine_step.py) and the
exported code (codegen writes the same `LM(...)` arguments).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.core import SpecError, url_problem
from engine.evaluate.metrics import make_metric
from engine.lm import LM
from engine.runs.spec import LLM_METRIC_KINDS, ModelSpec, ProjectSpec


def lm_kwargs(model: ModelSpec) -> dict[str, Any]:
    """Keyword arguments for `LM(model.model, **kwargs)` (never a key: that comes from the env).

    Used for the LMs of a run and the `.py` export: an endpoint URL holding a key (set on the
    spec after validation) is refused here too, so it is neither called nor written out."""
    kwargs: dict[str, Any] = {"temperature": model.temperature}
    if model.max_tokens is not None:
        kwargs["max_tokens"] = model.max_tokens
    if model.api_base:
        problem = url_problem(model.api_base, "api_base")
        if problem is not None:
            raise SpecError(problem)
        kwargs["api_base"] = model.api_base
    return kwargs


def build_lm(model: ModelSpec, **overrides: Any) -> Any:
    """An engine LM for a model section; `overrides` may carry in-memory extras (e.g. api_key)."""
    return LM(model.model, **{**lm_kwargs(model), **overrides})


def build_metric(spec: ProjectSpec, judge_lm: Any = None) -> Callable[..., float]:
    """`metric(example, prediction, trace=None)` from the spec's metric section.

    An LM-judged metric (judge, semantic_f1) judges with `judge_lm` when given, else
    `models.judge`, else the task model (whatever LM is configured when it is called).
    """
    params = dict(spec.metric.params)
    if spec.metric.field:
        params["field"] = spec.metric.field
    elif len(spec.label_fields) == 1:
        params.setdefault("field", spec.label_fields[0])
    if spec.metric.kind == "judge":
        params["criteria"] = spec.metric.criteria or ""
        if spec.metric.scale:
            params["scale"] = spec.metric.scale
    if spec.metric.kind in LLM_METRIC_KINDS:
        if judge_lm is None and spec.models.judge is not None:
            judge_lm = build_lm(spec.models.judge)
        params["lm"] = judge_lm
    return make_metric(spec.metric.kind, **params)
