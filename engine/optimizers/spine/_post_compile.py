"""Steps the spine runs on every compiled program (and adds to every estimate), registered by
the code that owns them (choice calibration registers itself), so the base class imports none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class ApplyStep(Protocol):
    def __call__(self, optimizer: Any, program: Any, job: Any) -> Any: ...


class NoteStep(Protocol):
    def __call__(
        self, optimizer: Any, estimate: Any, student: Any, trainset: list[Any], valset: list[Any]
    ) -> None: ...


@dataclass(frozen=True)
class PostCompileStep:
    """`apply(optimizer, program, job) -> program` after `_compile`; `note(optimizer, estimate,
    student, trainset, valset)` adds its LM calls to the run's estimate."""

    name: str
    apply: ApplyStep
    note: NoteStep


_STEPS: dict[str, PostCompileStep] = {}


def register_post_compile(step: PostCompileStep) -> None:
    """Run `step` after every compile, in registration order (registering a name again
    replaces it in place)."""
    _STEPS[step.name] = step


def post_compile_steps() -> tuple[PostCompileStep, ...]:
    return tuple(_STEPS.values())
