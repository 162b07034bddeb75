"""Each training example run through the teacher at most once: KNNFewShot(bootstrap_once=True).

DSPy's KNNFewShot bootstraps again for every input: the teacher (the student with labeled demos
drawn from the input's k neighbours) runs on those neighbours until enough pass. With
`bootstrap_once`, the teacher is the student with labeled demos drawn from the whole trainset,
as BootstrapFewShot's is, and it runs on a training example the first time a neighbour set
needs it; its trace (or its failure) is kept for the program's life. An input's demos are then
its neighbours' accepted traces, nearest first, up to `max_bootstrapped_demos`, filled up with
labeled neighbours as BootstrapFewShot fills up. Teacher calls fall from about k per new
neighbour set to at most one per training example (times `max_rounds`).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from engine.core import BudgetExhausted, settings
from engine.optimizers.bootstrap import BootstrapFewShot, TraceStep, check_errors, teacher_trace


class RowTraces:
    """`trace(i)`: the teacher's accepted trace on training example i, or None; run once."""

    def __init__(
        self,
        bootstrapper: BootstrapFewShot,
        student: Any,
        teacher: Any,
        trainset: list[Any],
        run_seed: int,
    ) -> None:
        self._boot, self._trainset = bootstrapper, trainset
        self._teacher = bootstrapper.prepare_teacher(student, teacher, trainset, run_seed)
        self._traces: dict[int, list[TraceStep] | None] = {}
        self._row_locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._errors = 0

    @property
    def teacher_runs(self) -> int:
        """How many training examples the teacher has been run on so far."""
        return len(self._traces)

    def trace(self, index: int) -> list[TraceStep] | None:
        """The teacher's trace on trainset[index] if the metric accepted it (computed once)."""
        with self._guard:
            row_lock = self._row_locks[index]
        with row_lock:
            if index not in self._traces:
                self._traces[index] = self._run(index)
            return self._traces[index]

    def found(self, indices: list[int]) -> dict[int, list[TraceStep]]:
        """{position in `indices`: trace} for the first `max_bootstrapped_demos` of `indices`
        (nearest first) the teacher passes; no teacher run past the last one needed."""
        found: dict[int, list[TraceStep]] = {}
        for position, index in enumerate(indices):
            if len(found) >= self._boot.max_bootstrapped_demos:
                break
            trace = self.trace(index)
            if trace is not None:
                found[position] = trace
        return found

    def _run(self, index: int) -> list[TraceStep] | None:
        """Up to `max_rounds` attempts (later ones at temperature 1.0), as BootstrapFewShot."""
        boot = self._boot
        with settings.context(lm_role="task", **boot.teacher_settings):
            for round_index in range(max(1, boot.max_rounds)):
                try:
                    trace = teacher_trace(self._teacher, self._trainset, index, round_index,
                                          boot.metric, boot.metric_threshold)  # fmt: skip
                except BudgetExhausted:
                    raise
                except Exception as error:  # one failing example never ends the run
                    with self._guard:
                        self._errors += 1
                        errors = self._errors
                    check_errors(errors, self._boot.error_limit(), error)
                    continue
                if trace is not None:
                    return trace
        return None
