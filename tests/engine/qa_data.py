"""The numbered questions the optimizers' scripted tests share ("q<n>" -> "<n>") and their
exact-match metric."""

from __future__ import annotations

from typing import Any

import engine as dspy


def qa(n: int, start: int = 0) -> list[Any]:
    """`n` examples q<start>..: the answer is the number in the question."""
    return [
        dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question")
        for i in range(start, start + n)
    ]


def exact(example: Any, prediction: Any, trace: Any = None) -> bool:
    return example.answer == prediction.answer
