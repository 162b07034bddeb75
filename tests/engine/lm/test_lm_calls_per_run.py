"""`Module.lm_calls_per_run` (the most LM calls one run makes) and the estimate that uses it:
one per predictor by default, n x inner for BestOfN, plus advice calls for Refine, M + 1 for a
multi-chain step, n x inner for a sampled step; ReAct keeps one per predictor."""

from __future__ import annotations

from pathlib import Path

import engine as dspy
from engine.lm import ScriptedLM
from engine.optimizers import BootstrapFewShot
from engine.optimizers.spine._budget import AT_MOST_NOTE, calls_per_run, predictor_count
from engine.runs import load_spec, preflight
from engine.runs.pipeline._multi_chain import StepMultiChain
from engine.runs.pipeline._program import build_program
from engine.runs.pipeline._samples import StepSamples
from engine.runs.spec._spec import spec_from_dict

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def _reward(args: dict, pred: dspy.Prediction) -> float:
    return 1.0


class TwoSteps(dspy.Module):
    def __init__(self) -> None:
        self.steps = [dspy.Predict("q -> a"), dspy.ChainOfThought("a -> b")]
        self.refined = dspy.Refine(dspy.ChainOfThought("q -> c"), N=3, reward_fn=_reward,
                                   threshold=1.0)  # fmt: skip

    def forward(self, q: str) -> dspy.Prediction:
        return self.steps[0](q=q)


def test_default_counts_one_call_per_predictor() -> None:
    assert dspy.Predict("q -> a").lm_calls_per_run() == 1
    assert dspy.ChainOfThought("q -> a").lm_calls_per_run() == 1
    react = dspy.ReAct("q -> a", tools=[lambda x: x])
    assert react.lm_calls_per_run() == len(react.named_predictors()) == 2  # as before


def test_repeating_modules_multiply_their_inner_calls() -> None:
    inner = dspy.ChainOfThought("q -> a")
    assert dspy.BestOfN(inner, N=4, reward_fn=_reward, threshold=1.0).lm_calls_per_run() == 4
    assert dspy.Refine(inner, N=3, reward_fn=_reward, threshold=1.0).lm_calls_per_run() == 5
    assert StepMultiChain("q -> a", M=3).lm_calls_per_run() == 4
    assert StepSamples(dspy.Predict("q -> a"), 5, "a", "k").lm_calls_per_run() == 5
    program = TwoSteps()
    assert program.lm_calls_per_run() == 1 + 1 + 5  # children in lists are summed too
    assert predictor_count(program) == 3 and calls_per_run(program) == 7
    assert calls_per_run(None) == 1


def test_estimate_counts_every_try_and_says_it_is_an_upper_bound() -> None:
    raw = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    plain = build_program(spec_from_dict(raw, base_dir=SAMPLES))
    raw["pipeline"][0]["samples"] = {"n": 4}
    sampled = build_program(spec_from_dict(raw, base_dir=SAMPLES))
    train = [dspy.Example(ticket=f"t{i}", category="billing").with_inputs("ticket")
             for i in range(10)]  # fmt: skip
    optimizer = BootstrapFewShot(metric=lambda e, p, t=None: 1.0, max_bootstrapped_demos=2)
    one = optimizer.estimate(train, train, student=plain)
    four = optimizer.estimate(train, train, student=sampled)
    assert four.calls["task"] == 4 * one.calls["task"]
    assert AT_MOST_NOTE in four.notes and AT_MOST_NOTE not in one.notes


def test_preflight_test_calls_follow_the_calls_per_row() -> None:
    raw = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    raw["pipeline"][0].update(module="MultiChainComparison", m=2)
    with dspy.context(lm=ScriptedLM(answers=[], name="must-not-be-called")):
        plan = preflight(spec_from_dict(raw, base_dir=SAMPLES))
    assert plan["test_calls"] == 2 * 20 * 3  # baseline + best, 20 test rows, 2 attempts + 1
    assert AT_MOST_NOTE in plan["estimate"]["notes"]


def test_program_of_thought_counts_every_code_attempt_and_the_answer() -> None:
    pot = dspy.ProgramOfThought("question -> answer", max_iters=3)
    assert len(pot.named_predictors()) == 3
    assert pot.lm_calls_per_run() == 4  # up to 3 code attempts, then the answer
    assert calls_per_run(pot) == 4
