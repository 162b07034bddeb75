"""COPRO on the scripted LM: breadth x depth proposals, history with scores, best wins."""

import pytest
from instruction_lms import exact, instruction_sensitive, is_proposer_call, qa

import engine as dspy
from engine.optimizers import COPRO, RunContext

PROPOSALS = [
    "Reply with the number only.", "Be brief and polite, always.", "Answer the question carefully.",
    "Give the number in the question.", "Copy the digits you see.", "Return the answer field.",
]  # fmt: skip


def run_copro(lm, **params):
    params = {"metric": exact, "breadth": 3, "depth": 2, "race": False, **params}
    with dspy.context(lm=lm):
        return COPRO(**params).compile(
            dspy.Predict("question -> answer"), trainset=qa(12), run=RunContext(seed=0)
        )


def test_breadth_times_depth_with_history_and_the_best_instruction_wins():
    lm = instruction_sensitive(PROPOSALS)
    compiled = run_copro(lm)
    result = compiled.result
    proposer = [h for h in lm.history if is_proposer_call(h["messages"])]
    assert len(proposer) == (3 - 1) + (2 - 1) * 3  # DSPy's count per predictor
    assert result.usage["by_role"]["proposer"]["calls"] == 5
    second_round = proposer[-1]["messages"][-1]["content"]
    assert "Instructions tried so far, best first" in second_round and "score " in second_round
    rounds = [e.data["round"] for e in result.events if e.type == "proposals"]
    assert rounds == [0, 1]
    last = [e.data for e in result.events if e.type == "proposals"][-1]
    assert len(last["instructions"]) == 1 + 5 and last["instructions"][0]["origin"] == "original"
    assert compiled.signature.instructions == "Answer the question carefully."
    assert result.best_score == 1.0 > result.baseline_score
    assert len({t.candidate for t in result.trials}) == 6  # baseline + 5 instructions


def test_copro_checks_its_settings():
    with pytest.raises(ValueError, match="breadth"):
        COPRO(metric=exact, breadth=1)
    with pytest.raises(ValueError, match="metric"):
        COPRO()


def test_copro_estimate_without_racing_is_exact_here_for_the_task_and_a_cap_for_the_proposer():
    lm = instruction_sensitive(PROPOSALS)
    compiled = run_copro(lm)
    pairs = compiled.result.estimate_vs_actual()
    # at most 3 draws per new instruction: 3 * 2 in round 1, 3 * 3 in round 2; all 5 were kept
    assert pairs["proposer"] == {"estimate": 15, "actual": 5}
    assert pairs["task"]["estimate"] == pairs["task"]["actual"] == 6 * 12


def test_verbose_is_dspys_flag_and_logs_every_event(caplog) -> None:
    """`COPRO(verbose=True)` (the seed documents' call) works and writes the events to logging."""
    import logging

    lm = instruction_sensitive(PROPOSALS)
    with caplog.at_level(logging.INFO, logger="engine.optimizers.spine._events"):
        run_copro(lm, verbose=True, breadth=2, depth=1)
    assert "run_started" in caplog.text and "run_finished" in caplog.text
