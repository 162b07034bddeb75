"""The Optimize page offers the keep-the-start rule, on by default (issue 37 item 7)."""

from __future__ import annotations

from apphelpers import go, k, open_sample


def test_keep_start_unless_reliable_is_on_by_default_and_reaches_the_spec(app):
    at = go(open_sample(app), "optimize")
    box = at.checkbox(key=k(at, "keep_start"))
    assert box.value is True and "gain is clear" in box.label
    assert at.session_state["draft"]["optimizer"]["keep_start"] == "unreliable"
    box.uncheck().run()
    assert at.session_state["draft"]["optimizer"]["keep_start"] == "worse"


def test_run_compare_and_export_say_the_start_was_kept_and_why(app, home):
    """A finished run that handed back the starting prompt says so, with the log's reason."""
    from apphelpers import SAMPLE

    from dashboard.home import db_path
    from engine.optimizers.spine._events import Event
    from engine.runs import create_run, load_spec
    from engine.runs.store._store import RunStore

    why = "no clear gain on validation: +20 points on 5 rows, no clear difference (95% range 0 to"
    run_id = create_run(load_spec(SAMPLE / "support_tickets.yaml"), db_path())
    with RunStore(db_path()) as store:
        message = f"{why} +60 points): kept the starting program"
        store.record_event(run_id, Event(1, "log", 0.0, {"level": "warning", "message": message}))
        store.finish_run(run_id, "finished", best_candidate="abc", baseline_candidate="abc")
    app.query_params["run"] = run_id
    for page in ("run", "export"):  # (Compare needs scored candidates: test_compare_kept_prompt)
        infos = " ".join(i.value for i in go(app, page).info)
        assert "The start was kept: the result is your prompt as given." in infos, page
        assert "No clear gain on validation" in infos, page
