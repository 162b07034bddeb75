"""PostgreSQL restarted under a running worker: the worker waits for it, goes on, says so in
the run's log, and nothing is lost or written twice."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from reliability_log import observe

from engine.lm import ScriptedLM
from engine.runs import RunStore, create_run, load_spec
from engine.runs.process.worker import run_worker

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "runs") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "runs"))

import scripted_lms  # noqa: E402


def _slow_oracle(spec):
    """The oracle with 50 ms per call: the run lasts long enough to restart the server."""
    return ScriptedLM(by_input=scripted_lms._answerer(spec), name="slow-oracle", latency=0.05)


def test_postgres_restarted_mid_run(postgres_cluster, postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    run_id = create_run(spec, postgres_url)
    outcome: list[str] = []
    worker = threading.Thread(
        target=lambda: outcome.append(run_worker(run_id, postgres_url, lm_factory=_slow_oracle))
    )
    scenario = "PostgreSQL restarted under a running worker (scripted LM)"
    with observe("concurrency", scenario=scenario) as seen:
        worker.start()
        with RunStore(postgres_url) as store:
            deadline = time.time() + 60
            while len(store.trials(run_id)) < 3 and time.time() < deadline and worker.is_alive():
                time.sleep(0.05)
            before = len(store.events(run_id))
        assert before > 0 and worker.is_alive(), "the run ended before the restart"
        postgres_cluster.restart()
        worker.join(timeout=180)
        assert not worker.is_alive()
        with RunStore(postgres_url) as store:
            run = store.get_run(run_id)
            events = store.events(run_id)
            trials = store.trials(run_id)
            calls = store.lm_calls(run_id)
        seqs = [e["seq"] for e in events]
        lost = (max(seqs, default=0) - len(set(seqs))) + (len(seqs) - len(set(seqs)))
        seen.note(writes=len(events), reads=len(trials), lost=lost)
        assert outcome == ["finished"], run["reason"]
        assert run["attempts"] == 1 and run["test_best"] == 1.0
        assert seqs == list(range(1, len(seqs) + 1))  # no event lost, none twice
        assert [t["number"] for t in trials] == list(range(1, len(trials) + 1))
        waited = [e for e in events if e["type"] == "log" and "could not be reached" in
                  e["data"]["message"]]  # fmt: skip
        assert waited and waited[0]["data"]["level"] == "warning"
        assert len({c["id"] for c in calls}) == len(calls) > 0
