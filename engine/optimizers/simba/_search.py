"""SIMBA's steps: variants on a batch, the examples they disagree on, new programs, and the
final choice among the step winners. Every evaluation goes through the trial runner; a resumed
run replays the same steps (batches and choices come from one seeded RNG and from scores of
trials, which come back identical), and a step whose event a killed worker already stored is
not announced again (one it never stored is)."""

from __future__ import annotations

import random
from typing import Any

from engine.optimizers.simba._spread import Bucket, buckets_by_spread, percentile
from engine.optimizers.simba._strategies import Added, RuleWriter, append_demo, rule_target
from engine.optimizers.simba._variants import Kept, ProgramPool, RolloutVariant
from engine.optimizers.spine import CompileJob, derive_seed, example_id

DEMO, RULE = "demo", "rule"


def spaced(items: list[Any], n: int) -> list[Any]:
    """At most n items spread evenly over the list, first and last included (DSPy's pick of
    step winners for the final evaluation)."""
    if len(items) <= n:
        return list(items)
    last = len(items) - 1
    picks = [round(i * last / (n - 1)) for i in range(n)] if n > 1 else [0]
    return [items[i] for i in dict.fromkeys(picks)]


def first_order(rng: random.Random, n: int) -> list[int]:
    """The search's first order of the trainset's indices (its RNG's first draws)."""
    order = list(range(n))
    rng.shuffle(order)
    return order


class SimbaSearch:
    """One SIMBA run over a CompileJob; `options` is the SIMBA instance (its settings)."""

    def __init__(self, options: Any, job: CompileJob, seed: int) -> None:
        self.opts, self.job = options, job
        self.runner, self.run = job.runner, job.runner.run
        self.rng = random.Random(derive_seed(seed, "simba"))
        self.pool = ProgramPool()
        self.rules = RuleWriter(options.prompt_model)
        self.winners: list[Kept] = []
        self.steps: list[dict[str, Any]] = []
        self.bsize = max(1, min(options.bsize, len(job.trainset)))
        self._order = first_order(self.rng, len(job.trainset))
        self._cursor = 0
        self._examples = {example_id(e): e for e in job.trainset}
        self.strategies = [DEMO, RULE] if options.max_demos > 0 else [RULE]

    @staticmethod
    def first_batch(trainset: list[Any], bsize: int, seed: int) -> list[Any]:
        """Step 1's batch for this seed (what `next_batch` returns first)."""
        order = first_order(random.Random(derive_seed(seed, "simba")), len(trainset))
        return [trainset[i] for i in order[: max(1, min(bsize, len(trainset)))]]

    # -- the run ------------------------------------------------------------------------------
    def start(self) -> None:
        """The student is kept program 0 (scored by its baseline trial, when there is one)."""
        student = self.job.student.deepcopy()
        # the base class's baseline trial: returned as it is, not evaluated again
        trial = self.runner.evaluate(
            student, self.job.valset, subset="val", origin="baseline (student as given)",
            track_best=False,
        )  # fmt: skip
        entry = self.pool.add(student, trial.candidate, "the student as given")
        self.pool.observe(trial)
        self.winners.append(entry)

    def run_steps(self) -> None:
        for number in range(1, self.opts.max_steps + 1):
            self.run.check_cancel()
            self.step(number)

    def next_batch(self) -> list[Any]:
        if self._cursor + self.bsize > len(self._order):
            self.rng.shuffle(self._order)
            self._cursor = 0
        picked = self._order[self._cursor : self._cursor + self.bsize]
        self._cursor += self.bsize
        return [self.job.trainset[i] for i in picked]

    # -- one step -------------------------------------------------------------------------------
    def step(self, number: int) -> dict[str, Any]:
        opts, recorder = self.opts, self.run.recorder
        batch = self.next_batch()
        ids = [example_id(e) for e in batch]
        recorder.phase(
            "searching",
            f"step {number} of {opts.max_steps}: {opts.num_candidates} variants on "
            f"{len(batch)} examples",
        )
        variants = self.run_variants(number, batch)
        buckets = buckets_by_spread(ids, [t for _, t in variants], self.run.results)
        scores = [s for bucket in buckets for s in bucket.scores]
        bounds = (
            percentile(scores, 10), percentile(scores, 90), max(scores, default=0.0),
            min(scores, default=0.0),
        )  # fmt: skip
        rules_before = self.rules.summary()
        made, skipped = self.build(number, buckets, bounds)
        trials = [trial for _, trial in variants]
        added, new_scores = [], {}
        for source, program, additions in made:
            origin = f"step {number}: " + "; ".join(_describe(a) for a in additions)
            trial = self.runner.evaluate(
                program, batch, subset="minibatch", parents=[source.hash], origin=origin,
                track_best=False,
            )  # fmt: skip
            trials.append(trial)
            self.pool.add(program, trial.candidate, origin)
            self.pool.observe(trial)
            new_scores[trial.candidate] = trial.score
            for addition in additions:
                added.append(
                    {**addition.to_dict(), "candidate": trial.candidate, "source": source.hash,
                     "score": trial.score}
                )  # fmt: skip
        best = max(new_scores, key=lambda h: new_scores[h]) if new_scores else None  # the first
        if best is not None:
            winner = self.pool.get(best)
            if winner is not None and all(w.hash != best for w in self.winners):
                self.winners.append(winner)
        event = {
            "step": number,
            "steps": opts.max_steps,
            "batch_ids": ids,
            "variants": [
                {**info, "candidate": trial.candidate, "score": trial.score}
                for info, trial in variants
            ],
            "spread": [bucket.to_dict() for bucket in buckets],
            "added": added,
            "skipped": skipped,
            "scores": new_scores,
            "best": best,
            "kept": [{"candidate": e.hash, "score": round(e.score, 6)}
                     for e in self.pool.top(opts.num_candidates)],
            "rules": _rules_delta(rules_before, self.rules.summary()),
        }  # fmt: skip
        self.steps.append(event)
        self.run.announce_step("simba_step", **event)
        return event

    def run_variants(self, number: int, batch: list[Any]) -> list[tuple[dict[str, Any], Any]]:
        """`num_candidates` variants on the batch: variant 0 runs a kept program as it is (or
        with the teacher LM), variant i > 0 as rollout i of its LM; each program is drawn
        from the best kept ones with softmax(score / temperature_for_sampling)."""
        opts, out = self.opts, []
        teacher = (opts.teacher_settings or {}).get("lm")
        for index in range(opts.num_candidates):
            source = self.pool.sample(self.rng, opts.num_candidates, opts.temperature_for_sampling)
            if index == 0 and teacher is not None:
                program, label = RolloutVariant.teacher(source.program, teacher), "teacher LM"
            elif index == 0:
                program, label = source.program, "as it is"
            else:
                program, label = RolloutVariant.rollout(source.program, index), f"rollout {index}"
            trial = self.runner.evaluate(
                program, batch, subset="minibatch", parents=[source.hash],
                origin=f"step {number}: variant {index} ({label})", track_best=False,
            )  # fmt: skip
            self.pool.observe(trial)
            info = {"index": index, "source": source.hash, "setting": label}
            out.append((info, trial))
        return out

    def build(
        self, number: int, buckets: list[Bucket], bounds: tuple[float, ...]
    ) -> tuple[list[tuple[Kept, Any, list[Added]]], list[dict[str, Any]]]:
        """New programs from the num_candidates + 1 buckets with the widest spread (as in
        DSPy): each a copy of a kept program (softmax at temperature_for_candidates) with a
        demo or a rule added (`plan`). A strategy that does not apply falls back to the other;
        a dropped rule does not (the bucket is skipped and the reason counted), so a model that
        writes junk costs at most one rule call per bucket."""
        opts, made, skipped = self.opts, [], []
        chosen = buckets[: opts.num_candidates + 1]
        for bucket, first in zip(chosen, self.plan(chosen), strict=True):
            source = self.pool.sample(
                self.rng, opts.num_candidates, opts.temperature_for_candidates
            )
            program = source.program.deepcopy()
            reasons = []
            for strategy in [first, *(s for s in self.strategies if s != first)]:
                result = self.apply(strategy, program, bucket, bounds)
                if not isinstance(result, str):
                    made.append((source, program, result))
                    reasons = []
                    break
                reasons.append(f"{strategy}: {result}")
                if result.startswith("rule dropped"):
                    break
            if reasons and bucket.gap > 0:  # where the variants agreed there is little to say
                skipped.append({"example_id": bucket.example_id, "reasons": reasons})
        return made, skipped

    def plan(self, chosen: list[Bucket]) -> list[str]:
        """The first strategy for each bucket. Unlike DSPy's independent draws, half of them
        (rounded down) get a rule, drawn at random among the buckets where the variants
        disagree (a rule needs a better and a worse run): every step tries both strategies,
        and its rule calls are known in advance. With max_demos=0, every bucket gets a rule."""
        if DEMO not in self.strategies:
            return [RULE] * len(chosen)
        disagree = [i for i, bucket in enumerate(chosen) if bucket.gap > 0]
        ruled = set(self.rng.sample(disagree, min(len(disagree), len(chosen) // 2)))
        return [RULE if i in ruled else DEMO for i in range(len(chosen))]

    def apply(
        self, strategy: str, program: Any, bucket: Bucket, bounds: tuple[float, ...]
    ) -> list[Added] | str:
        """Apply one strategy to `program` in place: what it added, or why it could not.

        As in DSPy, a good run must score above the batch's 10th percentile and a bad one
        below its 90th; unlike DSPy, a run with the batch's best (worst) score always counts as
        good (bad) when the runs disagree, so a mostly right batch still learns from its misses.
        """
        low, high, top, bottom = bounds
        (_, good), (_, bad) = bucket.best(), bucket.worst()
        good_score, bad_score = float(good["score"]), float(bad["score"])
        disagree = good_score > bad_score
        is_good = good_score > low or (disagree and good_score >= top)
        if strategy == DEMO:
            if not is_good:
                return "the best run is not good enough in this batch"
            return append_demo(
                program, good, bucket.example_id, self.opts.max_demos,
                self.opts.demo_input_field_maxlen,
            )  # fmt: skip
        if not disagree:
            return "no better run to contrast with"
        if not is_good or not (bad_score < high or bad_score <= bottom):
            return "the runs are not far enough apart in this batch"
        paths = [path for path, _ in program.named_predictors()]
        path = rule_target(good, bad, paths)
        example = self._examples.get(bucket.example_id)
        text, reason = self.rules.write(program, path, example, good, bad)
        if text is None:
            return f"rule dropped: {reason}"
        return [Added(path, RULE, bucket.example_id, text=text)]

    # -- the end ------------------------------------------------------------------------------
    def finish(self) -> Any:
        """Score the student and the step winners (evenly spaced, up to num_candidates + 1) on
        the valset; the best wins, the student on ties."""
        chosen = spaced(self.winners, self.opts.num_candidates + 1)
        self.run.recorder.phase(
            "final selection",
            f"{len(chosen)} kept program(s) on {len(self.job.valset)} examples",
        )
        for entry in chosen:
            self.runner.evaluate(
                entry.program, self.job.valset, subset="val", origin=entry.origin,
                track_best=True,
            )  # fmt: skip
        best = self.runner.best_program()
        return best if best is not None else self.job.student.deepcopy()


def _describe(addition: Added) -> str:
    return f"{addition.strategy} for {addition.predictor} from example {addition.from_example[:6]}"


def _rules_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    dropped = {
        why: n - before["dropped"].get(why, 0)
        for why, n in after["dropped"].items()
        if n - before["dropped"].get(why, 0)
    }
    return {
        "proposed": after["proposed"] - before["proposed"],
        "kept": after["kept"] - before["kept"],
        "dropped": dropped,
    }
