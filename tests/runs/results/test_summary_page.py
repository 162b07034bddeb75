"""The stakeholder summary (issue 40 item 2): one self-contained HTML page from a real store of a
scripted run; hostile names and row text arrive escaped; keys never appear; the CLI writes it."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, subprocess_env
from scripted_lms import oracle_lm

from engine.core._errors import TunesmithError
from engine.runs import create_run, load_spec, summary_html
from engine.runs.process.worker import run_worker
from engine.runs.results._outcome import Outcome
from engine.runs.results._summary_page import render_summary
from engine.runs.results._summary_rows import RowStories, RowStory

HOSTILE = '<script>alert("x")</script> & \'quoted\' "name"'
HOSTILE_ROW = '<img src=x onerror="alert(1)"> Where is my <b>order</b>?'
KEY = "sk-proj-" + "Zq8vX2mN4pL7rT1wY6uB3kD9"  # shaped like an OpenAI key


def _no_active_content(page: str) -> None:
    """No scripts, no event handlers, nothing fetched from elsewhere."""
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert not re.search(r"<[^>]+\son\w+\s*=", lowered), "an event handler attribute"
    assert not re.search(r"<[^>]+\s(src|href)\s*=", lowered), "a link or a fetched resource"
    assert "http" not in lowered and "<link" not in lowered and "@import" not in lowered


@pytest.fixture
def finished_run(db_path: Path, project: Path) -> str:
    """BootstrapFewShot on 6/6/6 rows with the scripted oracle (right with demos, the first
    choice zero-shot), from a project with a hostile name and a hostile row."""
    data = project / "support_tickets.csv"
    rows = list(csv.reader(data.open(encoding="utf-8")))
    rows.insert(1, [HOSTILE_ROW, "shipping"])
    with data.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    spec = load_spec(project / "support_tickets.yaml")
    spec.name, spec.description = HOSTILE, f"Route tickets {HOSTILE}"
    spec.data.train_size = spec.data.val_size = 6
    spec.data.test_size = 40
    spec.optimizer.name = "BootstrapFewShot"
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    return run_id


def test_summary_of_a_real_run(finished_run: str, db_path: Path) -> None:
    page = summary_html(finished_run, db_path)
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and page.count("<h2>") >= 5
    _no_active_content(page)
    assert HOSTILE not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&#x27;quoted&#x27;" in page and HOSTILE_ROW not in page
    text = re.sub(r"<[^>]+>", " ", page)
    # the oracle: first choice zero-shot, right with demos: a clear gain on 40 held-out rows
    assert "Better on new rows." in text
    assert "Held-out test (40 rows the optimizer never saw)" in text and "clear gain: +" in text
    assert "95% range +" in text
    assert "Fixed by the tuned prompt" in text and "On 40 held-out test rows: fixed " in text
    assert "Search over example sets" not in text  # BootstrapFewShot, not random search
    assert "Model calls" in text and "Wall time" in text and "finished " in text
    assert "ticket" in text and "one of: billing, technical, shipping" in text  # the fields
    assert "6 to learn from, 6 to choose with (validation), 40 held out" in text
    # what ran: BootstrapFewShot's own default of 16 examples, not the form's offer of 8
    assert "Examples in the prompt (max)  16 " in text and "Model-made examples (max)  4 " in text
    assert "Other settings" not in text
    assert re.search(r"Candidates tried  [1-9]\d*, besides your prompt", text)


def test_summary_escapes_and_redacts_every_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", "plain-env-secret-42")
    secret = "plain-env-secret-42"
    story = RowStory(f"{HOSTILE_ROW} {KEY}", "</td><script>x</script>", 'a"b', secret)
    stories = RowStories("val", total=3, fixed=[story], still_wrong=[story], broke=[story])
    run = {
        "id": "r<1>", "name": HOSTILE, "status": "finished", "created_at": 0,
        "spec": {"description": f"uses {KEY}", "pipeline": [{"fields": [
            {"name": "<b>f</b>", "role": "input", "type": "str", "description": KEY}]}],
            "optimizer": {"name": "<i>x</i>", "params": {"<px>": "<qx>"}}},
        "optimizer": "<i>x</i>",
    }  # fmt: skip
    outcome = Outcome(None, None, None, 0.5, 0.75, "start kept", f"why {HOSTILE}")
    page = render_summary(run, outcome, {"calls": 3, "by_model": {"<m>": {}}}, stories)
    _no_active_content(page)
    assert KEY not in page and "plain-env-secret-42" not in page and "[redacted]" in page
    for raw in (HOSTILE, "<b>f</b>", "<i>x</i>", "<px>", "<qx>", "<m>", "</td><script>", 'a"b'):
        assert raw not in page, raw
    text = re.sub(r"<[^>]+>", " ", page)
    assert "Not checked on new rows." in text and "On the validation rows" in text
    assert "The start was kept" in text and "On 3 validation rows: fixed 1, broke 1" in text
    assert "Tokens  not reported" in text
    assert "Other settings  the optimizer's standard ones" in text  # no settings recorded


def test_summary_names_the_settings_the_run_used() -> None:
    """A run of `optimizer: auto` gives no params: the page shows what the worker recorded."""
    run = {
        "id": "r", "name": "n", "status": "finished", "created_at": 0,
        "optimizer": "BootstrapFewShotWithRandomSearch",
        "spec": {"optimizer": {"name": "auto", "params": {}}},
        "settings": {"max_bootstrapped_demos": 4, "max_labeled_demos": 16,
                     "num_candidate_programs": 16, "spend_share": 0.5},
    }  # fmt: skip
    outcome = Outcome(None, None, None, 0.5, 0.75, "start kept", "why")
    page = render_summary(run, outcome, {}, RowStories("val"), tried=20)
    text = re.sub(r"<[^>]+>", " ", page)
    assert "Candidate example sets to try  16 " in text
    assert "Examples in the prompt (max)  16 " in text
    assert "Candidates tried  20, besides your prompt" in text
    assert "spend_share" not in text and "Other settings" not in text  # unlabelled: spec only


def test_cli_writes_the_summary(finished_run: str, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "summary.html"
    env = subprocess_env(TUNESMITH_HOME=str(tmp_path / "home"))
    cmd = [sys.executable, "-m", "engine", "summary", finished_run, "--db", str(db_path)]
    result = subprocess.run([*cmd, "-o", str(out)], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    assert out.read_text(encoding="utf-8") == summary_html(finished_run, db_path)
    missing = subprocess.run([*cmd[:-3], "nope", "--db", str(db_path)], capture_output=True,
                             text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr
    with pytest.raises(TunesmithError, match="no run"):
        summary_html("nope", db_path)


def test_summary_of_a_run_that_did_not_finish() -> None:
    stories = RowStories("val")
    outcome = Outcome(None, None, None, None, None, "unknown", test_rows=20)
    failed = {"id": "r", "name": "n", "status": "failed", "reason": f"boom {KEY} <b>"}
    page = render_summary(failed, outcome, {}, stories)
    _no_active_content(page)
    assert "The run failed." in page and "boom [redacted] &lt;b&gt;" in page
    running = render_summary({**failed, "status": "running"}, outcome, {}, stories)
    assert "The run is still going." in running and "The run failed." not in running
    assert outcome.headline.startswith(
        "No held-out test score: the run ended before scoring its 20 test rows"
    )
