"""One-line open values: the reply rule, and the names fitted from training labels."""

from __future__ import annotations

import engine as dspy
from engine.adapters.replies.one_line_values import keep, settled, value_end
from engine.core._reply_hints import until_keeper, until_rule
from engine.optimizers.spine._one_line_fit import fit_one_line_outputs, one_line_labels

HEADER = "[[ ## verdict ## ]]\n"


def test_the_value_ends_at_the_blank_line_after_its_paragraph():
    reply = HEADER + "The sauce is too salty.\n\nThe output should be:\n\n"
    assert settled(reply)
    assert keep(reply) == HEADER + "The sauce is too salty."


def test_a_placeholder_echo_or_a_lead_in_is_not_the_value():
    reply = HEADER + "{verdict}\n\nThe verdict is:\n\nThe concert started late.\n\nThe output"
    assert keep(reply) == HEADER + "{verdict}\n\nThe verdict is:\n\nThe concert started late."
    assert not settled(HEADER + "{verdict}\n\nThe verdict is:\n\n")


def test_a_value_still_being_written_is_not_settled_and_kept_whole():
    for reply in (HEADER, HEADER + "The sauce", HEADER + "#[V]\nThe sauce is too salty.\n"):
        assert not settled(reply)
        assert keep(reply) == reply


def test_only_the_current_field_counts():
    first = "[[ ## reasoning ## ]]\nIt is bad.\n\n"
    assert value_end(first + "[[ ## verdict ## ]]\n") is None
    reply = first + "[[ ## verdict ## ]]\nBad sauce.\n\nMore."
    assert keep(reply) == first + "[[ ## verdict ## ]]\nBad sauce."


def test_a_loop_inside_the_paragraph_still_stops_the_reply():
    line = "The sauce is far too salty here.\n"
    reply = HEADER + line + line
    assert settled(reply)
    assert keep(reply) == HEADER + line


def test_the_rule_is_registered_for_the_embedded_model():
    assert until_rule("one_line_value") is settled
    assert until_keeper("one_line_value") is keep


def _train(verdicts: list[str]) -> list[dspy.Example]:
    return [
        dspy.Example(review=f"r{i}", verdict=v).with_inputs("review")
        for i, v in enumerate(verdicts)
    ]


def test_labels_all_on_one_line_are_fitted():
    assert one_line_labels(_train(["Good.", "Bad."])) == {"verdict"}
    assert one_line_labels(_train(["Good."])) == set()  # one label says little
    assert one_line_labels(_train(["Good.", "Fine.\nBut slow."])) == set()
    assert one_line_labels(_train(["Good.", ""])) == set()


def test_the_fit_names_open_outputs_the_labels_cover_and_leaves_the_student_alone():
    student = dspy.ChainOfThought("review -> verdict, mood: bool")
    program = fit_one_line_outputs(student, _train(["Good.", "Bad."]))
    assert program is not student and student.predict.one_line_outputs == []
    assert program.predict.one_line_outputs == ["verdict"]  # not the reasoning, not the bool
    assert fit_one_line_outputs(program, _train(["Good.", "Bad."])) is program
    refit = fit_one_line_outputs(program, _train(["Good.", "Fine.\nBut slow."]))
    assert refit.predict.one_line_outputs == []


def test_the_fitted_names_survive_reset_save_and_load(tmp_path):
    program = fit_one_line_outputs(dspy.Predict("review -> verdict"), _train(["Good.", "Bad."]))
    assert program.reset_copy().one_line_outputs == ["verdict"]
    path = tmp_path / "program.json"
    program.save(path)
    loaded = dspy.Predict("review -> verdict")
    loaded.load(path)
    assert loaded.one_line_outputs == ["verdict"]
    assert "one_line_outputs" not in dspy.Predict("review -> verdict").dump_state()


def test_every_compile_fits_before_its_search():
    trainset = _train(["Good.", "Bad.", "Fine."])
    optimizer = dspy.LabeledFewShot(k=2)
    compiled = optimizer.compile(dspy.Predict("review -> verdict"), trainset=trainset)
    assert compiled.one_line_outputs == ["verdict"]
