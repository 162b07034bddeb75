"""A DSPy program brought in, tuned and taken back out: the JSON the export writes loads into
the person's own program object (built from their file by the real `dspy` 3.4.1) with the
tuned instructions and demos; untuned, it is the very state DSPy saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dspy_programs import router_lm, saved_program, user_program

from engine.runs import create_run, save_spec
from engine.runs.export import export_program_json
from engine.runs.export._files import program_json
from engine.runs.from_dspy import import_dspy
from engine.runs.pipeline import build_program
from engine.runs.process.worker import run_worker
from engine.runs.spec import load_spec, spec_from_dict
from engine.runs.store import RunStore

dspy = pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


@pytest.fixture(autouse=True)
def _dspy_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPY_CACHEDIR", str(tmp_path / "dspy-cache"))


EDITED = "Pick the team that should answer the ticket: billing, technical or shipping."


def imported_spec(folder: Path, project: Path):
    saved, source = saved_program(folder)
    imported = import_dspy(saved.read_text(encoding="utf-8"), source.read_text(encoding="utf-8"),
                           csv="support_tickets.csv")  # fmt: skip
    return imported.spec, saved, source


def states(program: Any) -> dict[str, tuple[str, list[dict]]]:
    return {
        name: (p.signature.instructions, [dict(d.items()) for d in p.demos])
        for name, p in program.named_predictors()
    }


def test_untuned_the_export_is_the_state_dspy_saved(tmp_path: Path, project: Path) -> None:
    spec, saved, _ = imported_spec(tmp_path, project)
    exported = json.loads(program_json(spec, build_program(spec).dump_state()))
    original = json.loads(saved.read_text(encoding="utf-8"))
    assert exported.keys() == original.keys()
    for key in original:
        if key != "metadata":
            assert exported[key] == original[key], key


def test_tuned_the_export_loads_into_the_users_own_program(
    tmp_path: Path, project: Path, db_path: Path
) -> None:
    spec, saved, source = imported_spec(tmp_path, project)
    data = spec.to_dict()
    data["data"].update(train_size=6, val_size=4, test_size=4)
    data["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 2}}
    data["pipeline"][2]["instructions"] = EDITED  # as a person edits it on the Pipeline page
    path = save_spec(spec_from_dict(data), project / "router.yaml")
    run_id = create_run(load_spec(path), db_path)
    assert run_worker(run_id, db_path, lm_factory=router_lm) == "finished"
    with RunStore(db_path) as store:
        tuned = store.get_run(run_id)["program"]
    exported = tmp_path / "tuned.json"
    exported.write_text(export_program_json(run_id, db_path), encoding="utf-8")

    mine = user_program(source)
    before = states(mine)
    mine.load(str(exported))
    after = states(mine)
    assert list(after) == ["restate", "extract", "classify.predict"]
    assert after["classify.predict"][0] == EDITED != before["classify.predict"][0]
    for name, (instructions, demos) in after.items():
        assert instructions == tuned[name]["signature"]["instructions"]
        assert demos == tuned[name]["demos"] and len(demos) == 2
        assert demos != before[name][1]  # the tuned demos, not the ones it was saved with
    descriptions = [f.json_schema_extra["desc"] for f in mine.restate.signature.fields.values()]
    assert descriptions == ["the customer's message", "${restated}"]
