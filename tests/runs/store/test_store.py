"""Run store: WAL, a reader polling while the writer writes (SQLite and PostgreSQL), no API
key anywhere in the file."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from runs_helpers import subprocess_env

from engine.optimizers.spine._events import EventRecorder
from engine.runs import RunStore, create_run, events, get_run, list_runs, request_cancel
from engine.runs.export._files import export_run
from engine.runs.process.worker import run_worker

READER = """
import sys, time
from engine.runs.store._store import RunStore
path, run_id = sys.argv[1], sys.argv[2]
seen, errors, reads = 0, 0, 0
deadline = time.time() + 20
print("ready", flush=True)
while time.time() < deadline:
    try:
        with RunStore(path) as store:          # a fresh connection per poll, like the dashboard
            done = store.get_run(run_id)["status"] == "finished"  # first: then n is final
            n = len(store.events(run_id))
        if n < seen:
            errors += 1
        seen, reads = n, reads + 1
        if done:
            break
    except Exception as exc:
        errors += 1
        print("read failed:", exc, file=sys.stderr)
    time.sleep(0.005)
print(seen, errors, reads)
"""


def test_wal_and_pragmas(db_path: Path, tickets_spec) -> None:
    with RunStore(db_path) as store:
        store.create_run(tickets_spec)
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 30000
        assert set(store.db.table_names()) >= {
            "runs",
            "candidates",
            "trials",
            "example_results",
            "lm_calls",
            "events",
        }
    assert db_path.read_bytes()[18:20] == b"\x02\x02"  # WAL is stored in the file header


def test_reader_process_polls_while_writer_writes(store_at, tickets_spec) -> None:
    db_path = store_at
    with RunStore(db_path) as store:
        run_id = store.create_run(tickets_spec)
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(db_path), run_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        assert reader.stdout.readline().strip() == "ready"
        recorder = EventRecorder([store.sink(run_id)])

        def write() -> None:
            for i in range(300):
                recorder.log(f"message {i}")
                time.sleep(0.001)

        threads = [
            threading.Thread(target=write) for _ in range(3)
        ]  # threads share the writer connection
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        store.update_run(run_id, status="finished")
        out, err = reader.communicate(timeout=60)
    seen, errors, reads = map(int, out.split())
    assert errors == 0, err
    assert seen == 900 and reads >= 2
    assert [e["seq"] for e in events(run_id, db_path=db_path)] == list(range(1, 901))


def test_fresh_connection_readers(store_at, tickets_spec) -> None:
    db_path = store_at
    with RunStore(db_path) as store:
        run_id = store.create_run(tickets_spec, optimizer="LabeledFewShot", sizes={"train": 20})
    assert [r["id"] for r in list_runs(db_path=db_path)] == [run_id]
    run = get_run(run_id, db_path=db_path)
    assert run["spec"]["name"] == tickets_spec.name and run["sizes"] == {"train": 20}
    request_cancel(run_id, db_path=db_path)
    assert get_run(run_id, db_path=db_path)["cancel_requested"] == 1
    assert get_run("nope", db_path=db_path) is None


def test_no_api_key_in_the_store(db_path: Path, project: Path, monkeypatch, tmp_path: Path) -> None:
    key = "sk-test-FAKEKEY-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("FAKE_KEY_FOR_TEST", key)
    from scripted_lms import keyed_oracle_lm

    from engine.runs import load_spec

    spec = load_spec(project / "support_tickets.yaml")
    spec.models.task.api_base = "http://127.0.0.1:9/v1"
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=keyed_oracle_lm) == "finished"
    assert get_run(run_id, db_path=db_path)["test_best"] == 1.0
    exports = "".join(
        export_run(run_id, fmt, db_path) for fmt in ("json", "py", "prompt", "spec", "csv")
    )
    assert key not in exports
    files = [p for p in db_path.parent.rglob("*") if p.is_file()]
    assert any(p.name == "runs.db" for p in files)
    for path in files:
        assert key.encode() not in path.read_bytes(), f"API key found in {path}"
