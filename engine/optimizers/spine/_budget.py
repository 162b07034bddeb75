"""Estimate: a pre-flight forecast of a run's LM calls, tokens and trials, and the helpers
optimizers forecast with. (The Budget checked before every LM call is `engine.lm.budget`.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Share of a full evaluation's examples scored when racing, for estimates only (measured on
# the scripted tests and the sample specs: hopeless full evaluations stop after about half).
RACED_SHARE = 0.75


@dataclass
class Estimate:
    """A forecast of what a run will spend: LM calls by role, tokens, number of trials; for a
    weight optimizer, `training` (rows, tokens, steps, minutes, disk_bytes). `at_most` is set
    by a search that spends a call target (`calls`): the most it can make; `done_share`, once
    such a search ended, the share of its target's work it did (less when a candidate close
    enough to the maximum ended it), which the store's speed is read per; `read_again`, on a
    model that keeps prompt starts, the estimated tokens' worth of time its teachers' demos
    read again take beyond a typical draw's (negative: less), which forecasts add to `tokens`
    for minutes only."""

    calls: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    trials: int = 0
    notes: str = ""
    training: dict[str, Any] | None = None
    at_most: int | None = None
    done_share: float | None = None
    read_again: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "total_calls": self.total_calls,
            "tokens": self.tokens,
            "trials": self.trials,
            "notes": self.notes,
            **({"training": dict(self.training)} if self.training is not None else {}),
            **({"at_most": self.at_most} if self.at_most is not None else {}),
            **({"done_share": self.done_share} if self.done_share is not None else {}),
            **({"read_again": self.read_again} if self.read_again else {}),
        }


def _chars(example: Any, keys: Any) -> int:
    return sum(len(str(example.get(k, ""))) for k in keys)


def tokens_per_call(examples: list[Any], demos: int) -> int:
    """Rough tokens of one call (chars / 4): overhead + input + `demos` examples + output."""
    if not examples:
        return 0
    total_in = total_out = 0
    for example in examples:
        items = dict(example.items())
        inputs = example.input_keys or set(items)
        total_in += _chars(example, inputs)
        total_out += _chars(example, [k for k in items if k not in inputs])
    avg_in, avg_out = total_in / len(examples), total_out / len(examples)
    overhead = 600  # system message with field descriptions, templates and markers (chars)
    prompt = overhead + avg_in + demos * (avg_in + avg_out + 120)
    completion = avg_out + 60
    return int((prompt + completion) / 4)


def baseline_and_result_scoring(valset: list[Any], per_example: int, demos: int) -> tuple[int, int]:
    """(calls, tokens) to score the baseline (no demos) and the compiled program (`demos`
    demos) on the valset: the two trials of LabeledFewShot and BootstrapFewShot."""
    calls = 2 * len(valset) * per_example
    tokens = (
        len(valset) * per_example * (tokens_per_call(valset, 0) + tokens_per_call(valset, demos))
    )
    return calls, tokens


def predictor_count(program: Any) -> int:
    """How many predictors the program has (what MIPRO proposes for); 1 if unknown."""
    if program is None:
        return 1
    return max(1, len(program.named_predictors()))


def calls_per_run(program: Any) -> int:
    """Most task LM calls one run of the program makes (`Module.lm_calls_per_run`): one per
    predictor, a refined or sampled step's tries all counted, a multi-chain step's M attempts
    plus its comparison; 1 if unknown."""
    if program is None:
        return 1
    count = getattr(program, "lm_calls_per_run", None)
    if not callable(count):
        return predictor_count(program)
    return max(1, int(count()))


def counted_at_most(program: Any) -> bool:
    """Whether the program calls some predictor more than once a run (a refined, sampled or
    multi-chain step), so its estimate is an upper bound."""
    return program is not None and calls_per_run(program) > predictor_count(program)


AT_MOST_NOTE = (  # a clause of Estimate.notes (lower case, no full stop, like the others)
    "refined, sampled and multi-chain steps are counted at their maximum (every try made), so "
    "the task calls are an upper bound"
)


@dataclass(frozen=True)
class Workload:
    """What an estimate forecasts: the data, LM calls per example, whether the student
    already has demos, and the run's seed; optionally the student itself and what a pilot
    measured (`PilotFigures`: calls per run, hit rates), which forecasts use when given."""

    trainset: list[Any]
    valset: list[Any]  # what candidates are scored on (`Optimizer.effective_valset`)
    per_example: int  # task LM calls per example, at most (`calls_per_run`)
    student_has_demos: bool
    seed: int
    student: Any = None
    pilot: Any = None  # PilotFigures | None
