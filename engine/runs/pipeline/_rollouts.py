"""Distinct attempts at one module: the per-call `config` that makes attempt `i` its own request.

Attempt 0 runs as configured (so its reply is shared with a plain call through the cache, and on
the embedded model a greedy reply to a choice is one of the choices); attempt i > 0 passes
`config={"rollout_id": i, "temperature": t}`, so the cache keys differ and the embedded model
seeds its sampler from the rollout id. `t` is the LM's own temperature, or 0.7 when it has none
(greedy decoding would repeat one answer): dspy's MultiChainComparison default, and what
Predict samples at when asked for n > 1 completions (BestOfN samples at 1.0, dspy's choice
there). On the embedded model a sampled ChainOfThought attempt was unreadable on both tickets of
the real-model test at 1.0 and at 0.7 alike
(tests/runs/pipeline/test_multi_chain_step_real_lm.py), so there only the first, greedy attempt
carries an answer. Passing `config` to a call works the same in dspy, so the exported code does
exactly this.
"""

from __future__ import annotations

from typing import Any

from engine.core import settings

SAMPLE_TEMPERATURE = 0.7


def attempt_config(module: Any, attempt: int) -> dict[str, Any]:
    """The `config` of attempt `attempt` of `module` (empty for attempt 0)."""
    if attempt == 0:
        return {}
    predictors = module.predictors() if hasattr(module, "predictors") else []
    lm = (predictors[0].lm if predictors else None) or settings.lm  # None: the embedded model
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature") or SAMPLE_TEMPERATURE
    return {"rollout_id": attempt, "temperature": temperature}


def attempt_inputs(module: Any, kwargs: dict[str, Any], attempt: int) -> dict[str, Any]:
    """The keyword arguments of attempt `attempt` (the inputs plus its `config`)."""
    config = attempt_config(module, attempt)
    return {**kwargs, "config": config} if config else dict(kwargs)
