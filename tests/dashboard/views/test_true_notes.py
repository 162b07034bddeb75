"""The three notes issue 40 found untrue, now saying what is true: the GEPA lineage beside a
calibrated candidate ("0 kept, the tree is your prompt alone"), "what each candidate changed"
on a one-step pipeline ("the reflection rewrote another step"), and Compare's note when the
instructions match ("the difference is in the demos" where both had none)."""

from __future__ import annotations

from dashboard.run_data.compare import same_instruction_note
from dashboard.run_data.gepa import LineageNode
from dashboard.widgets.run.candidate_change import _label, unchanged_note
from dashboard.widgets.run.lineage_view import _caption

REJECTED = [{"iteration": 1, "accepted": False, "child": "c1"}]  # did worse than its parent


def node(number: int, score: float, parents: list[int], origin: str) -> LineageNode:
    return LineageNode(number=number, hash=f"h{number}", parents=parents, score=score,
                       depth=len(parents), origin=origin,
                       instructions={"classify": "Route it."})  # fmt: skip


START = node(0, 0.47, [], "baseline (student as given)")
CALIBRATED = node(1, 0.67, [0], "choice calibration")
REWRITE = node(1, 0.60, [0], "reflection")


def test_lineage_names_a_calibrated_candidate_instead_of_saying_prompt_alone() -> None:
    text = _caption(REJECTED, [START, CALIBRATED])
    assert "0 kept" in text and "prompt alone" not in text
    assert "no rewritten instruction was kept; candidate 0 is your prompt" in text
    assert "Candidate 1 (67%) is candidate 0 with calibrated choices" in text
    assert "(+20 pts), not a rewrite" in text
    assert "the tree is your prompt alone" in _caption(REJECTED, [START])  # true there


def test_a_calibrated_candidate_is_not_called_a_rewrite_of_another_step() -> None:
    nodes = [START, CALIBRATED]
    assert "calibrated choices of candidate 0" in _label(CALIBRATED, nodes)
    note = unchanged_note(CALIBRATED, START, several_steps=False)
    assert "candidate 1 is candidate 0 with calibrated choices" in note
    assert "another step" not in note
    one_step = unchanged_note(REWRITE, START, several_steps=False)
    assert "another step" not in one_step and "same as candidate 0's" in one_step
    assert "another step" in unchanged_note(REWRITE, START, several_steps=True)


def test_compare_says_where_the_difference_is_when_the_instructions_match() -> None:
    bare = {"signature": {"instructions": "Route it."}, "demos": []}
    demo = {**bare, "demos": [{"ticket": "t", "category": "billing"}]}
    calibrated = {**bare, "choice_offsets": {"category": {"billing": 0.4}}}
    assert same_instruction_note(bare, bare) == (
        "The instructions are identical, and so is everything else in this step."
    )
    assert same_instruction_note(bare, demo).endswith("in the examples (demos) below.")
    assert same_instruction_note(bare, calibrated).endswith("in the calibrated choices below.")
    assert "demos" not in same_instruction_note(bare, calibrated)
    assert "demos) and the calibrated choices" in same_instruction_note(
        demo, {**calibrated, "demos": []}
    )
