"""The Optimize page offers "Try simpler program shapes" (issue 66 item 2) for a program of
several steps only, off by default, and the Run page says what the stage chose."""

from __future__ import annotations

from apphelpers import SAMPLE, go, k, open_sample, shown

from engine.optimizers.registry import TRY_SHAPES

RESTATE = {"name": "restate", "module": "Predict", "instructions": "Restate the ticket.",
           "fields": [{"name": "ticket", "role": "input", "type": "str", "choices": [],
                       "description": ""},
                      {"name": "request", "role": "output", "type": "str", "choices": [],
                       "description": ""}]}  # fmt: skip


def test_the_option_shows_for_several_steps_and_reaches_the_spec(app):
    at = go(open_sample(app), "optimize")
    assert not [c for c in at.checkbox if c.label == TRY_SHAPES.label]  # one step: one shape
    at.session_state["draft"]["pipeline"].insert(0, RESTATE)
    at = at.run()
    box = at.checkbox(key=k(at, "try_shapes"))
    assert box.value is False and box.label == "Try simpler program shapes"
    at = box.check().run()
    assert at.session_state["draft"]["optimizer"]["try_shapes"] is True


def test_the_run_page_says_which_shape_was_kept(app, home):
    from dashboard.home import db_path
    from engine.optimizers.spine._events import Event
    from engine.runs import create_run, load_spec
    from engine.runs.store._store import RunStore

    said = ("the step 'restate' was dropped: the program scores 71% that way, 20% as written "
            "(2 shapes tried on 30 validation rows)")  # fmt: skip
    run_id = create_run(load_spec(SAMPLE / "support_tickets.yaml"), db_path())
    with RunStore(db_path()) as store:
        store.record_event(run_id, Event(1, "structure", 0.0, {"message": said}))
        store.finish_run(run_id, "finished", best_candidate="abc", baseline_candidate="abc")
    app.query_params["run"] = run_id
    infos = shown(" ".join(i.value for i in go(app, "run").info))
    assert "**Program shape.** The step 'restate' was dropped: the program scores 71%" in infos
