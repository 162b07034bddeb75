"""Check before Start: settings the engine would refuse are refused on the Optimize page, in the
form's words, with Start disabled; a run failed by its settings offers no Resume."""

from __future__ import annotations

from apphelpers import SAMPLE, go, open_sample, set_sizes, shown, texts
from fake_lms import oracle


def test_gepa_with_too_few_program_runs_cannot_start(app):
    at = set_sizes(open_sample(app), 6, 20, 6)
    go(at, "optimize")
    rev = at.session_state["rev"]
    at.radio(key=f"goal_{rev}").set_value("GEPA").run()
    at.radio(key=f"search_GEPA_{rev}").set_value("custom").run()
    at.number_input(key=f"opt_max_metric_calls_{rev}").set_value(10).run()
    assert not at.exception, at.exception
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "The optimizer would refuse these settings" in warning
    assert "GEPA may spend 10 program runs, fewer than" in warning
    assert "at least 20 program runs" in warning and "max_metric_calls" not in warning
    assert at.button(key="start_run").disabled
    assert "Change the settings above first" in texts(at)

    at.number_input(key=f"opt_max_metric_calls_{rev}").set_value(20).run()
    assert not at.button(key="start_run").disabled
    assert "would refuse" not in " ".join(shown(w.value) for w in at.warning)


def test_a_settings_failure_offers_no_resume(app):
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec, spec_from_dict
    from engine.runs.process.worker import run_worker

    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=20, test_size=4)
    spec["optimizer"] = {"name": "GEPA", "params": {"max_metric_calls": 10}}
    run_id = create_run(spec_from_dict(spec, base_dir=SAMPLE), db_path())
    assert run_worker(run_id, db_path(), lm_factory=oracle) == "failed"
    app.query_params["run"] = run_id
    at = go(app, "run")
    page = texts(at)
    assert "A setting the optimizer cannot run with on this data" in page
    assert "API key" not in page
    assert "resume_run" not in [b.key for b in at.button]
