"""SIMBA: stochastic introspective mini-batch ascent (DSPy 3.4.1's constructor).

Each step samples a batch of training examples and runs `num_candidates` variants of the best
programs kept so far on it (variant 0 as the program is, the others as distinct rollouts of its
LM, sampled). On the examples whose scores vary most across the variants it builds new
programs: a copy of a kept program plus either the best variant's trajectory as a demo, or a
rule the prompt model wrote from a better and a worse trajectory (appended to a predictor's
instructions). New programs are scored on the batch and kept; at the end the student and the
step winners are scored on the valset (the trainset when none is given) and the best wins.

Design notes (variant identity, events, estimate): docs/design/simba.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.lm.model_check import check_lms
from engine.optimizers.simba._forecast import forecast_simba
from engine.optimizers.simba._pilot_demo import first_demo_program
from engine.optimizers.simba._pilot_rules import try_rules
from engine.optimizers.simba._search import SimbaSearch
from engine.optimizers.simba._variants import RolloutVariant
from engine.optimizers.spine import (
    CompileJob,
    Estimate,
    Optimizer,
    Workload,
    example_id,
    tokens_per_call,
)

RULE_PROMPT_TOKENS = 700


class SIMBA(Optimizer):
    """`SIMBA(*, metric, bsize=32, num_candidates=6, max_steps=8, max_demos=4, ...)`.

    `temperature_for_sampling` / `temperature_for_candidates` are softmax temperatures over
    the kept programs' scores (which program a variant runs / which program a new one is
    built from), as in DSPy; the variants' LM samples at its own temperature, or 1.0 when it
    has none. `prompt_model` writes the rules (role "proposer"; default: the task LM).
    Not in DSPy: `max_errors`, and `compile(..., valset=...)` for the final choice.
    """

    def __init__(
        self,
        *,
        metric: Callable[..., Any],
        bsize: int = 32,
        num_candidates: int = 6,
        max_steps: int = 8,
        max_demos: int = 4,
        prompt_model: Any = None,
        teacher_settings: dict[str, Any] | None = None,
        demo_input_field_maxlen: int = 100_000,
        num_threads: int | None = None,
        temperature_for_sampling: float = 0.2,
        temperature_for_candidates: float = 0.2,
        max_errors: int | None = None,
    ) -> None:
        if metric is None:
            raise ValueError("SIMBA needs a metric: metric(example, prediction, trace=None)")
        for name, value, least in (
            ("bsize", bsize, 1), ("num_candidates", num_candidates, 1),
            ("max_steps", max_steps, 1), ("max_demos", max_demos, 0),
        ):  # fmt: skip
            if not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an integer of at least {least}, not {value!r}")
        for name, value in (
            ("temperature_for_sampling", temperature_for_sampling),
            ("temperature_for_candidates", temperature_for_candidates),
        ):
            if not value or value <= 0:
                raise ValueError(f"{name} must be greater than 0, not {value!r}")
        self.metric = metric
        self.bsize = bsize
        self.num_candidates = num_candidates
        self.max_steps = max_steps
        self.max_demos = max_demos
        self.prompt_model = prompt_model
        self.teacher_settings = teacher_settings
        self.demo_input_field_maxlen = demo_input_field_maxlen
        self.num_threads = num_threads
        self.temperature_for_sampling = temperature_for_sampling
        self.temperature_for_candidates = temperature_for_candidates
        self.max_errors = max_errors
        self._seed: int | None = None
        self._search: SimbaSearch | None = None

    def params(self) -> dict[str, Any]:
        out = super().params()
        for key in ("prompt_model", "teacher_settings"):
            value = out.get(key)
            if value is not None:
                out[key] = getattr(value, "model", None) or type(value).__name__
        return out

    def compile(
        self,
        student: Any,
        *,
        trainset: list[Any],
        seed: int | None = None,
        valset: list[Any] | None = None,
        teacher: Any = None,
        run: Any = None,
    ) -> Any:
        """DSPy's `compile(student, *, trainset, seed=0)`; `seed` defaults to the run's seed.
        The final choice is made on `valset` (the trainset when none is given)."""
        if not trainset:
            raise ValueError("SIMBA needs training examples to sample batches from")
        check_lms(self.prompt_model, (self.teacher_settings or {}).get("lm"))
        self._seed = seed
        return super().compile(student, trainset=trainset, valset=valset, teacher=teacher, run=run)

    # -- estimate -----------------------------------------------------------------------------
    def pilot_plan(
        self, trainset: list[Any], rows: int, seed: int = 0
    ) -> tuple[list[Any], list[Any], int]:
        """Step 1's batch (the search's seeded order), where the run's first variants are the
        student and its rollouts: the student and its rollouts on up to 2 x `rows` of it
        (whether the program as it is gets a batch right decides what SIMBA builds; where its
        rollouts split decides where it writes rules: on half the rows they once never split,
        and the run's rule on the other half built no program). Step 1 runs them all again:
        from the cache."""
        batch = SimbaSearch.first_batch(trainset, self.bsize, self._seed_for(seed))
        rows = batch[: 2 * max(0, rows)]
        return rows, rows, self.num_candidates - 1

    def pilot_rollout(self, student: Any, rollout: int) -> Any:
        """The student as SIMBA's sampled variant number `rollout` runs it."""
        return RolloutVariant.rollout(student, rollout)

    def pilot_rules(
        self, student: Any, examples: list[Any], plain: Any, variants: list[Any]
    ) -> tuple[int, int]:
        """Rules the prompt model writes on the pilot's disagreeing rows: (written, kept)."""
        return try_rules(self, student, examples, plain, variants)

    def pilot_addition(self, student: Any, plain: Any, variants: list[Any]) -> Any | None:
        """The demo program SIMBA's first step most likely builds first (`first_demo_program`)."""
        return first_demo_program(self, student, plain, variants)

    def _seed_for(self, run_seed: int) -> int:
        return self._seed if self._seed is not None else run_seed

    def _estimate(self, work: Workload) -> Estimate:
        if work.pilot is not None and work.student is not None:
            return self._forecast(work)
        return self._upper_bound(work)

    def _forecast(self, work: Workload) -> Estimate:
        """The search run on simulated rows with the pilot's figures (`simba_forecast`)."""
        pilot = work.pilot
        ahead = forecast_simba(
            self, work.student, work.trainset, work.valset, self._seed_for(work.seed), pilot
        )
        task, proposer = round(ahead.task_calls), round(ahead.rule_calls)
        tokens = task * tokens_per_call(work.valset or work.trainset, min(self.max_demos, 2))
        tokens += proposer * RULE_PROMPT_TOKENS
        notes = (
            f"{self.max_steps} steps of {self.num_candidates} variants on batches of "
            f"{max(1, min(self.bsize, len(work.trainset)))}, forecast by running the search on "
            f"simulated rows: about {ahead.plain_runs:.0f} program runs as they are and "
            f"{ahead.rollout_runs:.0f} sampled ones (rows a program already ran on are free), "
            f"{proposer} rule(s) written ({ahead.rule_keep:.0%} kept: {ahead.rule_keep_source})"
            f"; likely between {ahead.likely[0]:.0f} and {ahead.likely[1]:.0f} calls, as far as "
            f"the pilot's few rows tell the model's odds; {pilot.describe()}. The pilot's "
            f"{pilot.calls} call(s) come back from the cache"
        )
        return Estimate({"task": task, "proposer": proposer}, tokens, round(ahead.trials), notes)

    def _upper_bound(self, work: Workload) -> Estimate:
        per, n_val = work.per_example, len(work.valset)
        batch = max(1, min(self.bsize, len(work.trainset)))
        steps, variants = self.max_steps, self.num_candidates
        new = min(variants + 1, batch)
        val_ids = {example_id(e) for e in work.valset}
        covered = sum(1 for e in work.trainset if example_id(e) in val_ids) / max(
            1, len(work.trainset)
        )
        # variant 0 of step 1 runs the student, whose rows on the valset are known
        variant_runs = steps * variants * batch - round(covered * batch)
        finalists = min(steps, variants)
        # a finalist's rows on its own batch are known when the valset holds the trainset
        final_runs = finalists * max(0, n_val - round(covered * batch))
        runs = n_val + variant_runs + steps * new * batch + final_runs
        rules = new // 2 if self.max_demos > 0 else new  # per step (SimbaSearch.plan)
        proposer = steps * rules
        task = runs * per
        tokens = task * tokens_per_call(work.valset or work.trainset, min(self.max_demos, 2))
        tokens += proposer * RULE_PROMPT_TOKENS
        notes = (
            f"{steps} steps; each runs {variants} variants on a batch of {batch} training "
            f"examples and scores up to {new} new programs on it ({rules} with a rule written "
            "by the prompt model, where the variants disagree); then the student and up to "
            f"{finalists} step winners are scored on {n_val} examples. An upper bound: fewer "
            "calls when a variant meets examples it already ran on, or when the model gets "
            "too few batch examples right for a demo or a rule. Not measured: run a pilot for "
            "a forecast of those"
        )
        trials = 1 + steps * (variants + new) + finalists
        return Estimate({"task": task, "proposer": proposer}, tokens, trials, notes)

    # -- compile ------------------------------------------------------------------------------
    def _compile(self, job: CompileJob) -> Any:
        run = job.runner.run
        self._search = search = SimbaSearch(self, job, self._seed_for(run.seed))
        run.recorder.log(
            f"SIMBA: {self.max_steps} steps of {self.num_candidates} variants on batches of "
            f"{search.bsize} from {len(job.trainset)} training examples"
            + (f" (bsize {self.bsize} is more than the trainset)" if self.bsize > search.bsize
               else "")
        )  # fmt: skip
        search.start()
        search.run_steps()
        return search.finish()

    def result_details(self) -> dict[str, Any] | None:
        if self._search is None:
            return None
        return {"steps": list(self._search.steps), "rules": self._search.rules.summary()}
