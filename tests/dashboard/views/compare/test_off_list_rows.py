"""Answers outside the labels are told apart from replies that could not be read: the Run
page's test rows count them, and the Compare table names them."""

from __future__ import annotations

from apphelpers import go, matrix_of, open_sample, set_sizes

from engine.runs import is_off_list


def test_answers_off_the_list_are_counted_and_named(app, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:off_list")
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("LabeledFewShot").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    label = next(e.label for e in at.expander if e.label.startswith("The best prompt on each"))
    assert "answered off the list of labels" in label, label
    table = matrix_of(go(at, "compare"))
    assert any("answer not among the labels" in str(v) for v in table.values.ravel())


def test_the_engine_tells_an_off_list_answer_by_its_error() -> None:
    assert is_off_list("could not parse the LM output into ['category'] "
                       "(category: 'gardening' is not one of ['billing', 'shipping'])")  # fmt: skip
    assert not is_off_list("could not parse the LM output into ['category'] (missing field(s))")
    assert not is_off_list(None)
