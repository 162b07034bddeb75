"""Programs built from BestOfN, Refine and MultiChainComparison keep dspy 3.4.1's predictor paths
and saved-state layout: their state loads in the same real dspy program, and an optimizer sees
their inner predictors."""

from __future__ import annotations

import pytest

import engine

dspy = pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


def reward(args, pred):
    return 1.0


class Ours(engine.Module):
    def __init__(self):
        self.best = engine.BestOfN(
            engine.ChainOfThought("question -> answer"), N=3, reward_fn=reward, threshold=1.0
        )
        self.refine = engine.Refine(
            engine.Predict("question, answer -> verdict"), N=2, reward_fn=reward, threshold=1.0
        )
        self.compare = engine.MultiChainComparison("question -> answer", M=3)


class Theirs(dspy.Module):
    def __init__(self):
        super().__init__()
        self.best = dspy.BestOfN(
            dspy.ChainOfThought("question -> answer"), N=3, reward_fn=reward, threshold=1.0
        )
        self.refine = dspy.Refine(
            dspy.Predict("question, answer -> verdict"), N=2, reward_fn=reward, threshold=1.0
        )
        self.compare = dspy.MultiChainComparison("question -> answer", M=3)


@pytest.fixture(autouse=True)
def _dspy_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPY_CACHEDIR", str(tmp_path / "dspy-cache"))


PATHS = ["best.module.predict", "refine.module", "compare.predict"]


def test_predictor_paths_and_untuned_state_match_dspy():
    ours, theirs = Ours(), Theirs()
    assert [n for n, _ in ours.named_predictors()] == PATHS
    assert [n for n, _ in theirs.named_predictors()] == PATHS
    assert ours.dump_state() == theirs.dump_state()


def test_tuned_state_loads_in_dspy_and_back(tmp_path):
    ours = Ours()
    ours.best.module.predict.demos = [
        engine.Example(question="2+2?", reasoning="add", answer="4", augmented=True)
    ]
    predictor = ours.compare.predict
    predictor.signature = predictor.signature.with_instructions("Pick the best attempt.")
    path = tmp_path / "program.json"
    ours.save(path)
    theirs = Theirs()
    theirs.load(str(path))
    loaded = dict(theirs.named_predictors())
    assert [dict(d) for d in loaded["best.module.predict"].demos][0]["answer"] == "4"
    assert loaded["compare.predict"].signature.instructions == "Pick the best attempt."
    again = Ours().load(path)
    assert again.compare.predict.signature.instructions == "Pick the best attempt."
    assert again.best.module.predict.demos[0]["reasoning"] == "add"


def test_an_optimizer_tunes_the_predictor_inside_best_of_n():
    from engine.lm import ScriptedLM

    engine.configure(lm=ScriptedLM(follow_demos=True, default={"reasoning": "r", "answer": "?"}))
    program = engine.BestOfN(
        engine.ChainOfThought("question -> answer"), N=2, reward_fn=reward, threshold=1.0
    )
    trainset = [
        engine.Example(question=f"q{i}", answer=f"a{i}").with_inputs("question") for i in range(4)
    ]
    tuned = engine.LabeledFewShot(k=2).compile(program, trainset=trainset)
    assert len(tuned.module.predict.demos) == 2
