"""Issue 62 item 9: spec and store edges end in one clear sentence, with nothing created.

Specs: a key written twice (a reviewer reads the first `api_base`, YAML keeps the second), .nan
and .inf, a 5000-digit integer, a lone surrogate, fine-tuning with 100000 threads or 1e8
epochs. Stores: a PostgreSQL URL whose options point the tables at a schema that does not
exist (the suite's real PostgreSQL), and a lock another process holds past the wait (a second
process in BEGIN IMMEDIATE on SQLite, LOCK TABLE on PostgreSQL): `run` and `cancel` say the
store is busy, never "database is locked" in a traceback.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from runs_helpers import ROOT, subprocess_env

from engine.cli import main
from engine.runs import RunStore, create_run
from engine.runs.store import _db as store_db

FIRST_BASE = "http://127.0.0.1:8080/v1"
SPEC_EDGES = [
    ("api_base twice", ("    max_tokens: 128\n", f"    api_base: {FIRST_BASE}\n    max_tokens: "
                        "128\n    api_base: http://collector.example/v1\n"),
     "gives the key 'api_base' twice (lines 35 and 37)"),
    ("section twice", ("metric:\n", "optimizer: {name: auto}\nmetric:\n"),
     "gives the key 'optimizer' twice"),
    ("max_minutes .nan", ("max_minutes: 20", "max_minutes: .nan"),
     "optimizer.budget.max_minutes: nan is not a finite number"),
    ("max_minutes NaN text", ("max_minutes: 20", "max_minutes: NaN"),
     "optimizer.budget.max_minutes: Input should be a finite number"),
    ("max_cost .inf", ("max_minutes: 20", "max_cost: .inf"), "max_cost: inf is not a finite"),
    ("temperature -.inf", ("temperature: 0.0", "temperature: -.inf"), "-inf is not a finite"),
    ("a param .nan", ("params: {}", "params: {learning_rate: .nan}"),
     "optimizer.params.learning_rate: nan is not a finite number"),
    ("5000 digits", ("max_calls: 2000", "max_calls: " + "9" * 5000),
     "holds a number 5,000 characters long (line 40)"),
    ("5000 hex digits", ("seed: 0", "seed: 0x" + "f" * 5000), "characters long (line 27)"),
    ("surrogate in the name", ("name: Support ticket routing", 'name: "bad \\ud800 name"'),
     "name: the text holds '\\ud800', half of a UTF-16 pair"),
    ("surrogate in a key", ("params: {}", 'params: {"\\udc80": 1}'),
     "optimizer.params (a key): the text holds '\\udc80'"),
    ("a 13th month", ("seed: 0", "seed: 2020-13-01"), "cannot be read: month must be in 1..12"),
    ("finetune threads 100000", ("name: auto\n  params: {}",
                                 "name: finetune\n  params: {threads: 100000}"),
     "params of BootstrapFinetune: threads must be 64 or less, not 100000"),
    ("finetune epochs 1e8", ("name: auto\n  params: {}",
                             "name: finetune\n  params: {epochs: 100000000}"),
     "epochs must be 20 or less, not 100000000"),
    ("finetune warmup 5", ("name: auto\n  params: {}", "name: finetune\n  params: {warmup: 5}"),
     "warmup must be 1 or less, not 5"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "phrase"), SPEC_EDGES, ids=[e[0] for e in SPEC_EDGES])
def test_a_spec_edge_is_one_sentence_and_creates_nothing(
    name: str, edit: tuple[str, str], phrase: str, project: Path, capsys: pytest.CaptureFixture
) -> None:
    spec = project / "support_tickets.yaml"
    text = spec.read_text(encoding="utf-8")
    assert edit[0] in text
    spec.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    db = project / "store" / "runs.db"
    assert main(["run", str(spec), "--db", str(db), "--detach"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and phrase in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not db.exists()  # no store, no run
    err.encode("utf-8")  # the message prints anywhere: it holds no lone surrogate itself


# -- a PostgreSQL URL whose options point nowhere ------------------------------------------------
def test_a_url_whose_search_path_does_not_exist_is_one_sentence(
    postgres_url: str, project: Path, capsys: pytest.CaptureFixture
) -> None:
    url = postgres_url + "?options=-c%20search_path%3Dnosuch"
    spec = str(project / "support_tickets.yaml")
    for argv in (["run", spec, "--db", url, "--detach"], ["runs", "--db", url]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith("error: The run store postgresql://") and "Traceback" not in err
        assert "cannot be opened: no schema has been selected to create in" in err
        assert "search_path" in err
    with psycopg.connect(postgres_url) as conn:  # nothing was created anywhere
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    assert tables == 0


# -- a lock held past the wait --------------------------------------------------------------------
HOLD_SQLITE = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""
HOLD_POSTGRES = """
import sys, time, psycopg
conn = psycopg.connect(sys.argv[1])
conn.execute("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def held(store_at: str | Path, seconds: float) -> Iterator[subprocess.Popen]:
    """Another process holding the store's write lock for `seconds` (or until the block ends)."""
    script = HOLD_POSTGRES if str(store_at).startswith("postgresql") else HOLD_SQLITE
    holder = subprocess.Popen(  # noqa: S603  (fixed argv)
        [sys.executable, "-c", script, str(store_at), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def _state(store_at: str | Path) -> list[tuple[str, int]]:
    with RunStore(store_at) as store:
        return [(r["id"], store.get_run(r["id"])["cancel_requested"]) for r in store.list_runs()]


def test_run_and_cancel_say_the_store_is_busy(
    store_at: str | Path, tickets_spec, project: Path, capsys, monkeypatch
) -> None:
    """On SQLite and PostgreSQL, with the wait shortened to 1 s: both commands end in one
    sentence naming the holder (SQLite: its pid) or where to look (PostgreSQL)."""
    run_id = create_run(tickets_spec, store_at)
    before = _state(store_at)
    monkeypatch.setattr(store_db, "BUSY_SECONDS", 1)
    spec = str(project / "support_tickets.yaml")
    with held(store_at, 120) as holder:
        for argv in (["cancel", run_id], ["run", spec, "--detach"]):
            started = time.monotonic()
            assert main([*argv, "--db", str(store_at)]) == 2
            assert time.monotonic() - started < 30  # the bound, not forever
            err = capsys.readouterr().err.strip().splitlines()[-1]
            assert err.startswith("error: The run store ") and " is busy: " in err, err
            assert "Nothing was changed" in err and "locked" not in err
            named = f"pid {holder.pid} (python" if "postgresql" not in str(store_at) else (
                "pg_stat_activity")  # fmt: skip
            assert named in err, err
    assert _state(store_at) == before  # no run created, no cancel requested


def test_cancel_waits_its_bound_then_says_busy_in_a_real_cli(tickets_spec, tmp_path: Path) -> None:
    """The real command with its real 30 s wait, against a real held SQLite lock."""
    db = tmp_path / "store" / "runs.db"
    run_id = create_run(tickets_spec, db)
    with held(db, 300) as holder:
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603  (fixed argv)
            [sys.executable, "-m", "engine", "cancel", run_id, "--db", str(db)],
            capture_output=True, text=True, timeout=240, env=subprocess_env(), cwd=ROOT,
        )  # fmt: skip
        waited = time.monotonic() - started
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert waited >= store_db.BUSY_SECONDS
    assert done.stderr.strip().startswith(f"error: The run store {db} is busy: ")
    assert f"pid {holder.pid} (python" in done.stderr
    with RunStore(db) as store:
        assert store.get_run(run_id)["cancel_requested"] == 0
