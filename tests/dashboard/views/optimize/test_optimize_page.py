"""Optimize page: model, optimizer by goal or auto (with the reason), budget card, start."""

from __future__ import annotations

import pytest
from apphelpers import go, k, open_sample, set_sizes, shown, texts


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
    info = " ".join(shown(i.value) for i in at.info)
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
    assert "stop at the limit of 5 LM calls" in " ".join(shown(w.value) for w in at.warning)


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
    assert "Finished" in page and "Held-out test (6 rows the optimizer never saw)" in page
    assert "Validation score" in page


def test_the_embedded_models_estimate_keeps_its_typical_speed_after_a_try(tickets, monkeypatch):
    """One call timed here (a Try on a row) is a short prompt the embedded model has mostly
    read already: it does not replace the speed scaled to this machine, which counts a run's
    demos; the page does not offer to time one either."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # no core spare for watching the run
    at = set_sizes(tickets, 6, 6, 6)
    at.session_state["speed"] = {"local/smollm2-135m": [0.09]}  # what a Try would have timed
    go(at, "optimize")
    assert "typical for the embedded model" in texts(at)  # nothing measured in this store
    assert "measured in this session" not in texts(at)
    # the run started here is watched on the Run page, which slows a 2-core machine's model
    assert "watching the run in the dashboard adds about 5%" in texts(at)
    assert "measure_speed" not in [b.key for b in at.button]


def optimize_on_a_hosted_model(tickets, monkeypatch, key: str = "sk-from-the-server"):
    """The Optimize page with openai/gpt-4o-mini as the task model (its key in the server's
    environment)."""
    monkeypatch.setenv("OPENAI_API_KEY", key)
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "model_kind")).set_value("hosted").run()
    at.text_input(key=k(at, "model_name")).set_value("openai/gpt-4o-mini").run()
    return at


def test_a_hosted_models_estimate_uses_the_calls_timed_in_this_session(tickets, monkeypatch):
    at = optimize_on_a_hosted_model(tickets, monkeypatch)
    assert "typical for a hosted model" in texts(at)
    assert "measure_speed" in [b.key for b in at.button]  # offered: nothing timed yet
    at.session_state["speed"] = {"openai/gpt-4o-mini": [1.4, 1.5, 2.0]}  # as its click records
    at.run()
    assert "measured in this session: 1.50 s per call" in texts(at)
    assert "measure_speed" not in [b.key for b in at.button]


def test_hosted_model_needs_a_name_and_a_key(tickets, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "model_kind")).set_value("hosted").run()
    assert at.button(key="start_run").disabled
    assert "Type the hosted model's name" in texts(at)
    at.text_input(key=k(at, "model_name")).set_value("gpt4").run()
    assert "provider/name" in " ".join(shown(e.value) for e in at.error)
    at.text_input(key=k(at, "model_name")).set_value("openai/gpt-4o-mini").run()
    assert at.button(key="start_run").disabled
    assert "OPENAI_API_KEY" in " ".join(shown(w.value) for w in at.warning)
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
    assert "proposer ~" in " ".join(shown(c.value) for c in at.caption)


def spec_of(at):
    """The engine's spec of the page's draft (what a run would get)."""
    from engine.runs.spec._spec import spec_from_dict

    return spec_from_dict(at.session_state["draft"], at.session_state["project_dir"])


def test_mipro_searches_set_auto_and_the_examples(tickets):
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("MIPROv2").run()
    search = at.radio(key=k(at, "search_MIPROv2"))
    assert search.value == "light"
    assert any("Your instruction + 2 proposed, × 6 example sets" in c for c in search.captions)
    assert spec_of(at).optimizer.params == {
        "auto": "light",
        "max_bootstrapped_demos": 4,
        "max_labeled_demos": 4,
    }
    search.set_value("instructions").run()
    spec = spec_of(at)
    assert spec.optimizer.name == "MIPROv2"
    assert spec.optimizer.params == {
        "auto": "light",
        "max_bootstrapped_demos": 0,
        "max_labeled_demos": 0,
    }
    assert not any(n.key == k(at, "opt_max_bootstrapped_demos") for n in at.number_input)
    at.radio(key=k(at, "search_MIPROv2")).set_value("heavy").run()
    assert spec_of(at).optimizer.params == {
        "auto": "heavy",
        "max_bootstrapped_demos": 4,
        "max_labeled_demos": 4,
    }
    at.number_input(key=k(at, "opt_max_bootstrapped_demos")).set_value(2).run()
    at.radio(key=k(at, "search_MIPROv2")).set_value("medium").run()
    params = spec_of(at).optimizer.params
    assert params["auto"] == "medium" and params["max_bootstrapped_demos"] == 2


def test_gepa_sizes_set_auto_or_the_runs_and_its_settings_are_on_the_form(tickets):
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("GEPA").run()
    size = at.radio(key=k(at, "search_GEPA"))
    assert size.value == "light" and size.captions[-1].startswith("Choose how many program runs")
    assert spec_of(at).optimizer.params == {
        "auto": "light", "reflection_minibatch_size": 3, "use_merge": True,
    }  # fmt: skip
    size.set_value("custom").run()
    runs = at.number_input(key=k(at, "opt_max_metric_calls"))
    assert runs.value == 200 and runs.label == "Program runs (max)"  # the entry's default
    assert "auto" not in spec_of(at).optimizer.params
    runs.set_value(60).run()
    at.radio(key=k(at, "search_GEPA")).set_value("medium").run()
    params = spec_of(at).optimizer.params
    assert params["auto"] == "medium" and "max_metric_calls" not in params
    assert not any(n.key == k(at, "opt_max_metric_calls") for n in at.number_input)
    assert at.number_input(key=k(at, "opt_reflection_minibatch_size")).value == 3


def test_copro_defaults_and_proposer_calls_on_the_card(tickets):
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("COPRO").run()
    spec = spec_of(at)
    assert spec.optimizer.name == "COPRO"
    assert spec.optimizer.params == {"breadth": 4, "depth": 2}
    assert spec.models.proposer is None
    split = " ".join(c.value for c in at.caption if c.value.startswith("Search calls by role"))
    assert "task model ~" in split and "proposer ~" in split
    at.number_input(key=k(at, "opt_breadth")).set_value(3).run()
    assert spec_of(at).optimizer.params["breadth"] == 3


def test_proposer_model_choice(tickets, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    assert not any(r.key == k(at, "proposer_kind") for r in at.radio)  # few-shot: no proposer
    at.radio(key=k(at, "goal")).set_value("MIPROv2").run()
    kind = at.radio(key=k(at, "proposer_kind"))
    assert kind.value == "same" and kind.options == ["Same as the task model", "A hosted model"]
    assert spec_of(at).models.proposer is None
    kind.set_value("hosted").run()
    assert at.button(key="start_run").disabled
    assert "Type the proposer model's name" in texts(at)
    at.text_input(key=k(at, "proposer_name")).set_value("openai/gpt-4o").run()
    proposer = spec_of(at).models.proposer
    assert proposer.model == "openai/gpt-4o" and proposer.temperature == 1.0
    assert spec_of(at).models.task.model == "local/smollm2-135m"
    assert at.button(key="start_run").disabled  # no key for the proposer yet
    assert "OPENAI_API_KEY" in " ".join(shown(w.value) for w in at.warning)
    at.text_input(key="proposer_key_input").set_value("sk-test-proposer").run()
    assert not at.button(key="start_run").disabled
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cost"].startswith("~$")  # the proposer's calls are priced
    at.radio(key=k(at, "goal")).set_value("BootstrapFewShot").run()
    assert spec_of(at).models.proposer is None


def test_embedded_proposer_for_a_hosted_task_model(tickets, monkeypatch):
    at = optimize_on_a_hosted_model(tickets, monkeypatch)
    at.radio(key=k(at, "goal")).set_value("COPRO").run()
    at.radio(key=k(at, "proposer_kind")).set_value("embedded").run()
    proposer = spec_of(at).models.proposer
    assert proposer.model == "local/smollm2-135m" and proposer.temperature == 1.0
    at.radio(key=k(at, "proposer_kind")).set_value("hosted").run()
    at.text_input(key=k(at, "proposer_name")).set_value("openai/gpt-4o").run()
    assert "Uses the task model's key (OPENAI_API_KEY)" in texts(at)
    assert not at.button(key="start_run").disabled


def test_auto_with_two_rows_offers_the_proposer_choice(tickets):
    at = set_sizes(tickets, 2, 2, 2)
    go(at, "optimize")
    assert at.radio(key=k(at, "proposer_kind")).value == "same"


def test_keys_for_the_worker_by_role(monkeypatch):
    from dashboard import lmtools, state

    keys = {"task": "sk-task", "proposer": "sk-prop"}
    monkeypatch.setattr(state, "api_key", lambda role="task": keys.get(role, ""))
    hosted = {"task": {"model": "openai/gpt-4o-mini"}, "proposer": {"model": "anthropic/claude"}}
    assert lmtools.run_key_env(hosted) == {
        "OPENAI_API_KEY": "sk-task",
        "ANTHROPIC_API_KEY": "sk-prop",
    }
    same = {"task": {"model": "openai/gpt-4o-mini"}, "proposer": {"model": "openai/gpt-4o"}}
    assert lmtools.run_key_env(same) == {"OPENAI_API_KEY": "sk-task"}
    local = {"task": {"model": "local/smollm2-135m"}, "proposer": None}
    assert lmtools.run_key_env(local) == {}


def test_a_new_project_gets_a_budget_its_run_fits_in(tickets):
    at = set_sizes(tickets, 20, 20, 20)
    draft = at.session_state["draft"]
    draft["optimizer"]["budget"] = dict.fromkeys(
        ("max_calls", "max_tokens", "max_cost", "max_minutes")
    )
    at.session_state["draft"] = draft
    go(at, "optimize")
    assert not at.exception, at.exception
    budget = at.session_state["draft"]["optimizer"]["budget"]
    assert budget["max_calls"] and budget["max_minutes"] >= 10
    assert at.number_input(key=k(at, "bcalls")).value == budget["max_calls"]
    assert not at.warning, "the fitted budget holds the whole forecast run"
    metrics = {m.label: m.value for m in at.metric}
    likely = int(metrics["LM calls"].strip("~").replace(",", ""))
    assert likely <= budget["max_calls"]


def test_fit_the_budget_offers_what_the_run_needs(tickets):
    at = set_sizes(tickets, 20, 20, 20)
    go(at, "optimize")
    at.number_input(key=k(at, "bcalls")).set_value(50).run()
    at.number_input(key=k(at, "bmin")).set_value(1.0).run()
    assert "finishes early" in " ".join(shown(w.value) for w in at.warning)
    fit = at.button(key="fit_budget")
    assert "Fit the budget to this run" in fit.label
    fit.click().run()
    budget = at.session_state["draft"]["optimizer"]["budget"]
    assert budget["max_calls"] > 50 and budget["max_minutes"] >= 10
    assert at.number_input(key=k(at, "bcalls")).value == budget["max_calls"]
    assert not at.warning


def test_a_run_a_limit_ended_reads_as_finished_early(tickets):
    at = set_sizes(tickets, 20, 20, 20)
    go(at, "optimize")
    at.number_input(key=k(at, "bcalls")).set_value(12).run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Finished early" in page and "Failed" not in page
    assert "the LM-call limit (12 calls) was reached; the best prompt found so far is kept" in page


def test_the_card_leaves_out_calls_earlier_runs_answered(tickets, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:cached_oracle")
    at = set_sizes(tickets, 6, 6, 6)
    go(at, "optimize")
    helps = {m.label: m.proto.help for m in at.metric}
    assert "saved replies of earlier runs" not in helps["LM calls"]
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    go(at, "optimize")
    helps = {m.label: m.proto.help for m in at.metric}
    # the same split: the starting prompt's 6 validation and 6 held-out rows are cached
    assert "12 more are answered by the saved replies of earlier runs" in helps["LM calls"]
