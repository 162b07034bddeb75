"""Compare's "On other models" in a real browser (marked e2e): a finished run's best prompt
scored on its held-out rows with the run's own embedded model and with the same weights behind
llama.cpp's OpenAI-compatible server on 127.0.0.1 (litellm's `openai/` provider, as any hosted
model), the board read back after a reload; then both models as columns of the rows table
beside the run's candidates, downloaded as CSV. Screenshots 07g-compare-models and
07i-compare-models-rows."""

from __future__ import annotations

import sys

import pytest
from browser_tour import ROOT, Server, nav, settle, shot_section
from compare_steps import dashboard_beside_server, models_in_rows, score_on_server, shot_rows

from engine.runs import create_run, load_spec, saved_leaderboard
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict

sys.path.insert(0, str(ROOT / "tests" / "dashboard"))
from fake_lms import oracle  # noqa: E402  (the dashboard tests' scripted LMs)

pytestmark = [pytest.mark.e2e, pytest.mark.real_lm, pytest.mark.timeout(900)]


def finished_run(db) -> str:
    """The support-tickets sample tuned by LabeledFewShot on a scripted LM (the prompt only
    matters here: the models are scored on it afterwards)."""
    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=6)
    spec["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 3}}
    run_id = create_run(spec_from_dict(spec, base_dir=ROOT / "sample_data"), db)
    assert run_worker(run_id, db, lm_factory=oracle) == "finished"
    return run_id


def test_two_models_on_the_same_rows(browser_page, tmp_path):
    with dashboard_beside_server(browser_page, tmp_path) as (server, llama):
        board(server, browser_page, llama)
        rows_table(browser_page, llama, tmp_path)


def board(server: Server, page, llama) -> None:
    db = server.home / "tunesmith_data" / "runs.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    run_id = finished_run(db)
    page.set_default_timeout(60_000)
    page.goto(server.url)
    settle(page)
    nav(page, "Compare")
    score_on_server(page, llama.model, llama.api_base)
    standings, _ = saved_leaderboard(run_id, db)
    assert [s.model for s in standings] == ["local/smollm2-135m", llama.model]
    assert standings[1].off_list == 0 and standings[1].n == 6
    page.reload()  # the board is kept with the run
    settle(page)
    page.get_by_text("Highest score here").wait_for()
    table = page.get_by_test_id("stDataFrame").filter(has_text="Seconds a row (slowest 5%)").first
    table.wait_for()
    assert llama.api_key not in page.content()
    shot_section(page, page.get_by_role("heading", name="On other models"),
                 page.get_by_text("Highest score here"), "07g-compare-models")  # fmt: skip


def rows_table(page, llama, tmp_path) -> None:
    """The board's models join the held-out rows table as columns; the CSV holds them."""
    header, rows = models_in_rows(page, ["local/smollm2-135m", llama.model], tmp_path)
    for model in ("local/smollm2-135m", llama.model):
        assert f"on {model}: answer" in header and f"on {model}: score" in header, header
    assert len(rows) == 6
    served = header.index(f"on {llama.model}: answer")
    assert all(row[served] or row[served + 2] for row in rows)  # an answer, or why not
    shot_rows(page, "07i-compare-models-rows")
