"""Which step's change moved the score: a two-step program (restate, then classify) tuned by
LabeledFewShot on a scripted LM whose classify step is right only with examples in its prompt,
and whose restate step answers the same whatever it is shown. Putting classify back as it
started loses the gain; putting restate back changes nothing."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from engine.core import TunesmithError
from engine.lm.scripted import ScriptedLM, input_fields
from engine.runs import create_run, get_run, load_spec
from engine.runs.export import program_state
from engine.runs.process.worker import run_worker
from engine.runs.results import changed_steps, save_step_credit, saved_step_credit, step_credit
from engine.runs.spec import spec_from_dict


def two_steps(project: Path, optimizer: dict[str, Any]) -> Any:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    restate = {"name": "restate", "module": "Predict", "instructions": "Restate the ticket.",
               "fields": [{"name": "ticket", "role": "input"},
                          {"name": "request", "role": "output"}]}  # fmt: skip
    classify["fields"].insert(1, {"name": "request", "role": "input"})
    spec["pipeline"] = [restate, classify]
    spec["data"].update(train_size=6, val_size=8, test_size=6)
    spec["optimizer"] = optimizer
    return spec_from_dict(spec, base_dir=project)


def stepwise_lm(truth: dict[str, str]):
    def factory(spec: Any) -> ScriptedLM:
        def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
            if "category" not in messages[0]["content"]:  # the restate step
                return {"request": "the customer asks for help"}
            shown = any(m.get("role") == "assistant" for m in messages)
            text = input_fields(messages[-1]["content"]).get("ticket", "").strip()
            return {"category": truth.get(text, "billing") if shown else "billing"}

        return ScriptedLM(by_input=answer, name="stepwise")

    return factory


@pytest.fixture
def truth(project: Path) -> dict[str, str]:
    with open(project / "support_tickets.csv", newline="", encoding="utf-8") as fh:
        return {r["ticket"].strip(): r["category"].strip() for r in csv.DictReader(fh)}


def test_the_step_that_carried_the_gain_is_named(project, db_path, truth) -> None:
    spec = two_steps(project, {"name": "LabeledFewShot", "params": {"k": 3}})
    run_id = create_run(spec, db_path)
    lm = stepwise_lm(truth)
    assert run_worker(run_id, db_path, lm_factory=lm) == "finished"
    best = program_state(run_id, db_path)
    assert set(changed_steps(best, program_state(run_id, db_path, _baseline(run_id, db_path)))) \
        == {"restate", "classify"}  # fmt: skip
    score, n, credits = step_credit(run_id, db_path=db_path, lm_factory=lm)
    assert (score, n) == (1.0, 8)
    by_step = {c.step: c for c in credits}
    assert by_step["restate"].without == 1.0 and by_step["restate"].versus["diff"] == 0
    assert by_step["classify"].without < 1.0 and by_step["classify"].versus["diff"] > 0
    save_step_credit(run_id, score, n, credits, db_path)
    assert saved_step_credit(run_id, db_path) == (score, n, credits)


def test_a_program_its_optimizer_rebuilds_is_refused(project, db_path, truth) -> None:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=6, test_size=6)
    spec["optimizer"] = {"name": "KNNFewShot", "params": {"k": 2}}
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=stepwise_lm(truth)) == "finished"
    with pytest.raises(TunesmithError, match="no steps to swap"):
        step_credit(run_id, db_path=db_path, lm_factory=stepwise_lm(truth))


def _baseline(run_id: str, db_path: Path) -> str:
    return get_run(run_id, db_path=db_path)["baseline_candidate"]


@pytest.mark.real_lm
@pytest.mark.slow
def test_on_the_embedded_model(project, db_path) -> None:
    """The same two steps on SmolLM2: every changed step gets its score, the tuned program's
    score is the run's own validation score of its best (its answers come from the cache)."""
    spec = two_steps(project, {"name": "LabeledFewShot", "params": {"k": 2}})
    spec.data.val_size = 4
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path) == "finished"
    score, n, credits = step_credit(run_id, db_path=db_path)
    assert n == 4 and {c.step for c in credits} == {"restate", "classify"}
    assert all(0.0 <= c.without <= 1.0 and c.versus["n"] == 4 for c in credits)
    assert score == pytest.approx(get_run(run_id, db_path=db_path)["best_score"])
