"""Held-out scoring after compile: baseline and best on the test split, and their comparison."""

from __future__ import annotations

from typing import Any

from engine.core import settings
from engine.evaluate.statistics import paired_by_id, paired_comparison, verdict
from engine.optimizers.spine import TrialRunner, example_id


def evaluate_on_test(
    run: Any, metric: Any, student: Any, compiled: Any, test: list[Any], optimizer: Any = None
) -> dict[str, Any]:
    """Score `student` and `compiled` on `test` (trials with subset "test", no budget) and compare.

    Returns the run columns to store: test_baseline, test_best, baseline_candidate and
    comparison = paired_comparison(...) plus the two candidate hashes. Raises RunCancelled if
    the run is cancelled before a trial starts.
    """
    runner = TrialRunner(run, metric, getattr(optimizer, "num_threads", None), None)
    run.recorder.phase("test", f"baseline and best program on {len(test)} held-out test examples")
    trackers = settings.usage_trackers
    if not any(t is run.ledger for t in trackers):
        trackers = (*trackers, run.ledger)
    # Held-out scoring is outside the optimization budget (it decides nothing); its calls are
    # still recorded and visible in the run's usage.
    with settings.context(usage_trackers=trackers, budget=None):
        base = runner.evaluate(
            student, test, subset="test", origin="baseline (student as given)", track_best=False
        )
        best = runner.evaluate(
            compiled, test, subset="test", origin="best program", track_best=False
        )
    ids = [example_id(e) for e in test]
    comparison = paired_by_id(
        {i: base.example_scores[i] for i in ids}, {i: best.example_scores[i] for i in ids}
    ) or paired_comparison([], [])
    comparison.update(
        baseline_candidate=base.candidate,
        best_candidate=best.candidate,
        subset="test",
        baseline_score=base.score,
        best_score=best.score,
    )
    run.recorder.log(
        f"test: start {base.score:.1%} -> best {best.score:.1%}, {verdict(comparison).text}"
    )
    return {
        "test_baseline": base.score,
        "test_best": best.score,
        "comparison": comparison,
        "baseline_candidate": base.candidate,
    }
