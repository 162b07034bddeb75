"""The GEPA bench's runners: GEPA in Tunesmith and `dspy.GEPA` in DSPy 3.4.1.

They extend the MIPROv2 bench's runners (task LM, data, evaluation, phase meter, calls by role,
a compile failure caught and recorded) with a reflection LM (the same model, a separate LM
object, counted under the role "proposer"), the feedback metric, and GEPA's own counts: metric
calls spent against the budget, reflections, how many gave no instruction, candidates.

Imported by bench/gepa/__main__.py after
`bench.core.common.isolate_caches()`; import it the same way elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dspy
from dspy.teleprompt.gepa import InstructionProposer

import engine as ts
from bench.core.data import MODEL, Split
from bench.core.meter import ModelMeter, Phase
from bench.gepa.adapter import LenientReflectionAdapter
from bench.gepa.records import GepaOutcome, GepaSetup
from bench.mipro.runners import MAX_ERRORS, DSPyMipro, RoleLM, TunesmithMipro, instructions_of
from engine.evaluate.scoring import ScoreWithFeedback
from engine.evaluate.texts import quote

DSPY_GEPA_LOGGER = "dspy.teleprompt.gepa.gepa"  # where dspy.GEPA's engine logs its iterations
_EXACT = ts.metrics.ExactMatch("category")


# -- the feedback metric, the same in both ----------------------------------------------------
def judge(gold: Any, pred: Any) -> tuple[float, str]:
    """Exact match on the label and why: Tunesmith's ExactMatch text, e.g. "expected
    'card_arrival', got 'lost_or_stolen_card'"."""
    predicted = getattr(pred, "category", None)
    if predicted is None:
        return 0.0, f"expected {quote(gold.category)}, got no category"
    return _EXACT.check(predicted, gold.category)


class FeedbackMetric:
    """`metric(gold, pred, trace=None, pred_name=None, pred_trace=None)` (GEPA's five-argument
    shape in both frameworks) returning `wrap(score, feedback)`; counts its calls."""

    def __init__(self, wrap: Callable[[float, str], Any]) -> None:
        self.wrap = wrap
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(
        self,
        gold: Any,
        pred: Any,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> Any:
        with self._lock:
            self.calls += 1
        return self.wrap(*judge(gold, pred))


def dspy_feedback(score: float, feedback: str) -> Any:
    return dspy.Prediction(score=score, feedback=feedback)


# -- shared by both ---------------------------------------------------------------------------
class GepaRunner:
    """The GEPA run of one framework; mixed in before that framework's MIPROv2 runner, whose
    `run_setup` times `optimize()` and fills the record `new_outcome()` returns."""

    name: str
    config: str
    args: argparse.Namespace
    metric: FeedbackMetric

    def new_outcome(self, setup: GepaSetup) -> GepaOutcome:
        return GepaOutcome(
            self.name, setup.key, None, Phase(), Phase(), budget=self.args.max_metric_calls,
            peer=self.config,
        )  # fmt: skip

    def run_setup(self, setup: GepaSetup) -> GepaOutcome:
        self.stats: dict[str, Any] = {}
        before = self.metric.calls
        outcome = super().run_setup(setup)  # type: ignore[misc]
        outcome.metric_fn_calls = self.metric.calls - before
        for key, value in self.stats.items():  # what optimize() learnt, even if it failed
            setattr(outcome, key, value)
        return outcome

    def gepa_settings(self) -> dict[str, Any]:
        """GEPA's constructor keywords, the same in both (DSPy 3.4.1's names)."""
        a = self.args
        return dict(
            max_metric_calls=a.max_metric_calls,
            reflection_minibatch_size=a.minibatch,
            use_merge=a.use_merge,
            num_threads=a.threads,
            seed=a.gepa_seed,
            track_stats=True,
        )


def best_val(scores: list[Any], best: int) -> float | None:
    return float(scores[best]) if scores else None


def pct(score: float | None) -> str:
    return "?" if score is None else f"{100 * score:.1f}%"


# -- Tunesmith --------------------------------------------------------------------------------
class TunesmithGepa(GepaRunner, TunesmithMipro):
    """Tunesmith's GEPA; its reflection calls carry the role "proposer" in the LM ledger."""

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        TunesmithMipro.__init__(self, split, args, meter, signature)
        self.metric = FeedbackMetric(ScoreWithFeedback)

    def optimize(self, setup: GepaSetup) -> tuple[Any, list[str], str]:
        a = self.args
        reflection = ts.LM(
            MODEL, temperature=a.reflection_temperature, max_tokens=a.reflection_max_tokens,
            cache=False,
        )  # fmt: skip
        self.proposers.append(reflection)
        optimizer = ts.GEPA(
            metric=self.metric, reflection_lm=reflection, max_errors=MAX_ERRORS,
            **self.gepa_settings(),
        )  # fmt: skip
        program = optimizer.compile(self.student(), trainset=self.train, valset=self.val)
        result = program.result
        details = result.details or {}
        events = [e.data for e in result.events if e.type == "reflection"]
        asked = [e for e in events if "cleaning" in e]
        self.stats = {
            "metric_calls": details.get("total_metric_calls"),
            "candidates": len(details.get("candidates", [])),
            "reflections": len(asked),
            "reflections_failed": sum(
                e.get("skipped") == "the reflection gave no usable instruction" for e in asked
            ),
            "best_val": best_val(
                details.get("val_aggregate_scores", []), details.get("best_idx", 0)
            ),
        }
        perfect = sum("perfect" in str(e.get("skipped", "")) for e in events)
        merges = sum(e.get("kind") == "merge" for e in events)
        kept = sum(bool(e.get("accepted")) for e in events)
        notes = (
            f"{len(events)} iterations: {len(asked)} reflections "
            f"({self.stats['reflections_failed']} gave no usable instruction), {perfect} parents "
            f"already perfect on their minibatch, {merges} merges, {kept} children beat their "
            f"parent on the minibatch; {self.stats['candidates']} candidates; "
            f"best val {pct(self.stats['best_val'])}"
        )
        return program, instructions_of(program), notes


# -- DSPy -------------------------------------------------------------------------------------
class GepaLog(logging.Handler):
    """Counts what dspy.GEPA's engine logs (reflections proposed or failed, parents skipped as
    perfect) and echoes each message's first line to stderr."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.proposed = self.failed = self.retried = self.perfect = self.errors = 0
        self.starved = 0  # iterations with no parsed prediction on the minibatch to reflect on

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        first = text.splitlines()[0] if text else ""
        if "Proposed new text for" in first:
            self.proposed += 1
        elif "Per-task reflection failed" in first:
            self.failed += 1
        elif "Batched reflection failed" in first:  # then asked again, once
            self.retried += 1
        elif "Exception building reflective dataset" in first or "No trajectories" in first:
            self.starved += 1
        elif "All subsample scores perfect" in first:
            self.perfect += 1
        elif "Exception during optimization" in first:
            self.errors += 1
        if not first.startswith("Traceback"):
            print(f"  [dspy.GEPA] {first[:200]}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def counted_gepa_log() -> Iterator[GepaLog]:
    """GEPA's engine log, counted and shortened (its tracebacks are not echoed) for the run."""
    log = logging.getLogger(DSPY_GEPA_LOGGER)
    handler = GepaLog()
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate


class DSPyGepa(GepaRunner, DSPyMipro):
    """DSPy 3.4.1's GEPA, with a separate `dspy.LM` (same model) as reflection_lm."""

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        DSPyMipro.__init__(self, split, args, meter, signature)
        self.metric = FeedbackMetric(dspy_feedback)

    def optimize(self, setup: GepaSetup) -> tuple[Any, list[str], str]:
        a = self.args
        reflection = RoleLM(
            MODEL, engine="litellm", temperature=a.reflection_temperature,
            max_tokens=a.reflection_max_tokens, cache=False, role="proposer", tally=self.tally,
        )  # fmt: skip
        adapter = LenientReflectionAdapter() if setup.lenient_reflection else None
        proposer = InstructionProposer(adapter=adapter) if adapter is not None else None
        optimizer = dspy.GEPA(
            metric=self.metric, reflection_lm=reflection, instruction_proposer=proposer,
            **self.gepa_settings(),
        )  # fmt: skip
        with counted_gepa_log() as log, contextlib.redirect_stdout(sys.stderr):
            try:
                program = optimizer.compile(self.student(), trainset=self.train, valset=self.val)
            finally:
                self.stats = {
                    "reflections": log.proposed + log.failed,
                    "reflections_failed": log.failed,
                }
        results = program.detailed_results
        scores = list(results.val_aggregate_scores)
        self.stats.update(
            metric_calls=results.total_metric_calls,
            candidates=len(results.candidates),
            best_val=best_val(scores, results.best_idx),
        )
        lenient = f", {adapter.lenient_parses} taken whole by the lenient parse" if adapter else ""
        notes = (
            f"{self.stats['reflections']} reflections ({log.retried} replies failed to parse "
            f"and were asked again, {log.failed} failed twice: no instruction{lenient}), "
            f"{log.starved} iterations with no reflection (no task reply on the minibatch "
            f"parsed, so no reflective dataset), {log.perfect} parents already perfect on their "
            f"minibatch, {log.errors} iteration errors; {len(results.candidates)} candidates, "
            f"{results.num_full_val_evals} full valset evaluations; best val "
            f"{pct(self.stats['best_val'])}"
        )
        return program, instructions_of(program), notes
