"""Steps the spine runs on every compiled program (and adds to every estimate), registered by
the code that owns them (choice calibration registers itself), so the base class imports none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PostCompileStep:
    """`apply(optimizer, program, job) -> program` after `_compile`; `note(optimizer, estimate,
    student, trainset, valset)` adds its LM calls to the run's estimate."""

    name: str
    apply: Callable[[Any, Any, Any], Any]
    note: Callable[[Any, Any, Any, list[Any], list[Any]], None]


_STEPS: dict[str, PostCompileStep] = {}


def register_post_compile(step: PostCompileStep) -> None:
    """Run `step` after every compile, in registration order (registering a name again
    replaces it in place)."""
    _STEPS[step.name] = step


def post_compile_steps() -> tuple[PostCompileStep, ...]:
    return tuple(_STEPS.values())
