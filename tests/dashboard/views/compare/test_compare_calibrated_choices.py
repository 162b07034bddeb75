"""Compare shows a candidate's calibrated choices (offsets fitted by the run's last step)."""

from __future__ import annotations

from apphelpers import finished_run, go, texts


def test_compare_shows_the_offsets_of_a_calibrated_candidate(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "compare")
    page = texts(at)
    assert "Each shift is taken off the model's score for a value" in page, page
    assert "Not calibrated: the model picks as it scores." in page  # the baseline, as A
    frames = [f.value for f in at.dataframe]
    offsets = next(f for f in frames if list(f.columns)[:3] == ["output", "value", "shift"])
    assert set(offsets["output"]) == {"category"}
    for value, shift, words in offsets[["value", "shift", "what it means"]].values:
        assert f"“{value}”" in words
        assert ("leaned toward" in words) == (shift >= 0.005)


def test_export_says_a_pasted_prompt_leaves_the_calibration_out(app, monkeypatch):
    page = texts(go(finished_run(app, monkeypatch, "fake_lms:leaning"), "export"))
    assert "Paste it into any tool. Not in it: the calibrated choices" in page, page
