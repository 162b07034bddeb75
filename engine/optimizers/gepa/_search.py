"""GEPA's search loop: reflective mutation, acceptance on the minibatch, full validation of kept
children, merges, and the metric-call budget (see gepa.py for the algorithm in words)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from engine.evaluate.scoring import accepts_predictor_feedback
from engine.optimizers.gepa._merge import MergePlan, merge_subsample, propose_merge
from engine.optimizers.gepa._plan import MinibatchOrder
from engine.optimizers.gepa._pool import CandidatePool, PoolEntry
from engine.optimizers.gepa._reflection import ReflectionRecord, Reflector, reflective_dataset
from engine.optimizers.proposing import TaskFacts, task_facts
from engine.optimizers.spine import Candidate, Trial, TrialRunner, derive_seed, example_id

MAX_IDLE_ITERATIONS = 10  # iterations in a row that spend no metric call end the search
RECORD_CHARS = 240  # field values kept per record in the `reflection` event


@dataclass
class SelectorState:
    """What a function `component_selector` reads as GEPA's `state`: the predictor names and,
    per candidate index, the position of the next one round-robin would pick."""

    list_of_named_predictors: list[str]
    named_predictor_id_to_update_next_for_program_candidate: dict[int, int]
    i: int = 0  # the search's iteration (GEPA's state.i)


class BudgetReached(Exception):
    """The next step would spend more metric calls than the budget has left."""


@dataclass
class GepaSearch:
    """One GEPA run over a pool; `options` is the GEPA optimizer (its settings)."""

    runner: TrialRunner
    pool: CandidatePool
    budget: int
    trainset: list[Any]
    valset: list[Any]
    paths: list[str]
    seed: int
    options: Any
    seen: set[tuple[str, str]] = field(default_factory=set)  # (candidate, example) scored
    iteration: int = 0
    reflections: int = 0
    merges: int = 0
    merges_due: int = 0
    tried_merges: set[tuple[int, int]] = field(default_factory=set)
    next_predictor: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # every instruction a reflection wrote, per predictor, kept or not: a later reflection
    # must offer something new, not a child already tested on an earlier minibatch
    written: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    facts: dict[str, TaskFacts] = field(default_factory=dict)  # per predictor, from trainset

    def __post_init__(self) -> None:
        self.ctx = self.runner.run
        self.examples = {example_id(e): e for e in [*self.trainset, *self.valset]}
        train_ids = list(dict.fromkeys(example_id(e) for e in self.trainset))
        self.order = MinibatchOrder(
            train_ids, self.options.reflection_minibatch_size, derive_seed(self.seed, "gepa")
        )
        self.reflector = Reflector(self.options.reflection_lm)
        self.predictor_feedback = accepts_predictor_feedback(self.options.metric)

    @property
    def used(self) -> int:
        """Metric calls spent: distinct (candidate, example) pairs this search scored."""
        return len(self.seen)

    # -- evaluation under the metric-call budget ------------------------------------------------
    def _cost(self, program: Any, ids: list[str]) -> int:
        cand = Candidate.from_program(program).hash
        return len({(cand, i) for i in ids} - self.seen)

    def _fits(self, cost: int) -> bool:
        return self.used + cost <= self.budget

    def _evaluate(self, program: Any, ids: list[str], subset: str, **kw: Any) -> Trial:
        if not self._fits(self._cost(program, ids)):
            raise BudgetReached
        trial = self.runner.evaluate(program, [self.examples[i] for i in ids], subset=subset, **kw)
        self.seen.update((trial.candidate, i) for i in ids)
        return trial

    # -- the loop -------------------------------------------------------------------------------
    def start(self, student: Any) -> PoolEntry:
        """The student as given becomes candidate 0 (its validation trial is the baseline's)."""
        ids = [example_id(e) for e in self.valset]
        trial = self._evaluate(student, ids, "val", origin="baseline (student as given)")
        return self.pool.add(
            student.deepcopy(), trial.candidate, [], "student as given", trial.example_scores,
            self.used,
        )  # fmt: skip

    def run(self) -> None:
        idle = 0
        recorder = self.ctx.recorder
        cap = getattr(self.options, "num_iterations", None)
        while True:
            self.ctx.check_cancel()
            if cap is not None and self.iteration >= cap:
                recorder.log(f"GEPA stopped: num_iterations={cap} iterations done")
                return
            self.iteration += 1
            before = self.used
            recorder.phase(
                "reflective search",
                f"iteration {self.iteration}: {self.used} of {self.budget} metric calls, "
                f"{len(self.pool.entries)} candidates",
            )
            try:
                if not self._try_merge():
                    self._reflect()
            except BudgetReached:
                recorder.log(
                    f"GEPA stopped: the next step would pass the budget of {self.budget} metric "
                    f"calls ({self.used} spent)"
                )
                return
            idle = idle + 1 if self.used == before else 0
            if idle >= MAX_IDLE_ITERATIONS:
                recorder.log(
                    f"GEPA stopped: {idle} iterations in a row found nothing new to score "
                    f"({self.used} of {self.budget} metric calls spent)",
                    level="warning",
                )
                return

    # -- reflective mutation --------------------------------------------------------------------
    def _pick_paths(self, parent: PoolEntry, scores: list[float], rows: list[Any]) -> list[str]:
        selector = self.options.component_selector
        if callable(selector):
            return self._selected_paths(selector, parent, scores, rows)
        if selector == "all":
            return list(self.paths)
        position = self.next_predictor.get(parent.index, 0)
        self.next_predictor[parent.index] = position + 1
        return [self.paths[position % len(self.paths)]]

    def _selected_paths(
        self, selector: Any, parent: PoolEntry, scores: list[float], rows: list[Any]
    ) -> list[str]:
        """The predictors a function selector names: it is called as GEPA's protocol has it,
        (state, trajectories, subsample_scores, candidate_idx, candidate) -> names."""
        state = SelectorState(list(self.paths), self.next_predictor, self.iteration)
        candidate = {
            name: predictor.signature.instructions
            for name, predictor in parent.program.named_predictors()
        }
        names = list(selector(state, rows, scores, parent.index, candidate) or [])
        unknown = [n for n in names if n not in self.paths]
        if unknown or not names:
            raise ValueError(
                f"component_selector returned {names!r}; it must name one or more of the "
                f"program's predictors: {self.paths}"
            )
        return list(dict.fromkeys(names))

    def _reflect(self) -> None:
        rng = random.Random(derive_seed(self.seed, "gepa parent", self.iteration))
        parent = self.pool.select_parent(self.options.candidate_selection_strategy, rng)
        batch = self.order.batch(self.reflections)
        self.reflections += 1
        origin = f"iteration {self.iteration}: candidate {parent.index} on a minibatch"
        parent_trial = self._evaluate(
            parent.program, batch, "minibatch", track_best=False, origin=origin
        )
        paths = self._pick_paths(
            parent,
            [parent_trial.example_scores[i] for i in batch if i in parent_trial.example_scores],
            [self.ctx.results.get((parent.hash, i)) for i in batch],
        )
        event = {
            "iteration": self.iteration,
            "kind": "reflection",
            "parent": parent.hash,
            "parent_index": parent.index,
            "predictors": paths,
            "minibatch": batch,
            "parent_score": parent_trial.score,
        }
        perfect = self.options.perfect_score
        if self.options.skip_perfect_score and all(
            s >= perfect for s in parent_trial.example_scores.values()
        ):
            self._emit(event, skipped="the parent is already perfect on this minibatch")
            return
        if not self._fits(len(batch)):  # no room to score a child: spend no reflection on it
            raise BudgetReached
        child = parent.program.deepcopy()
        predictors = dict(child.named_predictors())
        records_by_path: dict[str, list[ReflectionRecord]] = {}
        written: dict[str, str] = {}
        cleaning: dict[str, Any] = {}
        rows = [self.ctx.results[(parent.hash, i)] for i in batch]  # prefilled on resume
        for path in paths:
            records = reflective_dataset(
                rows, self.examples, path, predictors[path],
                self.options.metric, self.predictor_feedback,
            )  # fmt: skip
            if not self.options.add_format_failure_as_feedback:
                records = [r for r in records if r.outputs is not None] or records
            records_by_path[path] = records
            text, cleaning[path] = self._new_instruction(path, predictors[path], records)
            if text is not None:
                written[path] = text
                predictors[path].signature = predictors[path].signature.with_instructions(text)
        event["records"] = {p: [_record(r) for r in rs] for p, rs in records_by_path.items()}
        event["cleaning"] = cleaning
        if not written:
            self._emit(event, skipped="the reflection gave no usable instruction")
            return
        event["instructions"] = written
        templated = [p for p in written if (cleaning[p].get("made") or {}).get("how") == "template"]
        made = f" (template variation for {', '.join(templated)})" if templated else ""
        if templated:
            event["templates"] = templated
        child_trial = self._evaluate(
            child, batch, "minibatch", track_best=False, parents=[parent.hash],
            origin=f"iteration {self.iteration}: reflection on {', '.join(written)}{made}",
        )  # fmt: skip
        accepted = sum(child_trial.example_scores.values()) > sum(
            parent_trial.example_scores.values()
        )
        event.update(child=child_trial.candidate, child_score=child_trial.score, accepted=accepted)
        if accepted:
            origin = f"reflection on {', '.join(written)}{made} (iteration {self.iteration})"
            entry = self._validate(child, [parent], origin, event)
            event["child_index"] = entry.index
        self._emit(event)

    def _new_instruction(
        self, path: str, predictor: Any, records: list[ReflectionRecord]
    ) -> tuple[str | None, dict[str, Any]]:
        tried = [dict(e.program.named_predictors())[path].signature.instructions
                 for e in self.pool.entries] + self.written[path]  # fmt: skip
        proposer = self.options.instruction_proposer
        if proposer is None:
            rollout = f"gepa/{self.seed}/{self.iteration}/{path}"
            if path not in self.facts:
                self.facts[path] = task_facts(predictor, self.trainset)
            kept, summary = self.reflector.reflect(
                path, predictor, records, tried, rollout, self.facts[path]
            )
        else:
            dataset = {path: [_record(r) for r in records]}
            current = {path: predictor.signature.instructions}
            proposed = proposer(
                candidate=current, reflective_dataset=dataset, components_to_update=[path]
            )
            text = (proposed or {}).get(path)
            usable = isinstance(text, str) and text.strip() not in ("", *tried)
            kept = text.strip() if usable else None
            summary = {"proposed": 1, "kept": int(kept is not None), "dropped": {}}
        if kept is not None:
            self.written[path].append(kept)
        return kept, summary

    def _validate(
        self, program: Any, parents: list[PoolEntry], origin: str, event: dict[str, Any]
    ) -> PoolEntry:
        """Score a kept child on the whole valset and add it to the pool."""
        ids = [example_id(e) for e in self.valset]
        if not self._fits(self._cost(program, ids)):
            event["skipped"] = "kept on the minibatch, but the budget has no room to validate it"
            self._emit(event)
            raise BudgetReached
        trial = self._evaluate(
            program, ids, "val", parents=[p.hash for p in parents], origin=origin
        )
        entry = self.pool.add(
            program, trial.candidate, [p.index for p in parents], origin, trial.example_scores,
            self.used,
        )  # fmt: skip
        if self.options.use_merge:
            self.merges_due += 1
        return entry

    # -- merge ----------------------------------------------------------------------------------
    def _try_merge(self) -> bool:
        """One merge attempt when one is due; False when there was nothing to merge."""
        options = self.options
        if not options.use_merge or self.merges_due <= 0:
            return False
        if self.merges >= options.max_merge_invocations or len(self.paths) < 2:
            return False
        rng = random.Random(derive_seed(self.seed, "gepa merge", self.iteration))
        front = set(self.pool.front_counts())
        plan = propose_merge(self.pool, rng, self.tried_merges, front)
        if plan is None:
            return False
        self.merges_due -= 1
        self.merges += 1
        self._score_merge(plan, rng)
        return True

    def _score_merge(self, plan: MergePlan, rng: random.Random) -> None:
        ids = merge_subsample(plan.left, plan.right, self.pool.val_ids, rng)
        parents = [plan.left, plan.right]
        trial = self._evaluate(
            plan.program, ids, "minibatch", track_best=False, parents=[p.hash for p in parents],
            origin=f"iteration {self.iteration}: merge of {plan.left.index} and {plan.right.index}",
        )  # fmt: skip
        merged = sum(trial.example_scores.values())
        best_parent = max(sum(p.val_scores.get(i, 0.0) for i in ids) for p in parents)
        accepted = merged >= best_parent
        event = {
            "iteration": self.iteration,
            "kind": "merge",
            "parents": [p.hash for p in parents],
            "parent_indices": [p.index for p in parents],
            "ancestor_index": plan.ancestor.index,
            "taken": plan.taken,
            "minibatch": ids,
            "parent_score": best_parent / len(ids) if ids else 0.0,
            "child": trial.candidate,
            "child_score": trial.score,
            "accepted": accepted,
        }
        if accepted:
            origin = f"merge of {plan.left.index} and {plan.right.index}"
            event["child_index"] = self._validate(plan.program, parents, origin, event).index
        self._emit(event)

    # -- events ---------------------------------------------------------------------------------
    def _emit(self, event: dict[str, Any], skipped: str | None = None) -> None:
        if skipped is not None:
            event["skipped"] = skipped
        event.setdefault("accepted", False)
        event["metric_calls"] = self.used
        event["budget"] = self.budget
        self.ctx.announce_step("reflection", **event)


def _record(record: ReflectionRecord) -> dict[str, Any]:
    def short(values: dict[str, Any] | None) -> dict[str, str] | None:
        if values is None:
            return None
        return {k: " ".join(str(v).split())[:RECORD_CHARS] for k, v in values.items()}

    return {
        "inputs": short(record.inputs),
        "outputs": short(record.outputs),
        "score": record.score,
        "feedback": record.feedback,
    }
