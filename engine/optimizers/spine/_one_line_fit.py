"""Fit, from the training labels, which open text outputs the task writes on one line.

At the start of every compile (`Optimizer.compile`) each predictor of the student learns, as
`Predict.one_line_outputs`, its open `str` outputs whose training labels are all on one line
(at least `MIN_LABELS` of them, none empty). On the embedded model such a value then ends after
its first paragraph that holds a value (`adapters.replies.one_line_values`), in every candidate of
the search, also one without demos, and in the compiled program, which keeps the names in its
saved state. Outputs the labels do not name (ChainOfThought's reasoning, a retrieval query) are
never fitted. Hosted models are not affected: the adapter sends them no reply rule.
"""

from __future__ import annotations

from typing import Any

from engine.adapters.chat import closed_values
from engine.core import strip_optional

MIN_LABELS = 2  # one label says little about the shape of the others


def one_line_labels(trainset: list[Any]) -> set[str]:
    """Names whose labels in `trainset` are all on one line (at least `MIN_LABELS`, none
    empty)."""
    values: dict[str, list[str]] = {}
    for example in trainset:
        labels = example.labels() if hasattr(example, "labels") else example
        for name, value in dict(labels.items()).items():
            values.setdefault(name, []).append("" if value is None else str(value).strip())
    return {
        name
        for name, texts in values.items()
        if len(texts) >= MIN_LABELS and all(texts) and not any("\n" in t for t in texts)
    }


def _open_text(field: Any) -> bool:
    return strip_optional(field.annotation) is str and closed_values(field) is None


def fit_one_line_outputs(student: Any, trainset: list[Any]) -> Any:
    """`student`, or a copy whose predictors name their one-line open outputs when that
    changes any of them."""
    names = one_line_labels(trainset)
    fitted = [
        [n for n, f in p.signature.output_fields.items() if n in names and _open_text(f)]
        for p in student.predictors()
    ]
    if all(getattr(p, "one_line_outputs", []) == f for p, f in zip(student.predictors(), fitted)):
        return student
    program = student.deepcopy()
    for predictor, outputs in zip(program.predictors(), fitted):
        predictor.one_line_outputs = outputs
    return program
