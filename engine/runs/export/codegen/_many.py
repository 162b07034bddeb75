"""Codegen for the steps that run their module several times: a MultiChainComparison step
(`MultiChain`) and a step's `samples` (`Samples`). The classes are written into the exported
code with dspy's API only (Parallel, majority, per-call `config` rollouts), so the file runs
with `import dspy` too; their paths and state are those of `StepMultiChain` / `StepSamples`.
"""

from __future__ import annotations

from engine.runs.export.codegen._names import StepNames
from engine.runs.spec import MCC_M, ProjectSpec, StepSpec

_ROLLOUT = [
    "",
    "",
    "def rollout(i):",
    '    """Per-call config of attempt i: its own rollout (cache key, sampling seed); attempt 0',
    '    runs as configured."""',
    "    if i == 0:",
    "        return {}",
    '    lm_kwargs = getattr(dspy.settings.lm, "kwargs", None) or {}',
    '    temperature = lm_kwargs.get("temperature") or 0.7',
    '    return {"config": {"rollout_id": i, "temperature": temperature}}',
]
_MULTI_CHAIN = [
    "",
    "",
    "class MultiChain(dspy.Module):",
    '    """M ChainOfThought attempts, then MultiChainComparison reads them and answers."""',
    "",
    "    def __init__(self, signature, M):",
    "        super().__init__()",
    "        self.M = M",
    "        self.attempt = dspy.ChainOfThought(signature)",
    "        self.compare = dspy.MultiChainComparison(signature, M=M)",
    '        self.compare.predict.config.pop("temperature", None)  # the LM\'s own',
    "",
    "    def forward(self, **kwargs):",
    "        attempts = [self.attempt(**kwargs, **rollout(i)) for i in range(self.M)]",
    "        return self.compare(completions=attempts, **kwargs)",
]
_SAMPLES = [
    "",
    "",
    "class Samples(dspy.Module):",
    '    """n runs of a module (Parallel, distinct rollouts); the majority answer of `field`."""',
    "",
    "    def __init__(self, module, n, field):",
    "        super().__init__()",
    "        self.module, self.n, self.field = module, n, field",
    "",
    "    def forward(self, **kwargs):",
    "        pairs = [(self.module, {**kwargs, **rollout(i)}) for i in range(self.n)]",
    "        parallel = dspy.Parallel(max_errors=self.n, disable_progress_bar=True)",
    "        results = [r for r in parallel(pairs) if r is not None]",
    "        return dspy.majority(results, field=self.field)",
]


def many_call(step: StepSpec, inner: str, names: StepNames) -> str:
    """The step's constructor call: `MultiChain(...)` for a MultiChainComparison step, `inner`
    inside `Samples(...)` with `samples`, else `inner`."""
    if step.module == "MultiChainComparison":
        return f"MultiChain({names.signature}, M={step.m or MCC_M[2]})"
    if step.samples is not None:
        return f"Samples({inner}, n={step.samples.n}, field={step.outputs[-1].name!r})"
    return inner


def many_classes(spec: ProjectSpec) -> list[str]:
    """Module-level helper classes the steps need (empty when no step runs several times)."""
    multi = any(s.module == "MultiChainComparison" for s in spec.pipeline)
    sampled = any(s.samples is not None for s in spec.pipeline)
    if not (multi or sampled):
        return []
    return [*_ROLLOUT, *(_MULTI_CHAIN if multi else []), *(_SAMPLES if sampled else [])]
