"""Ensemble(reduce_fn, size, deterministic).compile(programs): no LM calls at compile, majority
vote, sampling, and a saved state that loads back."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.optimizers.ensemble import EnsembledProgram, vote


def member(answer: str) -> dspy.Predict:
    predict = dspy.Predict("question -> answer")
    predict.lm = ScriptedLM(answers=[{"answer": answer}], cycle=True, name=answer)
    predict.demos = [dspy.Example(question="q", answer=answer)]
    return predict


def test_compile_makes_no_lm_call_and_majority_wins():
    programs = [member("Paris"), member("paris "), member("Lyon")]
    ensemble = dspy.Ensemble(reduce_fn=vote).compile(programs)
    assert isinstance(ensemble, EnsembledProgram)
    assert all(p.lm.calls_made == 0 for p in programs)
    assert ensemble(question="Capital of France?").answer == "Paris"
    assert all(p.lm.calls_made == 1 for p in programs)


def test_without_reduce_fn_the_outputs_come_back_and_size_samples():
    programs = [member(a) for a in ("a", "b", "c", "d")]
    outputs = dspy.Ensemble().compile(programs)(question="q")
    assert [o.answer for o in outputs] == ["a", "b", "c", "d"]
    sampled = dspy.Ensemble(size=2).compile(programs)(question="q")
    assert len(sampled) == 2
    fixed = dspy.Ensemble(size=2, deterministic=True).compile(programs)
    first = [o.answer for o in fixed(question="same")]
    assert all([o.answer for o in fixed(question="same")] == first for _ in range(5))
    with pytest.raises(ValueError, match="size"):
        dspy.Ensemble(size=5).compile(programs)


def test_ties_go_to_the_earliest_program():
    assert vote([dspy.Prediction(answer="x"), dspy.Prediction(answer="y")]).answer == "x"


def test_state_is_every_member_and_loads_back(tmp_path):
    ensemble = dspy.Ensemble(reduce_fn=vote).compile([member("a"), member("b")])
    state = ensemble.dump_state()
    assert list(state) == ["programs[0]", "programs[1]"]
    path = tmp_path / "ensemble.json"
    ensemble.save(path)
    skeleton = dspy.Ensemble(reduce_fn=vote).compile(
        [dspy.Predict("question -> answer") for _ in range(2)]
    )
    skeleton.load(path)
    assert [p.demos[0]["answer"] for p in skeleton.programs] == ["a", "b"]


def test_the_seed_form_programs_and_method():  # seed 002: Ensemble(programs=..., method=...)
    ensemble = dspy.Ensemble(
        programs=[member("yes"), member("no"), member("yes")], method="majority_vote"
    )
    assert ensemble(question="ok?").answer == "yes"
