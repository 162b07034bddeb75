"""A finished run (worker, scripted LM) becomes an Ensemble of its top-k candidates: built from
the store with no LM call, it answers by majority, and its JSON loads back."""

from __future__ import annotations

import json
from pathlib import Path

from scripted_lms import oracle_lm

from engine.core._settings import settings
from engine.lm import ScriptedLM
from engine.runs import create_run, get_run, load_spec
from engine.runs.export._ensemble import (
    build_run_ensemble,
    ensemble_skeleton,
    export_ensemble_json,
    top_candidates,
)
from engine.runs.export._files import run_spec
from engine.runs.process.worker import run_worker


def finished_run(project: Path, db_path: Path) -> str:
    path = project / "support_tickets.yaml"
    text = path.read_text().replace(
        "name: auto\n  params: {}",
        "name: random_search\n  params: {num_candidate_programs: 3, race: false}",
    )
    path.write_text(text)
    run_id = create_run(load_spec(path), db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    return run_id


def test_top_k_of_a_run_become_an_ensemble_that_loads_back(project, db_path, tmp_path):
    run_id = finished_run(project, db_path)
    run = get_run(run_id, db_path=db_path)
    top = top_candidates(run_id, 5, db_path)
    assert 2 <= len(top) <= 5 and top[0]["hash"] == run["best_candidate"]
    assert [m["score"] for m in top] == sorted((m["score"] for m in top), reverse=True)

    spec = run_spec(run)
    lm = oracle_lm(spec)
    with settings.context(lm=lm):
        ensemble = build_run_ensemble(run_id, 5, db_path)
        assert lm.calls_made == 0  # building it calls nothing
        assert len(ensemble.programs) == len(top)
        assert [m["hash"] for m in ensemble.members_info] == [m["hash"] for m in top]
        ticket = "I was charged twice for my subscription this month."
        answer = ensemble(ticket=ticket)
        assert answer.category in ("billing", "shipping", "technical")
        # the oracle's members agree, so the vote is settled once half of them answered
        assert lm.calls_made == -(-len(top) // 2)

    text = export_ensemble_json(run_id, 5, db_path)
    data = json.loads(text)
    assert data["metadata"]["ensemble"]["run"] == run_id
    path = tmp_path / "ensemble.json"
    path.write_text(text)
    again = ensemble_skeleton(spec, len(top)).load(path)
    for member, saved in zip(again.programs, top):
        assert member.dump_state() == saved["state"]
    with settings.context(lm=ScriptedLM(answers=[{"category": "billing"}], cycle=True)):
        assert again(ticket="refund?").category == "billing"
