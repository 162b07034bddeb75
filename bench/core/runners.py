"""The few-shot bench's runners: one class per framework (LM, programs, optimizers, counters).

Imported by bench/fewshot/__main__.py after
`bench.core.common.isolate_caches()`; import it the same way elsewhere.
"""

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import dspy

import engine as ts
from bench.core.data import MODEL, Split, exact_match, examples
from bench.core.meter import ModelMeter, Outcome, Phase
from bench.core.parsing import ParseCounts, parse_delta, row_marks
from bench.core.peer import DEFAULT, configured, framework_name, install_parse_tally

MAX_ERRORS = 1_000_000  # failed examples score 0 in both; DSPy's default (10) would abort runs
NO_VAL = " (no valset)"  # Tunesmith BootstrapFewShot without valset scoring: DSPy's amount of work


class Framework:
    """What differs between Tunesmith and DSPy: LM, programs, optimizers, counters, and (DSPy)
    the adapter configuration its calls run in (`config`, bench/core/peer.py)."""

    name = ""
    config = ""  # DSPy's configuration; "" for Tunesmith
    signature: Any = None

    def __init__(self, split: Split, args: argparse.Namespace, meter: ModelMeter) -> None:
        self.split, self.args, self.meter = split, args, meter
        self.last_marks: list[list[float]] = []  # the last evaluation's [parsed, score] per row

    # counters: (calls, tokens) reported by the framework itself
    def counters(self) -> tuple[int, int]:
        raise NotImplementedError

    def parse_counts(self) -> dict[str, ParseCounts]:
        """DSPy's parse tally by role (bench/core/peer.py); Tunesmith has none."""
        return {}

    def peer_context(self) -> contextlib.AbstractContextManager[Any]:
        """What a run of this framework runs in: DSPy's adapter configuration; nothing else."""
        return contextlib.nullcontext()

    def output_names(self) -> list[str]:
        """The output fields a held-out prediction must have to count as parsed."""
        return list(self.signature.output_fields)

    def marks(self, result: Any) -> float:
        """Keep an Evaluate result's per-row marks (`last_marks`); return its score."""
        self.last_marks = row_marks(list(result.results), self.output_names())
        return float(result.score)

    @contextlib.contextmanager
    def phase(self, out: Phase) -> Iterator[None]:
        calls, tokens = self.counters()
        parsed = self.parse_counts()
        load = os.getloadavg()[0]
        reading, start = self.meter.read(), time.perf_counter()
        yield
        out.wall = time.perf_counter() - start
        out.load = (round(load, 1), round(os.getloadavg()[0], 1))
        out.meter = self.meter.read() - reading
        now_calls, now_tokens = self.counters()
        out.calls, out.tokens = now_calls - calls, now_tokens - tokens
        out.parse = parse_delta(self.parse_counts(), parsed)

    def run(self, optimizer: str) -> Outcome:
        compile_phase, eval_phase = Phase(), Phase()
        with self.peer_context():
            with self.phase(compile_phase):
                program, notes = self.compile(optimizer)
            with self.phase(eval_phase):
                accuracy = self.evaluate(program)
        demos = sum(len(p.demos) for p in program.predictors())
        return Outcome(self.name, optimizer, accuracy, compile_phase, eval_phase, demos, notes,
                       self.config, self.last_marks)  # fmt: skip

    def baseline(self) -> Outcome:
        eval_phase = Phase()
        with self.peer_context(), self.phase(eval_phase):
            accuracy = self.evaluate(self.student())
        return Outcome(self.name, "zero-shot (no compile)", accuracy, Phase(), eval_phase, 0,
                       peer=self.config, rows=self.last_marks)  # fmt: skip

    def student(self) -> Any:
        raise NotImplementedError

    def compile(self, optimizer: str) -> tuple[Any, str]:
        raise NotImplementedError

    def evaluate(self, program: Any) -> float:
        raise NotImplementedError


class Tunesmith(Framework):
    name = "Tunesmith"

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        super().__init__(split, args, meter)
        self.signature = signature
        self.lm = ts.LM(MODEL, temperature=0.0, max_tokens=args.max_tokens, cache=False)
        ts.configure(lm=self.lm, num_threads=args.threads)
        self.train = examples(ts, split.train)
        self.val = examples(ts, split.val)
        self.test = examples(ts, split.test)

    def counters(self) -> tuple[int, int]:
        totals = self.lm.ledger.totals()
        return totals.calls, totals.total_tokens

    def student(self) -> Any:
        return ts.Predict(self.signature)

    def compile(self, optimizer: str) -> tuple[Any, str]:
        a = self.args
        common = dict(
            metric=exact_match,
            max_bootstrapped_demos=a.max_bootstrapped,
            max_labeled_demos=a.max_labeled,
            num_threads=a.threads,
            max_errors=MAX_ERRORS,
        )
        if optimizer.startswith("BootstrapFewShot") and "RandomSearch" not in optimizer:
            opt = ts.BootstrapFewShot(**common)
            valset = None if optimizer.endswith(NO_VAL) else self.val
        else:
            opt = ts.BootstrapFewShotWithRandomSearch(num_candidate_programs=a.candidates, **common)
            valset = self.val
        program = opt.compile(self.student(), trainset=self.train, valset=valset)
        result = program.result
        usage = result.usage
        notes = (
            f"{len(result.trials)} trials, best val {fmt_score(result.best_score)}, "
            f"run ledger {usage.get('calls')} calls / {usage.get('total_tokens')} tokens"
        )
        return program, notes

    def evaluate(self, program: Any) -> float:
        evaluator = ts.Evaluate(
            devset=self.test,
            metric=exact_match,
            num_threads=self.args.threads,
            max_errors=MAX_ERRORS,
        )
        return self.marks(evaluator(program))


class DSPy(Framework):
    base_name = "DSPy 3.4.1"
    config = DEFAULT

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        super().__init__(split, args, meter)
        self.parse_tally = install_parse_tally()
        self.signature = signature
        self.lm = dspy.LM(
            MODEL, engine="litellm", temperature=0.0, max_tokens=args.max_tokens, cache=False
        )
        dspy.configure(lm=self.lm, max_errors=MAX_ERRORS)
        self.train = examples(dspy, split.train)
        self.val = examples(dspy, split.val)
        self.test = examples(dspy, split.test)

    @property
    def name(self) -> str:  # type: ignore[override]
        return framework_name(self.base_name, self.config)

    def parse_counts(self) -> dict[str, ParseCounts]:
        return self.parse_tally.read()

    def peer_context(self) -> contextlib.AbstractContextManager[Any]:
        return configured(self.config)

    def counters(self) -> tuple[int, int]:
        history = self.lm.history
        tokens = sum(int((h.get("usage") or {}).get("total_tokens") or 0) for h in history)
        return len(history), tokens

    def student(self) -> Any:
        return dspy.Predict(self.signature)

    def compile(self, optimizer: str) -> tuple[Any, str]:
        a = self.args
        common = dict(
            metric=exact_match,
            max_bootstrapped_demos=a.max_bootstrapped,
            max_labeled_demos=a.max_labeled,
            max_errors=MAX_ERRORS,
        )
        if optimizer == "BootstrapFewShot":
            program = dspy.BootstrapFewShot(**common).compile(self.student(), trainset=self.train)
            return program, "no valset scoring (DSPy's BootstrapFewShot takes no valset)"
        opt = dspy.BootstrapFewShotWithRandomSearch(
            num_candidate_programs=a.candidates, num_threads=a.threads, **common
        )
        with contextlib.redirect_stdout(sys.stderr):
            program = opt.compile(self.student(), trainset=self.train, valset=self.val)
        scores = [c["score"] for c in getattr(program, "candidate_programs", [])]
        best = f"{max(scores):.1f}%" if scores else "?"
        return program, f"{len(scores)} candidates scored, best val {best}"

    def evaluate(self, program: Any) -> float:
        evaluator = dspy.Evaluate(
            devset=self.test,
            metric=exact_match,
            num_threads=self.args.threads,
            display_progress=False,
            max_errors=MAX_ERRORS,
        )
        return self.marks(evaluator(program))


def fmt_score(score: float | None) -> str:
    return "?" if score is None else f"{100 * score:.1f}%"


def tunesmith_variants(optimizer: str, bfs_valset: str) -> list[str]:
    """Tunesmith runs compared with one DSPy run of `optimizer`."""
    if optimizer != "BootstrapFewShot":
        return [optimizer]
    return {
        "val": [optimizer],
        "none": [optimizer + NO_VAL],
        "both": [optimizer, optimizer + NO_VAL],
    }[bfs_valset]


def progress(outcome: Outcome) -> Outcome:
    total = outcome.compile.wall + outcome.evaluate.wall
    print(
        f"[{time.strftime('%H:%M:%S')}] {outcome.framework:>10} {outcome.optimizer}: "
        f"acc {outcome.accuracy:.1f}%, compile {outcome.compile.calls} calls "
        f"{outcome.compile.wall:.1f}s, eval {outcome.evaluate.calls} calls "
        f"{outcome.evaluate.wall:.1f}s, total {total:.1f}s",
        flush=True,
    )
    return outcome
