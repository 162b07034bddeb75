"""Optimize page: model, optimizer by goal or auto (with the reason), budget card, start."""

from __future__ import annotations

import pytest
from apphelpers import go, k, open_sample, set_sizes, texts


@pytest.fixture
def tickets(app):
    return open_sample(app)


@pytest.mark.parametrize(
    ("sizes", "phrase"),
    [((2, 2, 2), "MIPROv2"), ((6, 6, 6), "BootstrapFewShot"), ((20, 20, 20), "random search")],
)
def test_auto_explains_its_choice_by_dataset_size(tickets, sizes, phrase):
    at = set_sizes(tickets, *sizes)
    go(at, "optimize")
    info = " ".join(i.value for i in at.info)
    assert "Auto will use" in info and phrase in info
    if sizes[0] == 2:
        assert "tunes the instruction alone" in info


def test_goal_and_preflight_card(tickets):
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("BootstrapFewShot").run()
    page = texts(at)
    assert "Before you start" in page
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["LM calls"].startswith("~") and metrics["Cost"] == "free (local)"
    assert "Time" in metrics
    assert at.session_state["draft"]["optimizer"]["name"] == "BootstrapFewShot"
    assert at.session_state["draft"]["optimizer"]["params"]["max_bootstrapped_demos"] == 4


def test_budget_warning_when_the_limit_is_below_the_estimate(tickets):
    at = set_sizes(tickets, 20, 20, 20)
    go(at, "optimize")
    at.number_input(key=k(at, "bcalls")).set_value(5).run()
    assert "stop at the limit of 5 LM calls" in " ".join(w.value for w in at.warning)


def test_start_runs_the_worker_and_opens_the_run_page(tickets):
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Run"
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    assert run_id
    page = texts(at)
    assert "Finished" in page and "Final check on the held-out test rows" in page
    assert "Score: baseline → best" in page


def test_timing_one_call_refines_the_estimate(tickets):
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    assert "assumed ~1 s per call" in texts(at)
    at.button(key="measure_speed").click().run()
    assert "measured in this session" in texts(at)


def test_hosted_model_needs_a_name_and_a_key(tickets, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "model_kind")).set_value("hosted").run()
    assert at.button(key="start_run").disabled
    assert "Type the hosted model's name" in texts(at)
    at.text_input(key=k(at, "model_name")).set_value("gpt4").run()
    assert "provider/name" in " ".join(e.value for e in at.error)
    at.text_input(key=k(at, "model_name")).set_value("openai/gpt-4o-mini").run()
    assert at.button(key="start_run").disabled
    assert "OPENAI_API_KEY" in " ".join(w.value for w in at.warning)
    at.radio(key=k(at, "model_kind")).set_value("embedded").run()
    assert not at.button(key="start_run").disabled
    assert at.session_state["draft"]["models"]["task"]["model"] == "local/smollm2-135m"


def test_mipro_goal_sets_the_spec_and_shows_proposer_calls(tickets):
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("MIPROv2").run()
    draft = at.session_state["draft"]
    assert draft["optimizer"]["name"] == "MIPROv2"
    assert draft["optimizer"]["params"]["auto"] == "light"
    assert "proposer ~" in " ".join(c.value for c in at.caption)
