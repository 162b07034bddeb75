"""Compare's "Which step made the difference" for a program of two steps (restate, then
classify) tuned by LabeledFewShot on a scripted LM whose classify step needs its examples and
whose restate step does not care: the page names classify, says restate brought nothing, and
keeps the measure with the run. A one-step program does not get the section."""

from __future__ import annotations

import shutil
from pathlib import Path

from apphelpers import finished_run, go
from fake_lms import stepwise

from dashboard import home
from dashboard.widgets.compare.step_credit_view import credit_words
from engine.runs import create_run, load_spec, saved_step_credit
from engine.runs.process.worker import run_worker
from engine.runs.results import StepCredit
from engine.runs.spec import spec_from_dict

SAMPLE = Path(__file__).resolve().parents[4] / "sample_data"


def two_step_run(folder: Path) -> str:
    folder.mkdir()
    shutil.copy(SAMPLE / "support_tickets.csv", folder / "support_tickets.csv")
    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    classify["fields"].insert(1, {"name": "request", "role": "input"})
    spec["pipeline"] = [{"name": "restate", "module": "Predict",
                         "fields": [{"name": "ticket", "role": "input"},
                                    {"name": "request", "role": "output"}]}, classify]  # fmt: skip
    spec["data"].update(train_size=6, val_size=8, test_size=6)
    spec["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 3}}
    built = spec_from_dict(spec, base_dir=folder)
    run_id = create_run(built, home.db_path())
    assert run_worker(run_id, home.db_path(), lm_factory=stepwise) == "finished"
    return run_id


def test_the_step_that_carried_the_gain_is_named(app, monkeypatch, tmp_path):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:stepwise")
    run_id = two_step_run(tmp_path / "two-steps")
    at = go(app, "compare")
    assert "Which step made the difference" in [h.value for h in at.subheader]
    at = at.button(key=f"credit_go_{run_id}").click().run()
    assert not at.exception, at.exception
    score, n, credits = saved_step_credit(run_id, home.db_path())
    assert (score, n) == (1.0, 8) and {c.step for c in credits} == {"restate", "classify"}
    [words] = [m.value for m in at.markdown if "carried most of the gain" in m.value]
    assert words.startswith("**classify** carried") and "Tuning restate brought nothing" in words
    [table] = [d.value for d in at.dataframe if "Step" in d.value.columns]
    assert set(table["Step"]) == {"restate", "classify"}


def test_a_one_step_program_has_no_such_section(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:oracle"), "compare")
    assert "Which step made the difference" not in [h.value for h in at.subheader]


def test_the_sentence_says_when_no_step_moved_the_score_or_the_rows_are_too_few():
    flat = {"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 6}
    same = [StepCredit("restate", 0.5, flat), StepCredit("classify", 0.5, flat)]
    assert credit_words(0.5, same).startswith("No step's tuning moved the score")
    unsure = {"diff": 0.17, "ci_low": -0.17, "ci_high": 0.5, "n": 6}
    words = credit_words(0.5, [StepCredit("classify", 0.33, unsure)])
    assert words.startswith("**classify** carried") and "not a sure difference" in words
    assert credit_words(0.5, []).startswith("Tuning changed no step")
