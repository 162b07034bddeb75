"""A damaged or deleted run store: the CLI and the dashboard say what happened and what to do,
never with a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE.parent / "runs") not in sys.path:
    sys.path.insert(0, str(HERE.parent / "runs"))

from reliability_log import observe  # noqa: E402

DAMAGE = ("garbage", "zeroed header", "truncated", "deleted")


@pytest.fixture
def damaged(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    """(home folder, run id, kind of damage): a store with one finished run, then damaged."""
    from scripted_lms import oracle_lm

    from engine.runs import create_run, load_spec
    from engine.runs.process.worker import run_worker

    home = tmp_path / "home"
    db = home / "tunesmith_data" / "runs.db"
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("support_tickets.csv", "support_tickets.yaml"):
        shutil.copy(ROOT / "sample_data" / name, tmp_path / name)
    spec = load_spec(tmp_path / "support_tickets.yaml")
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 6, 6, 6
    spec.optimizer.name, spec.optimizer.params = "BootstrapFewShot", {}
    run_id = create_run(spec, db)
    assert run_worker(run_id, db, lm_factory=oracle_lm) == "finished"
    kind = request.param
    data = db.read_bytes()
    if kind == "garbage":
        db.write_bytes(os.urandom(len(data)))
    elif kind == "zeroed header":
        db.write_bytes(b"\0" * 100 + data[100:])
    elif kind == "truncated":
        db.write_bytes(data[: len(data) // 3])
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    monkeypatch.setenv("TUNESMITH_HOME", str(home))
    return home, run_id, kind


def _expected(kind: str) -> tuple[str, ...]:
    return ("cannot be read", "Move it aside") if kind != "deleted" else ()


@pytest.mark.parametrize("damaged", DAMAGE, indirect=True)
def test_cli_says_what_is_wrong_without_a_traceback(damaged) -> None:
    home, run_id, kind = damaged
    env = {**os.environ, "TUNESMITH_HOME": str(home)}
    said = []
    with observe("crash", optimizer="store", phase=f"store file {kind} (CLI)"):
        for args in (["runs"], ["show", run_id], ["export", run_id, "--format", "json"]):
            done = subprocess.run([sys.executable, "-m", "engine", *args], env=env, cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip
            out = done.stdout + done.stderr
            assert "Traceback" not in out, out
            if args != ["runs"] or kind != "deleted":
                assert done.returncode == 2 and "error:" in done.stderr, (args, out)
            said.append(out)
        if kind == "deleted":
            assert run_id in said[1] and "no run" in said[1].lower(), said[1]
        elif kind != "truncated":  # a cut file may still open; its lost pages are told later
            assert all(m in said[0] for m in _expected(kind)), said[0]


@pytest.mark.parametrize("damaged", DAMAGE, indirect=True)
def test_dashboard_says_what_is_wrong_without_a_traceback(damaged) -> None:
    from streamlit.testing.v1 import AppTest

    home, run_id, kind = damaged
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.query_params["run"] = run_id
    with observe("crash", optimizer="store", phase=f"store file {kind} (dashboard)"):
        at.run()
        assert not at.exception, at.exception
        for page in ("run", "runs", "compare", "export"):
            at.switch_page(f"views/{page}.py").run()
            assert not at.exception, (page, at.exception)
            shown = " ".join(str(e.value) for e in [*at.error, *at.warning, *at.info,
                                                    *at.markdown])  # fmt: skip
            if kind == "deleted":
                continue
            assert "cannot be read" in shown and "Move it aside" in shown, (page, shown[:800])
