"""Ensemble(reduce_fn, size, deterministic).compile(programs): no LM calls at compile, majority
vote (stopping once it is settled), sampling, and a saved state that loads back."""

from __future__ import annotations

import functools
import itertools
import random

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.modules.attempts import aggregation
from engine.optimizers.ensemble._ensemble import EnsembledProgram


def member(answer: str) -> dspy.Predict:
    predict = dspy.Predict("question -> answer")
    predict.lm = ScriptedLM(answers=[{"answer": answer}], cycle=True, name=answer)
    predict.demos = [dspy.Example(question="q", answer=answer)]
    return predict


def test_compile_makes_no_lm_call_and_majority_wins():
    programs = [member("Lyon"), member("Paris"), member("paris ")]
    ensemble = dspy.Ensemble(reduce_fn=dspy.majority).compile(programs)
    assert isinstance(ensemble, EnsembledProgram)
    assert all(p.lm.calls_made == 0 for p in programs)
    assert ensemble(question="Capital of France?").answer == "Paris"
    assert all(p.lm.calls_made == 1 for p in programs)


def test_members_stop_once_the_vote_is_settled():
    programs = [member("Paris"), member("paris "), member("Lyon")]
    ensemble = dspy.Ensemble(reduce_fn=dspy.majority).compile(programs)
    assert ensemble(question="Capital of France?").answer == "Paris"
    assert [p.lm.calls_made for p in programs] == [1, 1, 0]  # Lyon could not win
    by_field = functools.partial(dspy.majority, field="answer", normalize=None)
    dspy.Ensemble(reduce_fn=by_field).compile(programs)(question="q")
    assert [p.lm.calls_made for p in programs] == [2, 2, 1]  # "Paris" != "paris" unnormalized
    by_field = functools.partial(dspy.majority, field="answer")
    dspy.Ensemble(reduce_fn=by_field).compile(programs)(question="q")
    assert [p.lm.calls_made for p in programs] == [3, 3, 1]
    dspy.Ensemble(reduce_fn=dspy.majority, stop_when_settled=False).compile(programs)(question="q")
    assert [p.lm.calls_made for p in programs] == [4, 4, 2]


def test_other_reducers_see_every_member():
    programs = [member("a"), member("a"), member("b")]
    seen = []
    ensemble = dspy.Ensemble(reduce_fn=lambda outputs: seen.append(len(outputs)))
    ensemble.compile(programs)(question="q")
    other = functools.partial(dspy.majority, field="answer", extra=1)  # not majority's shape
    assert aggregation.majority_arguments(other) is None
    assert seen == [3] and all(p.lm.calls_made == 1 for p in programs)


def test_a_settled_vote_is_the_vote_every_ending_gives():
    for trial in range(300):
        rng = random.Random(trial)
        values = [rng.choice(["x", "y", "z", None]) for _ in range(rng.randint(1, 6))]
        done = values[: rng.randint(1, len(values))]
        left = len(values) - len(done)
        completions = [{"answer": v} for v in done]
        settled = aggregation.majority_settled(completions, left, normalize=None)
        picks = set()
        for ending in itertools.product(["x", "y", "z", "w", None], repeat=left):
            every = completions + [{"answer": v} for v in ending]
            picks.add(dspy.majority(every, normalize=None).answer)
        if settled:  # the first completion with the same value is the same completion
            assert picks == {dspy.majority(completions, normalize=None).answer}, (trial, done)
        elif left and any(v is not None for v in done):
            assert len(picks) > 1, (trial, done)  # not settled: some ending changes the pick


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
    assert dspy.majority([dspy.Prediction(answer="x"), dspy.Prediction(answer="y")]).answer == "x"


def test_state_is_every_member_and_loads_back(tmp_path):
    ensemble = dspy.Ensemble(reduce_fn=dspy.majority).compile([member("a"), member("b")])
    state = ensemble.dump_state()
    assert list(state) == ["programs[0]", "programs[1]"]
    path = tmp_path / "ensemble.json"
    ensemble.save(path)
    skeleton = dspy.Ensemble(reduce_fn=dspy.majority).compile(
        [dspy.Predict("question -> answer") for _ in range(2)]
    )
    skeleton.load(path)
    assert [p.demos[0]["answer"] for p in skeleton.programs] == ["a", "b"]


def test_the_seed_form_programs_and_method():  # seed 002: Ensemble(programs=..., method=...)
    ensemble = dspy.Ensemble(
        programs=[member("yes"), member("no"), member("yes")], method="majority_vote"
    )
    assert ensemble(question="ok?").answer == "yes"
