"""InferRules (DSPy's name and call shape): BootstrapFewShot, then rules induced from the
training examples appended to each predictor's instruction; of `num_candidates` rule sets, the
one scoring best on the validation examples wins."""

from __future__ import annotations

from typing import Any

from engine.core import (
    AdapterParseError,
    ContextWindowExceededError,
    InputField,
    OutputField,
    Signature,
    settings,
)
from engine.modules.chain_of_thought import ChainOfThought
from engine.modules.module import Module
from engine.optimizers.bootstrap import BootstrapFewShot, bootstrap_calls
from engine.optimizers.spine import Candidate, CompileJob, Estimate, Workload, tokens_per_call

RULES_HEADING = "Follow these rules when you answer:"


def _induction_signature(num_rules: int) -> type[Signature]:
    class InduceRules(Signature):
        examples_text: str = InputField(desc="worked examples of the task")
        natural_language_rules: str = OutputField(desc="the rules, one per line")

    return InduceRules.with_instructions(
        f"Study the worked examples of a task and write {num_rules} short rules in plain "
        "language that would help someone do this task well. Make each rule concrete enough "
        "to act on, and do not repeat yourself."
    )


class RulesInductionProgram(Module):
    """Writes rules from a text of examples, at temperature 1.0 and a fresh `rollout_id` per
    call, so that each candidate gets its own rule set (calls count as role "proposer")."""

    def __init__(self, num_rules: int, teacher_settings: dict[str, Any] | None = None) -> None:
        self.rules_induction = ChainOfThought(_induction_signature(num_rules))
        self.teacher_settings = dict(teacher_settings or {})

    def forward(self, examples_text: str, rollout_id: int = 0) -> str:
        with settings.context(lm_role="proposer", **self.teacher_settings):
            lm = settings.lm
            varied = lm.copy(rollout_id=rollout_id, temperature=1.0) if hasattr(lm, "copy") else lm
            with settings.context(lm=varied):
                reply = self.rules_induction(examples_text=examples_text)
        return str(reply.natural_language_rules).strip()


class InferRules(BootstrapFewShot):
    """`InferRules(num_candidates=10, num_rules=10, num_threads=None, teacher_settings=None,
    metric=..., **BootstrapFewShot's options)`; `compile(student, trainset=, valset=None)`
    (no valset: the training examples' second half scores the candidates, as in DSPy)."""

    requires_metric = True

    def __init__(
        self,
        num_candidates: int = 10,
        num_rules: int = 10,
        num_threads: int | None = None,
        teacher_settings: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(num_candidates, int) or num_candidates < 1:
            raise ValueError(f"InferRules: num_candidates must be >= 1, got {num_candidates!r}")
        if not isinstance(num_rules, int) or num_rules < 1:
            raise ValueError(f"InferRules: num_rules must be >= 1, got {num_rules!r}")
        super().__init__(teacher_settings=teacher_settings, num_threads=num_threads, **kwargs)
        self.num_candidates = num_candidates
        self.num_rules = num_rules
        self.rules_induction_program = RulesInductionProgram(num_rules, teacher_settings)

    def compile(  # type: ignore[override]
        self, student: Any, *, trainset: list[Any], valset: list[Any] | None = None, **kw: Any
    ) -> Any:
        if valset is None:
            half = len(trainset) // 2
            trainset, valset = list(trainset[:half]), list(trainset[half:])
        if not valset:
            raise ValueError("InferRules needs validation examples: pass valset= or at least "
                             "two training examples")  # fmt: skip
        return super().compile(student, trainset=trainset, valset=valset, **kw)

    def _estimate(self, work: Workload) -> Estimate:
        predictors = len(work.student.predictors()) if work.student is not None else 1
        boot = bootstrap_calls(len(work.trainset), self.max_bootstrapped_demos, self.max_rounds,
                               work.per_example)  # fmt: skip
        scoring = self.num_candidates * len(work.valset) * work.per_example
        rules = self.num_candidates * predictors
        tokens = (boot + scoring) * tokens_per_call(work.trainset, self.max_labeled_demos)
        tokens += rules * tokens_per_call(work.trainset, len(work.trainset))
        notes = (f"bootstrapping, then {self.num_candidates} rule sets (one proposer call per "
                 f"predictor each) scored on {len(work.valset)} validation examples")  # fmt: skip
        return Estimate({"task": boot + scoring, "proposer": rules}, tokens,
                        self.num_candidates, notes)  # fmt: skip

    def _compile(self, job: CompileJob) -> Any:
        runner = job.runner
        program = self.bootstrap(job.student, job.trainset, teacher=job.teacher, runner=runner,
                                 seed=("bootstrap",))  # fmt: skip
        parents = [Candidate.from_program(job.student).hash]
        runner.run.recorder.phase("inducing rules", f"{self.num_candidates} rule sets, each "
                                  f"scored on {len(job.valset)} validation examples")  # fmt: skip
        for number in range(self.num_candidates):
            candidate = program.deepcopy()
            for _, predictor in candidate.named_predictors():
                rules = self.induce_natural_language_rules(predictor, job.trainset, number)
                self.update_program_instructions(predictor, rules)
            runner.evaluate(candidate, job.valset, subset="val", parents=parents,
                            origin=f"rules candidate {number}")  # fmt: skip
        return runner.best_program() or program

    def induce_natural_language_rules(
        self, predictor: Any, trainset: list[Any], rollout_id: int = 0
    ) -> str:
        """Rules from the training examples; with fewer examples while they do not fit the
        LM's context (or the reply cannot be read)."""
        demos = self.get_predictor_demos(trainset, predictor)
        while True:
            try:
                return self.rules_induction_program(
                    self.format_examples(demos, predictor.signature), rollout_id=rollout_id
                )
            except (ContextWindowExceededError, AdapterParseError) as error:
                if len(demos) <= 1:
                    raise RuntimeError(
                        "InferRules could not induce rules: even one example failed "
                        f"({type(error).__name__}: {error})"
                    ) from error
                demos = demos[:-1]

    def update_program_instructions(self, predictor: Any, rules: str) -> None:
        """Append the rules to the predictor's instruction."""
        instructions = f"{predictor.signature.instructions}\n\n{RULES_HEADING}\n{rules}"
        predictor.signature = predictor.signature.with_instructions(instructions)

    def format_examples(self, demos: list[dict[str, Any]], signature: Any) -> str:
        """The examples as text: each one's inputs, then its outputs."""
        blocks = []
        for number, demo in enumerate(demos, 1):
            ins = [f"  {k}: {v}" for k, v in demo.items() if k in signature.input_fields]
            outs = [f"  {k}: {v}" for k, v in demo.items() if k in signature.output_fields]
            blocks.append(f"Example {number}\nInputs:\n" + "\n".join(ins)
                          + "\nOutputs:\n" + "\n".join(outs))  # fmt: skip
        return "\n\n".join(blocks)

    def get_predictor_demos(self, trainset: list[Any], predictor: Any) -> list[dict[str, Any]]:
        """Each training example's values of the predictor's fields."""
        fields = set(predictor.signature.input_fields) | set(predictor.signature.output_fields)
        return [{k: v for k, v in example.items() if k in fields} for example in trainset]
