"""KNNFewShot: per input, demos bootstrapped from its k nearest training examples (DSPy's shape).

`compile` makes no LM calls: it returns a `KNNFewShotProgram`, which on each call finds the
input's k nearest training examples (`KNN`), runs BootstrapFewShot's bootstrapping on just
those (teacher runs, metric check, labeled fill-up) and answers with the resulting demos. Demos
of a neighbour set are kept, so inputs with the same neighbours cost no more teacher calls.
With `bootstrap_once=True` (not in DSPy) each training example is run through the teacher at
most once per program instead (`engine.optimizers.knn._row_traces`).
How this fits candidates and trials: docs/design/knn_fewshot.md.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from typing import Any

from engine.modules.module import Module
from engine.optimizers.bootstrap import BootstrapFewShot, bootstrap_calls
from engine.optimizers.knn._knn import KNN
from engine.optimizers.knn._row_traces import RowTraces
from engine.optimizers.spine import (
    Candidate,
    CompileJob,
    Estimate,
    Optimizer,
    RunContext,
    TrialRunner,
    Workload,
    example_id,
    tokens_per_call,
)


class KNNSettings(Module):
    """The part of a KNNFewShotProgram's state that is not a predictor: k, the training
    examples' ids and the bootstrap settings (so two KNN programs differ in hash)."""

    saves_own_state = True

    def __init__(self, k: int, train_ids: list[str], bootstrap: dict[str, Any]) -> None:
        self.k, self.train_ids, self.bootstrap = k, train_ids, bootstrap

    def dump_state(self) -> dict[str, Any]:
        return {"k": self.k, "trainset": self.train_ids, "bootstrap": self.bootstrap}

    def load_state(self, state: dict[str, Any]) -> KNNSettings:
        self.k = int(state.get("k", self.k))
        self.train_ids = list(state.get("trainset", self.train_ids))
        self.bootstrap = dict(state.get("bootstrap", self.bootstrap))
        return self


class KNNFewShotProgram(Module):
    """The student (as `program`, demos chosen per call) plus its nearest-neighbour index."""

    def __init__(
        self,
        student: Any,
        knn: KNN,
        bootstrapper: BootstrapFewShot,
        teacher: Any = None,
        bootstrap_once: bool = False,
    ) -> None:
        self.program = student.reset_copy()
        params = {k: v for k, v in bootstrapper.params().items() if k != "metric"}
        if bootstrap_once:
            params["bootstrap_once"] = True
        self.knn = KNNSettings(knn.k, [example_id(e) for e in knn.trainset], params)
        self._knn, self._bootstrapper, self._teacher = knn, bootstrapper, teacher
        self._demos: dict[tuple[int, ...], dict[str, list[Any]]] = {}
        self._lock = threading.Lock()
        self._row_traces = (
            RowTraces(bootstrapper, student, teacher, knn.trainset, RunContext().seed)
            if bootstrap_once
            else None
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> KNNFewShotProgram:
        """Copies the program and settings; shares the index, teacher and demos found so far."""
        new = object.__new__(type(self))
        shared = ("_knn", "_bootstrapper", "_teacher", "_demos", "_lock", "_row_traces")
        for name, value in vars(self).items():
            setattr(new, name, value if name in shared else copy.deepcopy(value, memo))
        return new

    def demos_for(self, **inputs: Any) -> dict[str, list[Any]]:
        """{predictor path: demos} bootstrapped from the k training examples nearest to inputs."""
        key = tuple(self._knn.indices(**inputs))
        with self._lock:
            known = self._demos.get(key)
        if known is not None:
            return known
        neighbours = [self._knn.trainset[i] for i in key]
        if self._row_traces is not None:
            compiled = self.program.reset_copy()
            found = self._row_traces.found(list(key))
            self._bootstrapper.set_demos(compiled, neighbours, found, RunContext().seed)
        else:
            runner = TrialRunner(RunContext(), self._bootstrapper.metric)
            compiled = self._bootstrapper.bootstrap(
                self.program, neighbours, teacher=self._teacher, runner=runner, seed=("knn", key)
            )
        demos = {path: list(p.demos) for path, p in compiled.named_predictors()}
        with self._lock:
            self._demos[key] = demos
        return demos

    def forward(self, **kwargs: Any) -> Any:
        demos = self.demos_for(**kwargs)
        program = self.program.deepcopy()
        for path, predictor in program.named_predictors():
            predictor.demos = demos.get(path, [])
        return program(**kwargs)


class KNNFewShot(Optimizer):
    """`KNNFewShot(k, trainset, vectorizer=None, **few_shot_bootstrap_args)`;
    `compile(student, *, teacher=None)` -> a program choosing demos per input.

    `vectorizer` may be omitted (offline BM25 similarity; DSPy requires an Embedder). The
    bootstrap arguments are BootstrapFewShot's (metric, max_bootstrapped_demos, ...).
    `bootstrap_once=True` (not in DSPy) runs the teacher on each training example at most once,
    with labeled demos from the whole trainset, and gives each input its neighbours' accepted
    traces (`engine.optimizers.knn._row_traces`): far fewer teacher calls, other demos. Given a
    `valset=` (not in DSPy), the student and the compiled program are scored on it. The trainset
    may also come through `compile(..., trainset=...)`, as the run worker passes it.
    """

    valset_defaults_to_trainset = False

    def __init__(
        self,
        k: int = 3,
        trainset: Sequence[Any] | None = None,
        vectorizer: Callable[[list[str]], Any] | None = None,
        bootstrap_once: bool = False,
        **few_shot_bootstrap_args: Any,
    ) -> None:
        self.k = k
        self.bootstrap_once = bootstrap_once
        self.trainset = list(trainset) if trainset is not None else None
        self.vectorizer = vectorizer
        self.few_shot_bootstrap_args = dict(few_shot_bootstrap_args)
        self.bootstrapper = BootstrapFewShot(**self.few_shot_bootstrap_args)
        self.metric = self.bootstrapper.metric
        self.num_threads = self.bootstrapper.num_threads

    @property
    def KNN(self) -> KNN:  # noqa: N802 - DSPy's attribute name
        """The nearest-neighbour index over the trainset given at construction (DSPy's
        `knn_fewshot.KNN`; built on first use)."""
        if self.trainset is None:
            raise ValueError("KNNFewShot has no trainset yet: KNNFewShot(k, trainset)")
        key = (self.k, id(self.vectorizer), len(self.trainset))
        if getattr(self, "_knn_index", (None, None))[0] != key:
            self._knn_index = (key, KNN(self.k, self.trainset, self.vectorizer))
        return self._knn_index[1]

    def params(self) -> dict[str, Any]:
        out = {k: v for k, v in super().params().items() if k not in ("trainset", "bootstrapper")}
        out["vectorizer"] = "BM25 (default)" if self.vectorizer is None else repr(self.vectorizer)
        return out

    def compile(  # type: ignore[override]
        self,
        student: Any,
        *,
        teacher: Any = None,
        trainset: Sequence[Any] | None = None,
        valset: Sequence[Any] | None = None,
        run: RunContext | None = None,
        **options: Any,
    ) -> Any:
        train = list(trainset) if trainset is not None else self.trainset
        if train is None:
            raise ValueError("KNNFewShot needs a trainset: KNNFewShot(k, trainset) or compile(...)")
        return super().compile(
            student, trainset=train, valset=valset, teacher=teacher, run=run, **options
        )

    def _estimate(self, work: Workload) -> Estimate:
        boot = self.bootstrapper
        neighbours = min(self.k, len(work.trainset))
        per_input = bootstrap_calls(
            neighbours, boot.max_bootstrapped_demos, boot.max_rounds, work.per_example
        )
        calls = per_input * len(work.valset)
        if self.bootstrap_once:  # each training example at most once (per round)
            calls = min(calls, len(work.trainset) * max(1, boot.max_rounds) * work.per_example)
        trials = 0
        if self.metric is not None and work.valset:
            calls += 2 * len(work.valset) * work.per_example
            trials = 2
        demos = min(boot.max_labeled_demos, neighbours)
        tokens = calls * tokens_per_call(work.trainset or work.valset, demos)
        notes = (
            "compiling makes no LM calls; each input scored bootstraps demos from its "
            f"{neighbours} nearest training examples (at most: inputs sharing neighbours reuse "
            "them)"
            if not self.bootstrap_once
            else "compiling makes no LM calls; the teacher runs on each training example at "
            "most once, when an input scored first has it among its "
            f"{neighbours} nearest"
        )
        return Estimate({"task": calls}, tokens, trials, notes)

    def _compile(self, job: CompileJob) -> Any:
        runner, valset = job.runner, job.valset
        knn = KNN(self.k, job.trainset, self.vectorizer)
        program = KNNFewShotProgram(
            job.student, knn, self.bootstrapper, job.teacher, self.bootstrap_once
        )
        parents = [Candidate.from_program(job.student).hash]
        kind = "BM25" if self.vectorizer is None else "embeddings"
        origin = f"KNN few-shot (k={self.k}, {kind}; demos per input)"
        if self.metric is not None and valset:
            runner.run.recorder.phase(
                "evaluating candidates",
                f"demos from the {self.k} nearest training examples of each of "
                f"{len(valset)} validation examples",
            )
            runner.evaluate(program, valset, subset="val", parents=parents, origin=origin)
        else:
            runner.register(program, parents, origin)
        return program
