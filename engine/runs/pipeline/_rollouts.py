"""Distinct attempts at one module: the per-call `config` that makes attempt `i` its own request.

Attempt 0 runs as configured (its reply is shared with a plain call through the cache); attempt
i > 0 passes `config={"rollout_id": i, "temperature": t}`, `t` the LM's own temperature or 0.7,
so the cache keys differ and the embedded model seeds its sampler from the rollout id. dspy
takes the same `config`, so the exported code does exactly this (docs/design/step_types.md).
"""

from __future__ import annotations

from typing import Any

from engine.core import settings

SAMPLE_TEMPERATURE = 0.7


def attempt_inputs(module: Any, kwargs: dict[str, Any], attempt: int) -> dict[str, Any]:
    """The keyword arguments of attempt `attempt` of `module`: the inputs, plus its `config`
    past attempt 0."""
    if attempt == 0:
        return dict(kwargs)
    predictors = module.predictors() if hasattr(module, "predictors") else []
    lm = (predictors[0].lm if predictors else None) or settings.lm  # None: the embedded model
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature") or SAMPLE_TEMPERATURE
    return {**kwargs, "config": {"rollout_id": attempt, "temperature": temperature}}
