"""A project's prompt versions on both store backends: v1 as written recorded before the first
accepted prompt, one version in use, the same candidate twice is one version, roll back, and bad
input (unknown project, missing number, a deleted run, a run still going) changes nothing."""

from __future__ import annotations

import pytest

from engine.optimizers.spine._events import Event
from engine.runs import RunStore, summary_html
from engine.runs.versions import (
    AS_WRITTEN,
    VersionError,
    add_version,
    list_versions,
    use_version,
    version_in_use,
)


def finished(store_at, spec, best: float = 0.8, test_best: float = 0.875) -> str:
    """A finished run in the store: the start 'b0' (validation 50%, held-out 57.5%), a tuned
    'c1' (its best) and a third candidate 'c2' scored on validation and held-out rows."""
    with RunStore(store_at) as store:
        run_id = store.create_run(spec, optimizer="GEPA")
        for seq, (hash_, origin) in enumerate(
            [("b0", "baseline (student as given)"), ("c1", "reflection"), ("c2", "reflection")], 1
        ):
            data = {"hash": hash_, "origin": origin}
            store.record_event(run_id, Event(seq, "candidate", seq, data))
        for number, (hash_, score) in enumerate([("b0", 0.5), ("c1", best), ("c2", 0.7)], 1):
            rows = [{"example_id": f"v{i}", "index": i, "score": float(i < 10 * score)}
                    for i in range(10)]  # fmt: skip
            store.record_event(run_id, Event(10 + number, "trial", 10.0 + number, {
                "number": number, "candidate": hash_, "subset": "val", "score": score,
                "n": 10, "rows": rows,
            }))  # fmt: skip
        tests = [{"example_id": f"t{i}", "index": i, "score": float(i < 6)} for i in range(8)]
        store.record_event(run_id, Event(20, "trial", 20.0, {
            "number": 4, "candidate": "c2", "subset": "test", "score": 0.75, "n": 8,
            "rows": tests,
        }))  # fmt: skip
        store.finish_run(
            run_id, "finished", baseline_score=0.5, best_score=best, best_candidate="c1",
            baseline_candidate="b0", test_baseline=0.575, test_best=test_best,
            comparison={"baseline_candidate": "b0", "best_candidate": "c1"},
        )  # fmt: skip
    return run_id


def test_the_first_accepted_prompt_comes_after_the_start_as_written(store_at, tickets_spec):
    run_id = finished(store_at, tickets_spec)
    version = add_version(run_id, made_by="ana@example.com", db_path=store_at)
    first, second = list_versions(tickets_spec.name, store_at)
    assert (first.number, first.origin, first.candidate) == (1, AS_WRITTEN, "b0")
    assert (first.test_score, first.val_score, first.in_use) == (0.575, 0.5, False)
    assert (second.number, second.candidate, second.in_use) == (2, "c1", True)
    assert second.origin == f"best of run {run_id}" and second.made_by == "ana@example.com"
    assert (second.test_score, second.val_score, second.optimizer) == (0.875, 0.8, "GEPA")
    assert version == second and version_in_use(tickets_spec.name, store_at) == second
    assert second.program_candidate is None and first.program_candidate == "b0"
    assert second.label() == f"v2 · IN USE · held-out 87.5% · best of run {run_id} · GEPA"


def test_the_same_candidate_again_is_the_same_version_and_others_follow(store_at, tickets_spec):
    run_id = finished(store_at, tickets_spec)
    add_version(run_id, db_path=store_at)
    again = add_version(run_id, "c1", db_path=store_at)
    assert again.number == 2 and len(list_versions(tickets_spec.name, store_at)) == 2
    cheap = add_version(run_id, "c2", origin="cheapest within 2 points", db_path=store_at)
    assert (cheap.number, cheap.origin, cheap.in_use) == (3, "cheapest within 2 points", True)
    assert (cheap.test_score, cheap.val_score) == (0.75, 0.7)  # from its own scored rows
    assert [v.in_use for v in list_versions(tickets_spec.name, store_at)] == [False, False, True]
    kept = add_version(run_id, "b0", use=False, db_path=store_at)
    assert kept.number == 1 and version_in_use(tickets_spec.name, store_at).number == 3


def test_roll_back_puts_an_older_version_in_use(store_at, tickets_spec):
    add_version(finished(store_at, tickets_spec), db_path=store_at)
    back = use_version(tickets_spec.name, 1, db_path=store_at)
    assert back.in_use and back.origin == AS_WRITTEN
    assert [v.in_use for v in list_versions(tickets_spec.name, store_at)] == [True, False]


def test_bad_input_says_what_and_changes_nothing(store_at, tickets_spec):
    run_id = finished(store_at, tickets_spec)
    with pytest.raises(VersionError, match="has no prompt versions"):
        use_version(tickets_spec.name, 1, db_path=store_at)
    with pytest.raises(VersionError, match="no run 'nope'"):
        add_version("nope", db_path=store_at)
    with pytest.raises(VersionError, match="has no candidate 'zz'"):
        add_version(run_id, "zz", db_path=store_at)
    assert list_versions(tickets_spec.name, store_at) == []
    add_version(run_id, db_path=store_at)
    with pytest.raises(VersionError, match=r"has no version 7 \(it has v1 to v2\)"):
        use_version(tickets_spec.name, 7, db_path=store_at)
    other = finished(store_at, tickets_spec, best=0.9, test_best=0.9)
    add_version(other, db_path=store_at)
    with RunStore(store_at) as store:
        store.delete_run(other)
        going = store.create_run(tickets_spec)
    with pytest.raises(VersionError, match="was deleted"):
        use_version(tickets_spec.name, 3, db_path=store_at)
    with pytest.raises(VersionError, match="still going"):
        add_version(going, db_path=store_at)
    kept = list_versions(tickets_spec.name, store_at)
    assert [v.in_use for v in kept] == [False, False, True] and kept[2].run_gone


def test_the_summary_lists_the_versions_and_how_the_score_moved(db_path, tickets_spec):
    run_id = finished(db_path, tickets_spec)
    assert "Prompt versions" not in summary_html(run_id, db_path=db_path)
    add_version(run_id, made_by="<b>ana</b>", db_path=db_path)
    page = summary_html(run_id, db_path=db_path)
    assert "<h2>Prompt versions</h2>" in page and "v2 (in use)" in page
    assert "+30.0 points" in page and "&lt;b&gt;ana&lt;/b&gt;" in page


def test_a_store_made_before_versions_gains_the_table_on_open(db_path, tickets_spec):
    import sqlite3

    run_id = finished(db_path, tickets_spec)
    with sqlite3.connect(db_path) as old:  # as a store written before this table existed
        old.execute("DROP TABLE versions")
    assert list_versions(tickets_spec.name, db_path) == []
    assert add_version(run_id, db_path=db_path).number == 2


def test_two_people_at_once_leave_exactly_one_version_in_use(store_at, tickets_spec):
    import threading

    run_id = finished(store_at, tickets_spec)
    errors: list[BaseException] = []

    def accept(candidate: str) -> None:
        try:
            for _ in range(5):
                add_version(run_id, candidate, db_path=store_at)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=accept, args=(h,)) for h in ("c1", "c2")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    kept = list_versions(tickets_spec.name, store_at)
    assert [v.number for v in kept] == [1, 2, 3] and sum(v.in_use for v in kept) == 1
    assert sorted(v.candidate for v in kept) == ["b0", "c1", "c2"]
