"""Run one shape case in one framework: compile with random search, score the held-out rows.

Both frameworks reuse the few-shot bench's runners (LM settings, counters, phases); only the
program, the metric and the rows change per case. Imported after `_common.isolate_caches()`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import dspy
from fewshot_meter import MeterReading
from fewshot_runners import MAX_ERRORS, DSPy, Tunesmith
from shapes_cases import Case, examples, signature
from shapes_meter import Split, SplitMeter
from shapes_optimizers import build, compile_kwargs, second_lm

import engine as ts


@dataclass
class Leg:
    """One framework on one case and seed: accuracy, counts, tokens, time split."""

    framework: str
    case: str
    seed: int
    accuracy: float  # held-out, percent
    calls: int
    prompt_tokens: int
    completion_tokens: int
    evaluated_prompt_tokens: int
    split: Split = field(default_factory=Split)
    compile_wall: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    notes: str = ""


class ShapeRunner:
    """Mixin: the case's program, metric and rows over a few-shot runner's LM and counters."""

    case: Case
    module: Any

    def setup(self, case: Case, rows: list[list[dict]]) -> None:
        self.case = case
        self.train, self.val, self.test = (examples(case, self.module, r) for r in rows)

    def student(self) -> Any:
        sig = signature(self.case, self.module)
        kind = self.module.ChainOfThought if self.case.chain_of_thought else self.module.Predict
        return kind(sig)

    def optimizer(self) -> Any:
        """The optimizer of `--optimizer` (shapes_optimizers.py), its second LM counted."""
        helper = second_lm(self.module, self.args)
        self.extra_lms.append(helper)
        return build(self.module, self.case.metric, self.args, helper)

    def evaluator(self) -> Any:
        kwargs: dict[str, Any] = {"display_progress": False} if self.module is dspy else {}
        return self.module.Evaluate(
            devset=self.test,
            metric=self.case.metric,
            num_threads=self.args.threads,
            max_errors=MAX_ERRORS,
            **kwargs,
        )

    def leg(self, seed: int, meter: SplitMeter) -> Leg:
        calls, tokens = self.counters()
        reading = meter.read()
        load = os.getloadavg()[0]
        mark = meter.start()
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            program = self.optimizer().compile(
                self.student(), trainset=self.train, valset=self.val, **compile_kwargs(self.args)
            )
        compile_wall = time.perf_counter() - start
        accuracy = float(self.evaluator()(program).score)
        split = meter.stop(mark)
        used: MeterReading = meter.read() - reading
        now_calls, _ = self.counters()
        demos = sum(len(p.demos) for p in program.predictors())
        return Leg(
            framework=self.name,
            case=self.case.name,
            seed=seed,
            accuracy=accuracy,
            calls=now_calls - calls,
            prompt_tokens=used.prompt_tokens,
            completion_tokens=used.completion_tokens,
            evaluated_prompt_tokens=used.evaluated_prompt_tokens,
            split=split,
            compile_wall=compile_wall,
            load=(round(load, 1), round(os.getloadavg()[0], 1)),
            notes=f"{demos} demos kept",
        )


class TunesmithShapes(ShapeRunner, Tunesmith):
    module = ts

    def __init__(self, args: argparse.Namespace, meter: SplitMeter) -> None:
        Tunesmith.__init__(self, EMPTY, args, meter, signature=None)  # type: ignore[arg-type]
        self.extra_lms: list[Any] = []

    def counters(self) -> tuple[int, int]:
        totals = [lm.ledger.totals() for lm in [self.lm, *self.extra_lms]]
        return sum(t.calls for t in totals), sum(t.total_tokens for t in totals)


class DSPyShapes(ShapeRunner, DSPy):
    module = dspy

    def __init__(self, args: argparse.Namespace, meter: SplitMeter) -> None:
        DSPy.__init__(self, EMPTY, args, meter, signature=None)  # type: ignore[arg-type]
        self.extra_lms: list[Any] = []

    def counters(self) -> tuple[int, int]:
        history = [h for lm in [self.lm, *self.extra_lms] for h in lm.history]
        tokens = sum(int((h.get("usage") or {}).get("total_tokens") or 0) for h in history)
        return len(history), tokens


class _Empty:
    train: list = []
    val: list = []
    test: list = []
    labels: list = []


EMPTY: Any = _Empty()


def leg_dict(leg: Leg) -> dict[str, Any]:
    return asdict(leg)


def progress(leg: Leg) -> Leg:
    s = leg.split
    print(
        f"[{time.strftime('%H:%M:%S')}] {leg.case} seed {leg.seed} {leg.framework:>10}: "
        f"acc {leg.accuracy:.1f}%, {leg.calls} calls, wall {s.wall:.1f}s "
        f"(model {s.model:.1f}: prompt {s.prompt:.1f} gen {s.generation:.1f} "
        f"other {s.model_other:.1f}; framework {s.framework:.1f}, idle {s.idle:.1f}; "
        f"{s.fallbacks} fallbacks {s.fallback_seconds:.1f}s)",
        flush=True,
    )
    return leg
