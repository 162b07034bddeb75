"""A fine-tuned run on the Compare and Export pages (scripted LM; the test trainer writes a model
file as the embedded trainer does): Compare names the base and the tuned model of A and B and
shows both models' answers on the same rows; Export offers the model file with its size and
the program that loads it from beside itself."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from apphelpers import SAMPLE, go, matrix_of, shown, texts
from fake_lms import oracle

RUNS_TESTS = str(Path(__file__).resolve().parents[3] / "runs")
if RUNS_TESTS not in sys.path:  # fake_trainers (TUNESMITH_TEST_TRAINER hook)
    sys.path.insert(0, RUNS_TESTS)


@pytest.fixture
def tuned_run(app, tmp_path, monkeypatch) -> str:
    """A finished BootstrapFinetune run whose tuned model is a 3 MB file."""
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec
    from engine.runs.process.worker import run_worker
    from engine.runs.spec._spec import spec_from_dict

    monkeypatch.setenv("TUNESMITH_TEST_TRAINER", "fake_trainers:FileTrainer")
    monkeypatch.setenv("FAKE_MODEL_BYTES", "3000000")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the trainer's files, this test's own
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=4)
    spec["optimizer"] = {"name": "bootstrap_finetune", "params": {"max_steps": 2}}
    run_id = create_run(spec_from_dict(spec, base_dir=SAMPLE), db_path())
    assert run_worker(run_id, db_path(), lm_factory=oracle) == "finished"
    app.query_params["run"] = run_id
    return run_id


def test_compare_sets_the_base_model_against_the_tuned_one_on_the_same_rows(app, tuned_run):
    at = go(app, "compare")
    assert not at.error, [shown(e.value) for e in at.error]
    assert "Model" in [h.value for h in at.subheader]
    models = at.dataframe[0].value
    assert list(models.columns) == ["step", "A answers with", "B answers with"]
    [row] = models.to_dict("records")
    assert row["A answers with"] == "the base model (local/smollm2-135m)"
    assert re.fullmatch(r"the tuned model \(\w+\.ft-\w+\.Q8_0\.gguf, 3 MB\)", row["B answers with"])
    assert "the difference is in the model's weights" in texts(at)
    test_rows = at.segmented_control(key=f"cmp_subset_{tuned_run}")
    test_rows.set_value("test").run()
    table = matrix_of(at)  # the example-by-example table
    assert len(table) == 4, table  # the 4 held-out rows, each with A's and B's answer
    assert {"Baseline", "Best"} <= set(table.columns)  # A (the base model), B (the tuned one)
    assert table["Baseline"].str.match("[✓✗] ").all() and table["Best"].str.match("[✓✗] ").all()


def test_export_offers_the_tuned_model_file_and_the_program_that_loads_it(app, tuned_run):
    at = go(app, "export")
    page = texts(at)
    assert not at.error, [shown(e.value) for e in at.error]
    assert "**Tuned model (GGUF file, 3 MB)**" in page
    assert "Program that loads the tuned model (Python)" in page
    assert len(at.get("download_button")) == 8  # the model, its program, then the six files
    [preview] = [c.value for c in at.code if "MODEL_FILES" in c.value]
    from dashboard.home import db_path
    from engine.runs import export_model_python

    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    program = export_model_python(run_id, db_path())  # what the button downloads, whole
    assert program.startswith(preview.removesuffix("\n…"))  # the page shows its beginning
    assert "_tuned_model.py" not in program and "program.load_state(STATE)" in program
    script = {"__file__": "/somewhere/tuned.py", "__name__": "tuned"}
    exec(compile(program, "tuned.py", "exec"), script)  # builds the program, loads its state
    [(step, name)] = script["MODEL_FILES"].items()
    assert re.fullmatch(r"\w+\.ft-\w+\.Q8_0\.gguf", name)
    assert script["STATE"][step]["lm"]["model"] == f"local//somewhere/{name}"


def test_export_of_a_run_without_a_tuned_model_offers_no_model_file(app):
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec
    from engine.runs.process.worker import run_worker
    from engine.runs.spec._spec import spec_from_dict

    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=4)
    spec["optimizer"] = {"name": "bootstrap", "params": {}}
    run_id = create_run(spec_from_dict(spec, base_dir=SAMPLE), db_path())
    assert run_worker(run_id, db_path(), lm_factory=oracle) == "finished"
    app.query_params["run"] = run_id
    at = go(app, "export")
    assert "Tuned model" not in texts(at) and len(at.get("download_button")) == 6


def test_a_prompt_run_can_be_scored_on_the_projects_fine_tuned_model(app, tuned_run):
    """Compare's "On other models" offers the model file the project's weights run made."""
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec, run_model_files
    from engine.runs.process.worker import run_worker
    from engine.runs.spec._spec import spec_from_dict

    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=4)
    spec["optimizer"] = {"name": "LabeledFewShot"}
    prompt_run = create_run(spec_from_dict(spec, base_dir=SAMPLE), db_path())
    assert run_worker(prompt_run, db_path(), lm_factory=oracle) == "finished"
    [model] = run_model_files(tuned_run, db_path())
    app.query_params["run"] = prompt_run
    at = go(app, "compare")
    assert not at.exception, at.exception
    offered = at.multiselect(key=f"board_models_{prompt_run}").options
    assert f"local/{model.path}" in offered and "local/smollm2-135m-q4_1" in offered
