"""Codegen for a step's `refine`: the reward function and the BestOfN / Refine wrapper.

The written rewards do what `engine.runs.pipeline._refine` does when the program is built: `valid`
checks each output as `output_filled` does; `metric` asks the spec's judge with the inputs only.
"""

from __future__ import annotations

from engine.runs.export.codegen._names import StepNames, py_literal, step_names
from engine.runs.pipeline import lm_kwargs
from engine.runs.spec import FieldSpec, ProjectSpec, StepSpec


def wrap_call(step: StepSpec, inner: str, names: StepNames) -> str:
    """`inner` (a module constructor call) inside dspy.BestOfN / dspy.Refine, or unchanged."""
    r = step.refine
    if r is None:
        return inner
    cls = "Refine" if r.mode == "refine" else "BestOfN"
    return f"dspy.{cls}({inner}, N={r.n}, reward_fn={names.reward}, threshold={r.threshold!r})"


def _check(field: FieldSpec) -> str:
    value = f"pred.get({field.name!r})"
    if field.type == "literal":
        return f"{value} in {tuple(field.choices)!r}"
    if field.type == "str":
        return f'bool(str({value} or "").strip())'
    if field.type == "list[str]":
        return f"bool({value})"
    return f"{value} is not None"


def _judge(spec: ProjectSpec) -> list[str]:
    m = spec.metric
    field = m.field or (spec.label_fields[0] if len(spec.label_fields) == 1 else None)
    args = [f"criteria={m.criteria!r}", f"field={field!r}"]
    if m.scale:
        args.append(f"scale={m.scale!r}")
    if spec.models.judge is not None:
        kwargs = ", ".join(f"{k}={py_literal(v)}" for k, v in lm_kwargs(spec.models.judge).items())
        args.append(f"lm=dspy.LM({spec.models.judge.model!r}, {kwargs})")
    return [f"JUDGE = dspy.metrics.Judge({', '.join(args)})"]


def reward_functions(spec: ProjectSpec) -> list[str]:
    """Module-level reward functions of the refined steps (empty when no step has refine)."""
    lines: list[str] = []
    refined = [s for s in spec.pipeline if s.refine is not None]
    if any(s.refine.reward == "metric" for s in refined):  # type: ignore[union-attr]
        lines += ["", *_judge(spec)]
    names = step_names(spec)
    for step in refined:
        lines += ["", "", f"def {names[step.name].reward}(args, pred):"]
        if step.refine.reward == "metric":  # type: ignore[union-attr]
            lines += [
                f'    """Label-free reward of step {step.name}: the judge grades its answer from '
                'the criteria and the inputs (no expected answer)."""',
                "    return float(JUDGE(dspy.Example(**args).with_inputs(*args), pred))",
            ]
            continue
        checks = ", ".join(_check(f) for f in step.outputs)
        lines += [
            f'    """Label-free reward of step {step.name}: the share of its outputs filled in '
            '(a choice: one of its choices)."""',
            f"    checks = [{checks}]",
            "    return sum(checks) / len(checks)",
        ]
    return lines
