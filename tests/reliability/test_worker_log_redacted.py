"""A detached worker whose provider prints, logs and raises its API key: the key given through
the environment and through the dashboard's key box (`extra_env`) appears nowhere in the
worker's log, the store or the run's exports; the log still tells what happened."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from reliability_log import observe
from secret_scan import scan_files

from engine.runs import RunStore, create_run
from engine.runs.process._launch import launch_run
from engine.runs.spec._spec import load_spec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENV_KEY = "sk-test-LOGENVFAKE-71c9a2"
UI_KEY = "sk-test-LOGUIFAKE-0b33e5"


def _wait_ended(db: Path, run_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with RunStore(db) as store:
            run = store.get_run(run_id)
        if run["status"] in ("finished", "failed", "cancelled"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not end within {timeout} s")


def test_the_worker_log_never_holds_a_key(tmp_path: Path, monkeypatch) -> None:
    from engine.runs.export import _files as export

    for name in ("support_tickets.csv", "support_tickets.yaml"):
        shutil.copy(ROOT / "sample_data" / name, tmp_path / name)
    spec = load_spec(tmp_path / "support_tickets.yaml")
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 4, 4, 4
    db = tmp_path / "store" / "runs.db"
    run_id = create_run(spec, db)
    paths = [str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    monkeypatch.setenv("TUNESMITH_TEST_LM", "leaky_lms:leaky_lm")
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    for key, extra in ((ENV_KEY, {}), (UI_KEY, {"OPENAI_API_KEY": UI_KEY})):
        via = "dashboard key box" if extra else "environment"
        scope = f"worker log, store, exports (key from the {via})"
        with observe("secret_scan", scope=scope) as seen:
            monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
            if extra:
                run_id = create_run(spec, db)
            assert launch_run(run_id, db, inline=False, extra_env=extra) is not None
            run = _wait_ended(db, run_id)
            log = Path(run["log_path"]).read_text(encoding="utf-8")
            exports = tmp_path / f"exports-{run_id}"
            exports.mkdir()
            for fmt in export.FORMATS:
                text = export.export_run(run_id, fmt, db_path=db)
                (exports / f"export.{fmt}").write_text(text, encoding="utf-8")
            files, hits = scan_files([db.parent, exports], [ENV_KEY, UI_KEY])  # logs/ too
            seen.note(files=files, hits=len(hits))
            assert run["status"] == "failed" and "[redacted]" in (run["reason"] or ""), run
            assert "debug: sending request with api_key=[redacted]" in log, log[-2000:]
            assert "[redacted] is about to expire" in log and "Bearer [redacted]" in log
            assert key not in log, "the worker's log holds the key"
            assert files >= 3 and not hits, hits
