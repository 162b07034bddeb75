"""Metrics as DSPy has them (issue 39, item 13): `answer_exact_match` / `answer_passage_match`
with one gold answer or a list, `EM`, `SemanticF1` and `CompleteAndGrounded` returning a
`Prediction(score=...)`; each checked against real dspy on the same inputs."""

from __future__ import annotations

import pytest

import engine
from engine.lm import ScriptedLM

dspy = pytest.importorskip("dspy")

CASES = [  # (gold answer, predicted answer, frac)
    ("Paris", "paris", 1.0),
    ("Paris", "Paris, France", 1.0),
    (["Eiffel Tower", "Louvre"], "The Eiffel Tower", 1.0),
    (["Eiffel Tower", "Louvre"], "Notre Dame", 1.0),
    (["Eiffel Tower", "Louvre"], "Eiffel Tower in Paris", 0.5),
    ("the Eiffel Tower", "tower", 0.5),
    ("Café", "cafe\u0301", 1.0),
]


@pytest.mark.parametrize(("gold", "answer", "frac"), CASES)
def test_answer_exact_match_as_dspy(gold, answer, frac):
    ours = engine.evaluate.answer_exact_match(
        engine.Example(question="q", answer=gold), engine.Prediction(answer=answer), frac=frac
    )
    theirs = dspy.evaluate.answer_exact_match(
        dspy.Example(question="q", answer=gold), dspy.Prediction(answer=answer), frac=frac
    )
    assert bool(ours) == bool(theirs)


def test_answer_exact_match_rejects_other_gold_types():
    with pytest.raises(ValueError, match="string or a list"):
        engine.answer_exact_match(engine.Example(answer=3), engine.Prediction(answer="3"))


@pytest.mark.parametrize("gold", ["Kinnairdy Castle", ["Kinnairdy", "Castle Fraser"], ["nope"]])
def test_answer_passage_match_as_dspy(gold):
    context = ["David Gregory inherited Kinnairdy Castle.", "Aberdeen is a city."]
    ours = engine.answer_passage_match(
        engine.Example(answer=gold), engine.Prediction(context=context)
    )
    theirs = dspy.evaluate.answer_passage_match(
        dspy.Example(answer=gold), dspy.Prediction(context=context)
    )
    assert bool(ours) == bool(theirs)


def test_em_as_dspy():
    assert engine.evaluate.EM("The Eiffel Tower", ["Eiffel Tower", "Louvre"])
    assert not engine.evaluate.EM("paris", ["Paris, France"])
    with pytest.raises(ValueError, match="must be a list"):
        engine.evaluate.EM("x", "x")


QA = dict(question="What do cats eat?", response="Cats eat meat and drink water.")


def test_semantic_f1_returns_a_prediction_with_a_score():
    lm = ScriptedLM(answers=["Recall: 0.5\nPrecision: 1.0\nReason: water is missing."])
    result = engine.SemanticF1(lm=lm)(
        engine.Example(**QA).with_inputs("question"), engine.Prediction(response="Cats eat meat.")
    )
    assert isinstance(result, engine.Prediction)
    assert result.score == pytest.approx(2 / 3) and "water is missing" in result.feedback
    assert result > 0.6 and float(result) == result.score and result == result.score
    assert sum([result, result]) == pytest.approx(4 / 3)  # sums like a float in a loop
    judge = ScriptedLM(answers=["Recall: 0.5\nPrecision: 1.0"])
    traced = engine.SemanticF1(lm=judge, threshold=0.6)
    passed = traced(engine.Example(**QA), engine.Prediction(response="Cats eat meat."), trace=[])
    assert passed.score is True  # with a trace: score >= threshold, as in DSPy


def test_dspy_semantic_f1_returns_the_same_shape():
    lm = dspy.utils.dummies.DummyLM([{"reasoning": "half", "recall": 0.5, "precision": 1.0}])
    with dspy.context(lm=lm):
        theirs = dspy.evaluate.SemanticF1()(
            dspy.Example(**QA), dspy.Prediction(response="Cats eat meat.")
        )
    assert isinstance(theirs, dspy.Prediction) and theirs.score == pytest.approx(2 / 3)


def test_semantic_f1_scores_in_evaluate():
    lm = ScriptedLM(answers=["Recall: 1\nPrecision: 1"], cycle=True)
    program = engine.Predict("question -> response")
    engine.configure(lm=ScriptedLM(answers=[{"response": "Cats eat meat."}], cycle=True))
    devset = [engine.Example(**QA).with_inputs("question")] * 2
    result = engine.Evaluate(devset=devset, metric=engine.SemanticF1(lm=lm))(program)
    assert float(result.score) == pytest.approx(100.0)


def test_complete_and_grounded():
    lm = ScriptedLM(
        answers=["Completeness: 0.5\nReason: no water.", "Groundedness: 1.0\nReason: supported."]
    )
    metric = engine.CompleteAndGrounded(lm=lm)
    pred = engine.Prediction(response="Cats eat meat.", context=["Cats are carnivores."])
    result = metric(engine.Example(**QA), pred)
    assert isinstance(result, engine.Prediction) and result.score == pytest.approx(2 / 3)
    assert "completeness 0.50" in result.feedback and "groundedness 1.00" in result.feedback
    prompts = [entry["messages"][-1]["content"] for entry in lm.history]
    assert "Cats eat meat and drink water." in prompts[0] and "Cats are carnivores." in prompts[1]
    with pytest.raises(ValueError, match="context"):
        metric(engine.Example(**QA), engine.Prediction(response="x"))


def test_dspy_complete_and_grounded_returns_the_same_shape():
    lm = dspy.utils.dummies.DummyLM(
        [
            {"reasoning": "r", "ground_truth_key_ideas": "a", "system_response_key_ideas": "b",
             "discussion": "c", "completeness": 0.5},
            {"reasoning": "r", "system_response_claims": "a", "discussion": "c",
             "groundedness": 1.0},
        ]
    )  # fmt: skip
    pred = dspy.Prediction(response="Cats eat meat.", context=["Cats are carnivores."])
    with dspy.context(lm=lm):
        theirs = dspy.evaluate.CompleteAndGrounded()(dspy.Example(**QA), pred)
    assert isinstance(theirs, dspy.Prediction) and theirs.score == pytest.approx(2 / 3)
