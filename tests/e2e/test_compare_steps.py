"""Compare's "Which step made the difference" in a real browser on the embedded model (marked
e2e): a two-step program (restate, then classify) tuned by LabeledFewShot (its examples come
from the rows: no model call), then each changed step measured on the validation rows by
SmolLM2 and the page's sentence and table read. Screenshot 07h-compare-steps."""

from __future__ import annotations

import re
import shutil
import sys

import pytest
from browser_tour import ROOT, Server, failure_shot, nav, settle, shot_section

from engine.runs import create_run, load_spec, saved_step_credit
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict

sys.path.insert(0, str(ROOT / "tests" / "dashboard"))
from fake_lms import stepwise  # noqa: E402  (the dashboard tests' scripted LMs)

pytestmark = [pytest.mark.e2e, pytest.mark.real_lm, pytest.mark.timeout(900)]


def two_step_run(folder, db) -> str:
    folder.mkdir()
    shutil.copy(ROOT / "sample_data" / "support_tickets.csv", folder / "support_tickets.csv")
    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    classify["fields"].insert(1, {"name": "request", "role": "input",
                                  "description": "the customer's request in one sentence"})
    spec["pipeline"] = [{
        "name": "restate", "module": "Predict",
        "instructions": "Say in one sentence what the customer asks for.",
        "fields": [{"name": "ticket", "role": "input"}, {"name": "request", "role": "output"}],
    }, classify]  # fmt: skip
    spec["name"] = "Restate, then route"
    spec["data"].update(train_size=6, val_size=6, test_size=6)
    spec["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 2}}
    run_id = create_run(spec_from_dict(spec, base_dir=folder), db)
    assert run_worker(run_id, db, lm_factory=stepwise) == "finished"
    return run_id


def test_each_steps_part(browser_page, tmp_path):
    pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python")
    server = Server(tmp_path / "home")
    try:
        with failure_shot(browser_page, server, tmp_path):
            steps(server, browser_page, tmp_path)
    finally:
        server.stop()


def steps(server: Server, page, tmp_path) -> None:
    db = server.home / "tunesmith_data" / "runs.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    run_id = two_step_run(tmp_path / "project", db)
    page.set_default_timeout(60_000)
    page.goto(server.url)
    settle(page)
    nav(page, "Compare")
    heading = page.get_by_role("heading", name="Which step made the difference")
    heading.scroll_into_view_if_needed()
    page.get_by_role("button", name="Measure each step's part").click()
    page.get_by_text("On 6 validation rows").wait_for(timeout=600_000)
    settle(page)
    score, n, credits = saved_step_credit(run_id, db)
    assert n == 6 and {c.step for c in credits} == {"restate", "classify"}
    words = re.compile("carried most of the gain|No step's tuning moved the score")
    page.get_by_text(words).wait_for()  # which one is the model's answer on these rows
    shot_section(page, heading, page.get_by_text("On 6 validation rows"), "07h-compare-steps")
