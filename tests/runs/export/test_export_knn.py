"""Export of a KNNFewShot run (scripted LM): the JSON loads back into the rebuilt KNN program,
the .py re-creates KNNFewShot over the run's training rows and answers each input as the run's
program does, and changed data is refused with a clear message."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from scripted_lms import oracle_lm

import engine as dspy
from engine.core._errors import TunesmithError
from engine.runs import create_run, load_spec
from engine.runs.export._files import (
    export_program_json,
    export_prompts,
    export_python,
    load_program,
)
from engine.runs.process.worker import run_worker
from engine.runs.spec._spec import spec_from_dict
from engine.runs.store._store import RunStore


@pytest.fixture
def knn_run(db_path: Path, project: Path) -> tuple[str, dict]:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=4)
    spec["optimizer"] = {"name": "knn", "params": {"k": 2, "max_labeled_demos": 2}}
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    with RunStore(db_path) as store:
        return run_id, store.get_run(run_id)


def test_knn_export_json_and_python_reproduce_the_run(knn_run, db_path: Path, project: Path):
    run_id, run = knn_run
    assert run["optimizer"] == "KNNFewShot" and run["best_score"] == 1.0
    saved = project / "knn.json"
    saved.write_text(export_program_json(run_id, db_path), encoding="utf-8")
    program = load_program(run_id, db_path)
    assert program.load(saved).dump_state() == run["program"]
    assert "(0 demos)" in export_prompts(run_id, db_path)  # the student's prompt; demos per input

    code = export_python(run_id, db_path)
    assert "dspy.KNNFewShot(k=2, trainset=TRAINSET, metric=METRIC" in code
    assert code.count("'ticket':") >= 6 and "make_metric('exact', **{'field': 'category'})" in code
    namespace: dict = {"__name__": "exported"}
    exec(compile(code, "knn.py", "exec"), namespace)  # noqa: S102 (our own output)
    exported = namespace["program"]
    assert exported.dump_state() == run["program"]
    spec = spec_from_dict(run["spec"], project)
    with RunStore(db_path) as store:
        rows = [r for r in store.example_results(run_id) if r["subset"] == "test"]
    tuned = [r for r in rows if r["candidate"] == run["best_candidate"]]
    assert tuned
    for row in tuned:  # the same answer, input by input, as the run's program gave
        with dspy.context(lm=oracle_lm(spec)):
            assert exported(**row["inputs"]).category == row["outputs"]["category"]


def test_knn_export_refuses_changed_data(knn_run, db_path: Path, project: Path):
    run_id, _ = knn_run
    data = project / "support_tickets.csv"
    with data.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["ticket"] = row["ticket"] + " (edited)"
    with data.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for export in (export_python, export_program_json):
        with pytest.raises(TunesmithError, match="no longer in the data .*run KNNFewShot again"):
            export(run_id, db_path)
