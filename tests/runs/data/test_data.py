"""Data checks happen before any LM call; a run that fails them stores only its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core._errors import SpecError
from engine.lm import ScriptedLM
from engine.runs import RunStore, load_data, load_spec, validate_spec_against_data
from engine.runs.process.worker import run_worker


def _spec(project: Path):
    return load_spec(project / "support_tickets.yaml")


def _break_missing_csv(project: Path, spec) -> None:
    (project / "support_tickets.csv").unlink()


def _break_empty_csv(project: Path, spec) -> None:
    (project / "support_tickets.csv").write_text("")


def _break_header_only(project: Path, spec) -> None:
    (project / "support_tickets.csv").write_text("ticket,category\n")


def _break_mapped_column(project: Path, spec) -> None:
    spec.data.columns = {"ticket_text": "ticket", "category": "category"}


def _break_label_column(project: Path, spec) -> None:
    rows = (project / "support_tickets.csv").read_text().splitlines()
    (project / "support_tickets.csv").write_text(
        "\n".join(r.rsplit(",", 1)[0] for r in rows) + "\n"
    )
    spec.data.columns = {"ticket": "ticket"}


def _break_budget(project: Path, spec) -> None:
    spec.optimizer.budget.max_calls = 0  # bypasses pydantic on assignment; validation re-checks


def _break_optimizer(project: Path, spec) -> None:
    spec.optimizer.name = "foo"


BREAKAGES = [
    (_break_missing_csv, "data.csv: file not found"),
    (_break_empty_csv, "data.csv: the CSV file"),
    (_break_header_only, "has a header but no data rows"),
    (_break_mapped_column, "data.columns: column(s) ['ticket_text'] are not in the CSV"),
    (_break_label_column, "data.columns: label field(s) ['category']"),
    (_break_budget, "optimizer.budget.max_calls: must be greater than 0"),
    (_break_optimizer, "optimizer.name: unknown optimizer 'foo'; choose one of"),
]


@pytest.mark.parametrize("breakage, message", BREAKAGES, ids=[b.__name__[7:] for b, _ in BREAKAGES])
def test_validation_fails_before_any_lm_call(project: Path, breakage, message: str) -> None:
    spec = _spec(project)
    breakage(project, spec)
    with pytest.raises(SpecError) as info:
        validate_spec_against_data(spec)
    assert message in str(info.value)


@pytest.mark.parametrize("breakage, message", BREAKAGES, ids=[b.__name__[7:] for b, _ in BREAKAGES])
def test_failed_run_stores_only_its_reason(
    project: Path, db_path: Path, breakage, message: str
) -> None:
    spec = _spec(project)
    with RunStore(db_path) as store:
        run_id = store.create_run(spec)  # the data breaks after the run was queued
        if breakage in (_break_budget, _break_optimizer, _break_mapped_column, _break_label_column):
            breakage(project, spec)
            store.update_run(run_id, spec=spec.model_dump(mode="json"))
        else:
            breakage(project, spec)
    lm = ScriptedLM(answers=[], name="must-not-be-called")
    assert run_worker(run_id, db_path, lm_factory=lambda s: lm) == "failed"
    assert lm.calls_made == 0
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        assert run["status"] == "failed" and message in run["reason"]
        assert run["traceback"] is None  # an expected problem: the reason says it all
        assert (
            store.trials(run_id) == []
            and store.events(run_id) == []
            and store.lm_calls(run_id) == []
        )
        assert store.candidates(run_id) == [] and store.example_results(run_id) == []


def test_split_is_deterministic_and_sized(tickets_spec) -> None:
    a, b = load_data(tickets_spec), load_data(tickets_spec)
    assert a.sizes() == {"train": 20, "val": 20, "test": 20}
    assert [e.toDict() for e in a.train] == [e.toDict() for e in b.train]
    ids = (
        {e["ticket"] for e in a.train}
        | {e["ticket"] for e in a.val}
        | {e["ticket"] for e in a.test}
    )
    assert len(ids) == 60  # disjoint splits
    assert a.train[0].input_keys == frozenset({"ticket"})
    tickets_spec.data.seed = 7
    assert [e.toDict() for e in load_data(tickets_spec).train] != [e.toDict() for e in a.train]


def test_default_sizes_share_the_rows(tickets_spec) -> None:
    tickets_spec.data.train_size = tickets_spec.data.val_size = tickets_spec.data.test_size = None
    assert load_data(tickets_spec).sizes() == {"train": 20, "val": 20, "test": 20}
    tickets_spec.data.train_size = 50
    assert load_data(tickets_spec).sizes() == {"train": 50, "val": 5, "test": 5}


def test_sizes_larger_than_the_data(tickets_spec) -> None:
    tickets_spec.data.train_size = 100
    with pytest.raises(SpecError, match="the CSV has only 60 usable rows"):
        validate_spec_against_data(tickets_spec)


def test_test_csv_replaces_the_test_split(project: Path, tickets_spec) -> None:
    (project / "held_out.csv").write_text(
        "ticket,category\nWhere is my parcel?,shipping\nApp crashes,technical\n"
    )
    tickets_spec.data.test_csv = "held_out.csv"
    tickets_spec.data.test_size = None
    split = load_data(tickets_spec)
    assert sorted(e["ticket"] for e in split.test) == ["App crashes", "Where is my parcel?"]
    assert len(split.train) == 20 and len(split.val) == 20


def test_auto_report(tickets_spec) -> None:
    tickets_spec.data.train_size = 2
    report = validate_spec_against_data(tickets_spec)
    assert report.optimizer == "MIPROv2" and "instruction" in report.optimizer_reason
    tickets_spec.data.train_size = 10
    assert validate_spec_against_data(tickets_spec).optimizer == "BootstrapFewShot"


def test_preflight_estimates_without_lm_calls(tickets_spec) -> None:
    from engine.core._settings import settings
    from engine.runs import preflight

    lm = ScriptedLM(answers=[], name="must-not-be-called")
    with settings.context(lm=lm):
        plan = preflight(tickets_spec)
    assert lm.calls_made == 0
    assert plan["optimizer"] == "BootstrapFewShotWithRandomSearch"
    assert plan["estimate"]["total_calls"] > 0 and plan["test_calls"] == 40
    assert plan["report"]["sizes"] == {"train": 20, "val": 20, "test": 20}
