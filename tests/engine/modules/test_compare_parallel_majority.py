"""MultiChainComparison (its prompt holds the attempts), Parallel (order, failures, max_errors,
example forms) and majority (normalisation, ties, ignored votes)."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.evaluate.evaluate import TooManyErrors
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields

ATTEMPTS = [
    {"reasoning": "add 2 and 2\nthen check", "answer": "4"},
    {"reasoning": "multiply 2 by 2", "answer": "4"},
    {"rationale": "guess", "answer": "5\nmaybe"},
]


def test_multi_chain_comparison_prompt_holds_every_attempt():
    lm = ScriptedLM(answers=[{"rationale": "Two of three say 4.", "answer": "4"}])
    dspy.configure(lm=lm)
    compare = dspy.MultiChainComparison("question -> answer", M=3)
    out = compare(completions=ATTEMPTS, question="2+2?")
    assert out.rationale == "Two of three say 4." and out.answer == "4"
    fields = input_fields(lm.history[-1]["messages"][-1]["content"])
    assert fields["question"] == "2+2?"
    assert fields["reasoning_attempt_1"] == (
        "«I'm trying to add 2 and 2 I'm not sure but my prediction is 4»"
    )
    assert fields["reasoning_attempt_3"].endswith("my prediction is 5»")
    signature = compare.predict.signature
    assert list(signature.output_fields) == ["rationale", "answer"]
    assert compare.predict.config["temperature"] == 0.7
    assert [n for n, _ in compare.named_predictors()] == ["predict"]


def test_multi_chain_comparison_takes_a_prediction_and_checks_m():
    dspy.configure(lm=ScriptedLM(answers=[ATTEMPTS[0]] * 2 + [{"rationale": "r", "answer": "4"}]))
    sampled = dspy.ChainOfThought("question -> answer", n=2)(question="2+2?")
    assert len(sampled.completions) == 2
    assert dspy.MultiChainComparison("question -> answer", M=2)(
        completions=sampled, question="2+2?"
    ).answer == "4"  # fmt: skip
    with pytest.raises(ValueError, match="M=3"):
        dspy.MultiChainComparison("question -> answer")(completions=ATTEMPTS[:2], question="q")


class Doubler(dspy.Module):
    def forward(self, x):
        if x == "bad":
            raise ValueError("cannot double 'bad'")
        return dspy.Prediction(y=x * 2)


def test_parallel_keeps_order_and_reports_failures():
    module = Doubler()
    pairs = [
        (module, dspy.Example(x="a", y="aa").with_inputs("x")),
        (module, {"x": "bad"}),
        (module, ("c",)),
    ]
    results = dspy.Parallel(num_threads=3)(pairs)
    assert [r.y if r else None for r in results] == ["aa", None, "cc"]
    results, failed, errors = dspy.Parallel(return_failed_examples=True)(pairs)
    assert failed == [{"x": "bad"}] and "cannot double" in str(errors[0])
    with pytest.raises(TooManyErrors, match="1 of 3 pairs failed"):
        dspy.Parallel(max_errors=0)(pairs)


def test_parallel_nests_and_runs_predictors_on_the_configured_lm():
    dspy.configure(lm=ScriptedLM(by_input=lambda m: {"y": input_fields(m[-1]["content"])["x"]}))
    predict = dspy.Predict("x -> y")
    inner = dspy.Parallel()
    outer = dspy.Parallel(num_threads=2)
    results = outer(
        [(inner, [(predict, {"x": "1"}), (predict, {"x": "2"})]), (predict, {"x": "3"})]
    )
    assert [r.y for r in results[0]] == ["1", "2"] and results[1].y == "3"
    with pytest.raises(TooManyErrors, match="unsupported example type str"):
        dspy.Parallel(max_errors=0)([(predict, "x")])


def test_majority_normalises_before_counting():
    votes = [{"answer": "Paris."}, {"answer": "London"}, {"answer": "the paris"}]
    winner = dspy.majority(votes)
    assert winner.answer == "Paris."  # the first completion with the winning value
    exact = dspy.majority(votes, normalize=None)
    assert exact.answer == "Paris."  # three distinct values: a tie, the first wins


def test_majority_ties_ignored_votes_fields_and_predictions():
    assert dspy.majority([{"a": "x"}, {"a": "y"}]).a == "x"
    assert dspy.majority([{"a": "y"}, {"a": "x"}, {"a": "x"}, {"a": "y"}]).a == "y"
    assert dspy.majority([{"a": "!"}, {"a": "?"}, {"a": "z"}]).a == "z"  # '' does not vote
    assert dspy.majority([{"a": "!"}, {"a": "?"}]).a == "!"  # unless nothing votes
    rows = [{"answer": "1", "label": "b"}, {"answer": "2", "label": "a"}, {"answer": "2"}]
    assert dspy.majority(rows, field="answer").label == "a"
    sampled = dspy.Prediction.from_completions([{"y": "k"}, {"y": "j"}, {"y": "J"}])
    assert dspy.majority(sampled).y == "j"
    outputs = [dspy.Prediction(reasoning="r", answer=a) for a in ("no", "yes", "Yes")]
    assert dspy.majority(outputs).answer == "yes"  # a list of Predictions: the last field votes
    with pytest.raises(ValueError):
        dspy.majority([])
