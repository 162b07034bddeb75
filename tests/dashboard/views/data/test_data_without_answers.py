"""Data page with inputs and no answers: an empty answer column, drafts, the review grid, the
count, the suggestions and the run gate (dashboard/widgets/data/answers.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from apphelpers import SAMPLE, go, set_sizes, shown, texts

from dashboard import home
from engine.runs import add_version, candidates

ROWS = list(csv.DictReader(io.StringIO((SAMPLE / "support_tickets.csv").read_text())))[:30]
INPUTS = ("ticket\n" + "".join(f'"{r["ticket"]}"\n' for r in ROWS)).encode()


@pytest.fixture
def inputs_only(app, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "labelling_lms:unsure")
    app.text_input[0].set_value("Inputs only")
    app.button(key="FormSubmitter:new_project-Create project").click().run()
    app.file_uploader(key="csv_upload").upload("tickets.csv", INPUTS, "text/csv").run()
    assert not app.exception, app.exception
    return app


def add_column(at, labels="billing, shipping, technical"):
    at.text_input(key="answer_name").set_value("category")
    at.text_input(key="answer_labels").set_value(labels)
    at.button(key="FormSubmitter:answer_column-Add an empty answer column").click().run()
    assert not at.exception, at.exception
    return at


def grid_key(at) -> str:
    base = f"review_{at.session_state['rev']}"
    version = at.session_state[f"{base}__v"] if f"{base}__v" in at.session_state else 0
    return f"{base}__{version}"


def edit_grid(at, edited_rows: dict):
    at.session_state[grid_key(at)] = {"edited_rows": edited_rows, "added_rows": [],
                                      "deleted_rows": []}  # fmt: skip
    at.run()
    assert not at.exception, at.exception
    return at


def folder(at) -> Path:
    return Path(at.session_state["project_dir"])


def review(at):
    return next(f.value for f in at.dataframe if "Your answer" in f.value.columns)


def test_an_inputs_only_csv_is_accepted_and_gets_an_answer_column(inputs_only, home):
    at = inputs_only
    assert "Loaded 30 rows and 1 column" in texts(at)
    assert "No answers yet?" in texts(at)
    assert "add a column with the right answers" not in texts(at)
    add_column(at)
    frame = at.session_state["df"]
    assert list(frame.columns) == ["ticket", "category"] and set(frame["category"]) == {""}
    field = at.session_state["draft"]["pipeline"][-1]["fields"][-1]
    assert field["type"] == "literal" and field["choices"] == ["billing", "shipping", "technical"]
    assert "0 of 30 labelled" in texts(at)
    assert "Label 3 more to start a run" in texts(at)
    saved = (folder(at) / "data.csv").read_text()
    assert saved.startswith("ticket,category\n")


def test_one_label_is_not_a_choice(inputs_only):
    at = add_column(inputs_only, "billing")
    assert "at least two labels" in " ".join(shown(e.value) for e in at.error)
    assert list(at.session_state["df"].columns) == ["ticket"]


def test_draft_review_suggest_and_gate(inputs_only, home):
    at = add_column(inputs_only)
    at.number_input(key="draft_rows").set_value(12)
    at.button(key="draft_go").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Drafted 12 of 12 rows with 12 LM call(s), using the untuned prompt" in page
    assert "0 of 30 labelled" in page  # drafts are not labels
    assert "Label these 10 next: the model was least sure" in page
    grid = review(at)
    drafted = grid[grid["Model's draft"] != ""]
    assert len(drafted) == 12
    sure = [float(s.rstrip("%")) for s in grid["How sure"][:10]]
    assert sure == sorted(sure)  # the least sure first
    longest = max(ROWS[:12], key=lambda r: len(r["ticket"]))["ticket"]
    assert grid["ticket"][0] == longest
    first_draft = grid["Model's draft"][0]
    row_of_first = int(grid["Row"][0])
    # confirm the first draft, correct the second, leave the rest
    other = next(c for c in ("billing", "shipping", "technical") if c != grid["Model's draft"][1])
    edit_grid(at, {0: {"Draft is right": True}, 1: {"Your answer": other}})
    assert "Saved 2 label(s)" in texts(at)
    assert "2 of 30 labelled" in texts(at)
    frame = at.session_state["df"]
    assert frame["category"][row_of_first - 2] == first_draft
    assert sorted(v for v in frame["category"] if v)[0] in ("billing", "shipping", "technical")
    saved = (folder(at) / "data.csv").read_text()
    assert saved.count(",billing") + saved.count(",shipping") + saved.count(",technical") == 2
    hand = (folder(at) / "labelled_by_hand.csv").read_text().splitlines()
    assert len(hand) == 2
    # a third label opens the gate
    edit_grid(at, {0: {"Your answer": "technical"}})
    assert "3 of 30 labelled" in texts(at)
    assert "can start" in texts(at)
    assert at.session_state["draft"]["data"]["train_size"] == 1


def test_an_answer_outside_the_labels_changes_nothing(inputs_only, home):
    at = add_column(inputs_only)
    before = at.session_state["df"].copy()
    edit_grid(at, {0: {"Your answer": "refunds"}})
    errors = " ".join(shown(e.value) for e in at.error)
    assert "'refunds' is not one of the labels" in errors and "Nothing was saved" in errors
    assert at.session_state["df"].equals(before)


def test_accepting_a_row_without_a_draft_changes_nothing(inputs_only):
    at = add_column(inputs_only)
    before = at.session_state["df"].copy()
    edit_grid(at, {0: {"Draft is right": True}})
    assert "no draft to accept" in " ".join(shown(e.value) for e in at.error)
    assert at.session_state["df"].equals(before)


def test_a_grid_edit_that_clears_an_input_changes_nothing(inputs_only):
    at = add_column(inputs_only)
    before = at.session_state["df"].copy()
    base = f"rows_{at.session_state['rev']}"
    version = at.session_state[f"{base}__v"] if f"{base}__v" in at.session_state else 0
    at.session_state[f"{base}__{version}"] = {"edited_rows": {3: {"ticket": ""}},
                                             "added_rows": [], "deleted_rows": []}  # fmt: skip
    at.run()
    errors = " ".join(shown(e.value) for e in at.error)
    assert "Row 5 would lose its input 'ticket'" in errors
    assert at.session_state["df"].equals(before)


def test_an_empty_file_is_refused(inputs_only):
    at = inputs_only
    before = at.session_state["df"].copy()
    at.file_uploader(key="csv_upload").upload("empty.csv", b"", "text/csv").run()
    assert "is empty" in " ".join(shown(e.value) for e in at.error)
    assert at.session_state["df"].equals(before)


def test_a_run_starts_with_enough_labels_and_its_prompt_drafts_again(inputs_only, monkeypatch):
    at = add_column(inputs_only)
    at.number_input(key="draft_rows").set_value(12)
    at.button(key="draft_go").click().run()
    edit_grid(at, {0: {"Draft is right": True}, 1: {"Draft is right": True},
                   2: {"Draft is right": True}, 3: {"Draft is right": True}})  # fmt: skip
    assert "4 of 30 labelled" in texts(at)
    go(at, "optimize")
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    from dashboard.project import labelling

    runs = [r for r in labelling.runinfo.all_runs() if r["status"] == "finished"]
    assert len(runs) == 1, [r["status"] for r in labelling.runinfo.all_runs()]
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:leaning")  # leans to 'billing'
    go(at, "data")
    draft_button = at.button(key="draft_go")
    assert "the prompt in use" in draft_button.label
    at.number_input(key="draft_rows").set_value(26)  # the 18 undrafted rows, then the 8 others
    draft_button.click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "using the prompt in use" in page
    assert "Label these" in page and "two drafts disagree" in page, page[-1500:]
    grid = review(at)
    assert grid["Model's draft"][0] == "billing"
    run_id = runs[0]["id"]
    sources = set(pd.read_csv(folder(at) / "drafts.csv", dtype=str)["source"])
    assert f"{run_id}:best" in sources  # no version in use yet: the best finished run drafted
    other = next(c["hash"] for c in candidates(run_id, db_path=home.db_path())
                 if c["hash"] != runs[0]["best_candidate"])  # fmt: skip
    used = add_version(run_id, other, db_path=home.db_path())  # a prompt that is not the best
    assert used.in_use and used.program_candidate == other
    go(at, "data")
    at.number_input(key="draft_rows").set_value(3)
    at.button(key="draft_go").click().run()
    assert not at.exception, at.exception
    sources = set(pd.read_csv(folder(at) / "drafts.csv", dtype=str)["source"])
    assert f"{run_id}:{other}" in sources  # the version in use drafted, not the run's best


def test_a_row_the_model_could_not_answer_keeps_its_reason(inputs_only, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "labelling_lms:fussy")
    at = add_column(inputs_only)
    at.number_input(key="draft_rows").set_value(30)
    at.button(key="draft_go").click().run()
    assert not at.exception, at.exception
    failing = [r["ticket"] for r in ROWS if "error" in r["ticket"].lower()]
    assert len(failing) == 3, failing
    assert f"{len(failing)} row(s) failed; their reason is in the table" in texts(at)
    assert "the model gave no usable answer" in texts(at)
    grid = review(at)
    assert grid["ticket"][0] in failing  # the failed rows are suggested first
    assert grid["Model's draft"][0].startswith("no answer: ")
    before = at.session_state["df"].copy()
    edit_grid(at, {0: {"Draft is right": True}})
    assert "no draft to accept" in " ".join(shown(e.value) for e in at.error)
    assert at.session_state["df"].equals(before)


def test_an_open_answer(inputs_only, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "labelling_lms:summariser")
    at = inputs_only
    at.text_input(key="answer_name").set_value("summary")
    at.radio(key="answer_kind").set_value("Open text")
    at.button(key="FormSubmitter:answer_column-Add an empty answer column").click().run()
    field = at.session_state["draft"]["pipeline"][-1]["fields"][-1]
    assert (field["name"], field["type"], field["choices"]) == ("summary", "str", [])
    at.number_input(key="draft_rows").set_value(3)
    at.button(key="draft_go").click().run()
    assert "Drafted 3 of 3 rows" in texts(at)
    grid = review(at)
    first = " ".join(grid["ticket"][0].split()[:3])
    assert grid["Model's draft"][0] == first and grid["How sure"][0] == ""
    edit_grid(at, {0: {"Draft is right": True}, 1: {"Your answer": "a short summary"}})
    assert "2 of 30 labelled" in texts(at)
    assert "a short summary" in set(at.session_state["df"]["summary"])


def test_an_open_answer_runs_against_a_judge_without_any_answer(inputs_only, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "labelling_lms:summariser")
    at = inputs_only
    at.text_input(key="answer_name").set_value("summary")
    at.radio(key="answer_kind").set_value("Open text")
    at.button(key="FormSubmitter:answer_column-Add an empty answer column").click().run()
    at.session_state["draft"]["metric"] = {
        "kind": "judge", "field": "summary", "params": {},
        "criteria": "A faithful summary of the ticket in a few words.", "scale": None,
    }  # fmt: skip
    at.run()
    assert "Your metric is a judge" in texts(at)
    set_sizes(at, 6, 6, 6)
    assert "6 train**, **6 validation**, **6 test" in texts(at)
    go(at, "optimize")
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    from dashboard.project import labelling
    from engine.runs import get_run

    run = get_run(labelling.runinfo.all_runs()[0]["id"], db_path=labelling.runinfo.db())
    assert run["status"] == "finished", run.get("reason")
    assert run["test_baseline"] == pytest.approx(0.75)  # 4 of 5 on every held-out row
