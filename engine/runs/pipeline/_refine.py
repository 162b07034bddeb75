"""A spec step's `refine` option: the step's module inside BestOfN or Refine, with a reward
that never reads the expected label (docs/design/refine_step.md).

The wrapped step keeps its predictors under `<step>.module...` (dspy's BestOfN/Refine layout),
so optimizers tune them through `named_predictors()` and the saved state loads in dspy. Its
prediction also lists the attempts that were scored, `{"outputs", "reward", "kept"}` each,
under `attempts_key(step)`, for "Try on a row" and the stored per-example outputs.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from engine.core import Example
from engine.evaluate.scoring import score_of
from engine.modules import BestOfN, Module, Refine
from engine.runs.pipeline._models import build_metric
from engine.runs.spec import FieldSpec, ProjectSpec, StepSpec, attempts_key

_ATTEMPTS: ContextVar[list[tuple[Any, float]] | None] = ContextVar("refine_attempts", default=None)


def output_filled(field: FieldSpec, value: Any) -> bool:
    """Whether one output counts as given: a choice among its choices, non-blank text, a
    non-empty list, any parsed number or yes/no."""
    if field.type == "literal":
        return value in field.choices
    if field.type == "str":
        return bool(str(value or "").strip())
    if field.type == "list[str]":
        return bool(value)
    return value is not None


class ValidOutputs:
    """Label-free reward: the share of the step's outputs that are filled in (see
    `output_filled`), from 0 to 1."""

    def __init__(self, outputs: list[FieldSpec]) -> None:
        self.outputs = list(outputs)

    def __call__(self, args: dict[str, Any], pred: Any) -> float:
        checks = [output_filled(f, pred.get(f.name)) for f in self.outputs]
        return sum(checks) / len(checks)


class JudgeReward:
    """The spec's LLM judge as a reward: it sees the step's inputs and outputs, never a label
    (the example it grades holds the inputs only, so the judge's prompt has no expected answer)."""

    def __init__(self, judge: Any) -> None:
        self.judge = judge

    def __call__(self, args: dict[str, Any], pred: Any) -> float:
        example = Example(**args).with_inputs(*args)
        return float(score_of(self.judge(example, pred))[0])


class _ListsAttempts:
    """Mixin for BestOfN/Refine: the prediction lists each scored attempt and its reward."""

    def __init__(self, module: Module, n: int, reward: Any, threshold: float, key: str) -> None:
        super().__init__(module, n, reward, threshold)  # type: ignore[call-arg]
        self.attempts_field = key

    @property
    def reward_fn(self) -> Any:
        inner = self._reward_fn  # type: ignore[attr-defined]

        def reward(args: dict[str, Any], pred: Any) -> float:
            value = float(inner(args, pred))
            log = _ATTEMPTS.get()
            if log is not None:
                log.append((pred, value))
            return value

        return reward

    def forward(self, **kwargs: Any) -> Any:
        log: list[tuple[Any, float]] = []
        token = _ATTEMPTS.set(log)
        try:
            prediction = super().forward(**kwargs)  # type: ignore[misc]
        finally:
            _ATTEMPTS.reset(token)
        prediction[self.attempts_field] = [
            {"outputs": dict(pred.items()), "reward": value, "kept": pred is prediction}
            for pred, value in log
        ]
        return prediction


class StepBestOfN(_ListsAttempts, BestOfN):
    """BestOfN of a spec step (lists its attempts)."""


class StepRefine(_ListsAttempts, Refine):
    """Refine of a spec step (lists its attempts)."""


def wrap_refine(spec: ProjectSpec, step: StepSpec, module: Module) -> Module:
    """`module` inside StepBestOfN / StepRefine as the step's `refine` says (else unchanged)."""
    if step.refine is None:
        return module
    r = step.refine
    cls = StepRefine if r.mode == "refine" else StepBestOfN
    # the label-free reward `reward` names (the spec allows metric only for a label-free one)
    reward = JudgeReward(build_metric(spec)) if r.reward == "metric" else ValidOutputs(step.outputs)
    return cls(module, r.n, reward, r.threshold, attempts_key(step.name))
