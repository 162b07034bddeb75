"""Issue 37 item 8: text from outside (a run's failure reason with the provider's error, a
status from the store, values from the project file) is HTML-escaped wherever the dashboard
renders markdown with unsafe_allow_html=True."""

from __future__ import annotations

from apphelpers import SAMPLE, go, open_sample

PAYLOAD = "<img src=x onerror=alert(1)>"


def _bodies(elements) -> list[str]:
    return [str(e.value) for e in elements]


def test_a_failure_reason_with_html_is_rendered_escaped(app, home):
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec
    from engine.runs.store._store import RunStore

    run_id = create_run(load_spec(SAMPLE / "support_tickets.yaml"), db_path())
    with RunStore(db_path()) as store:
        store.finish_run(run_id, "failed", reason=f"Provider said: {PAYLOAD}")
    app.query_params["run"] = run_id
    at = go(app, "run")
    bodies = _bodies(at.markdown)
    assert any("&lt;img src=x onerror=alert(1)&gt;" in b for b in bodies), bodies
    assert not any("<img" in b for b in bodies), [b for b in bodies if "<img" in b]
    assert "The run failed" in " ".join(_bodies(at.error))


def test_a_status_chip_and_the_sidebar_checklist_escape_their_values(app):
    from dashboard import runinfo

    chip = runinfo.chip(PAYLOAD)  # a status the page does not know is shown as it is stored
    assert "&lt;img" in chip and "<img" not in chip
    at = open_sample(app)
    draft = at.session_state["draft"]
    draft["metric"]["kind"] = PAYLOAD  # a hand-edited project file
    at.session_state["draft"] = draft
    at.run()
    bodies = _bodies(at.sidebar.markdown)
    assert any("&lt;img" in b for b in bodies), bodies
    assert not any("<img" in b for b in bodies)
