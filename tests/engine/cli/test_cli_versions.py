"""`python -m engine versions PROJECT [--add RUN | --use N]` and `predict --project NAME CSV`
end to end (scripted LM via the hook): the version in use labels, a roll back changes what
labels, and bad input says so with exit code 2 and changes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from test_cli_predict import cli

from engine.optimizers.spine._events import Event
from engine.runs import RunStore, build_program, create_run, list_versions


def tuned_run(db: Path, spec) -> str:
    """A finished run: its start 'b0' (no demos) and its best 'c1' (one demo)."""
    run_id = create_run(spec, db)
    start = build_program(spec).dump_state()
    program = build_program(spec)
    program.classify.demos = [{"ticket": "My card was charged twice.", "category": "billing"}]
    with RunStore(db) as store:
        for seq, (hash_, origin, state) in enumerate(
            [("b0", "baseline (student as given)", start), ("c1", "demos", program.dump_state())]
        ):
            data = {"hash": hash_, "origin": origin, "state": state}
            store.record_event(run_id, Event(seq + 1, "candidate", seq + 1.0, data))
        store.finish_run(
            run_id, "finished", best_candidate="c1", baseline_candidate="b0", best_score=0.8,
            baseline_score=0.5, test_best=0.875, test_baseline=0.575,
            comparison={"baseline_candidate": "b0", "best_candidate": "c1"},
            program=program.dump_state(),
        )  # fmt: skip
    return run_id


def test_versions_add_use_and_predict_with_the_one_in_use(tmp_path: Path, tickets_spec) -> None:
    db = tmp_path / "tunesmith_data" / "runs.db"
    run_id = tuned_run(db, tickets_spec)
    name = tickets_spec.name
    data = tmp_path / "new.csv"
    data.write_text("id,ticket\n1,When will my order be shipped?\n", encoding="utf-8")

    none = cli("predict", "--project", name, str(data), home=tmp_path)
    assert none.returncode == 2 and "has no prompt version in use" in none.stderr

    added = cli("versions", name, "--add", run_id, home=tmp_path)
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert lines[0] == f"v2 of {name} is in use"
    assert "v1" in lines[2] and "57.5%" in lines[2] and "as written" in lines[2]
    assert lines[3].startswith("*") and "87.5%" in lines[3] and f"best of run {run_id}" in lines[3]
    assert "this machine (command line)" in lines[3]

    out = tmp_path / "out.csv"
    labelled = cli("predict", "--project", name, str(data), "-o", str(out), home=tmp_path)
    assert labelled.returncode == 0, labelled.stderr
    assert f"labelling with v2 of {name}: best of run {run_id}" in labelled.stderr
    assert [r["id"] for r in csv.DictReader(out.open(encoding="utf-8"))] == ["1"]

    back = cli("versions", name, "--use", "1", "--json", home=tmp_path)
    assert back.returncode == 0, back.stderr
    listed = json.loads(back.stdout.split("\n", 1)[1])
    assert [(v["number"], v["in_use"]) for v in listed] == [(1, True), (2, False)]
    again = cli("predict", "--project", name, str(data), "-o", str(out), home=tmp_path)
    assert again.returncode == 0 and f"labelling with v1 of {name}: as written" in again.stderr


def test_bad_input_is_refused_and_changes_nothing(tmp_path: Path, tickets_spec) -> None:
    db = tmp_path / "tunesmith_data" / "runs.db"
    run_id = tuned_run(db, tickets_spec)
    name = tickets_spec.name
    unknown = cli("versions", "No such project", home=tmp_path)
    assert unknown.returncode == 2 and "has no prompt versions yet" in unknown.stderr
    wrong = cli("versions", "Other", "--add", run_id, home=tmp_path)
    assert wrong.returncode == 2 and f"belongs to the project {name!r}" in wrong.stderr
    assert list_versions(name, db) == [] and list_versions("Other", db) == []
    cli("versions", name, "--add", run_id, home=tmp_path)
    missing = cli("versions", name, "--use", "9", home=tmp_path)
    assert missing.returncode == 2 and "has no version 9 (it has v1 to v2)" in missing.stderr
    with RunStore(db) as store:
        store.delete_run(run_id)
    gone = cli("predict", "--project", name, str(tmp_path / "x.csv"), home=tmp_path)
    assert gone.returncode == 2 and "which was deleted" in gone.stderr
    assert [v.in_use for v in list_versions(name, db)] == [False, True]
