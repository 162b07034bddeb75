"""Run, Compare, Export and Runs pages over a finished run (worker inline, scripted LM), plus a
failed run and a cancel."""

from __future__ import annotations

import json
import shutil

import pytest
from apphelpers import SAMPLE, go, matrix_of, open_sample, set_sizes, shown, texts


def qp(at) -> str:
    value = at.query_params["run"]
    return value[0] if isinstance(value, list) else value


@pytest.fixture
def finished(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("BootstrapFewShot").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    return at


def test_run_page_kpis_chart_log_and_test_summary(finished):
    at = finished
    labels = [m.label for m in at.metric]
    for label in ("Validation score", "LM calls / budget", "Tokens", "Cost"):
        assert label in labels
    assert "Elapsed" in labels
    lead = " ".join(e.value for kind in ("success", "warning", "error") for e in getattr(at, kind))
    assert "Held-out test (6 rows the optimizer never saw)" in lead and "95% range" in lead
    assert len(at.get("plotly_chart")) == 1
    page = texts(at)
    assert "Scoring 2" in page and "New best" in page
    assert "Finished" in page and "ended after" in page
    assert at.button(key="run_to_compare") and at.button(key="run_to_export")


def test_run_page_survives_a_new_session(finished):
    from apphelpers import APP
    from streamlit.testing.v1 import AppTest

    run_id = qp(finished)
    fresh = AppTest.from_file(str(APP), default_timeout=60)
    fresh.query_params["run"] = run_id
    fresh.run()
    go(fresh, "run")
    assert "Finished" in texts(fresh)


def test_compare_page(finished):
    at = go(finished, "compare")
    labels = {m.label: m.value for m in at.metric}
    assert labels["Score A (Baseline)"] and labels["Score B (Best)"]
    assert "pts" in labels["How much better B is (likely range)"]
    page = texts(at)
    assert "The instructions are identical" in page and "example(s)" in page
    table = matrix_of(at)
    assert {"example", "expected", "Baseline", "Best"} <= set(table.columns)
    assert len(table) == 6
    at.segmented_control(key=f"cmp_filter_{qp(at)}").set_value("Differing").run()
    differing = matrix_of(at)
    assert 0 < len(differing) <= 6
    assert all(a[0] != b[0] for a, b in zip(differing["Baseline"], differing["Best"]))
    at.segmented_control(key=f"cmp_filter_{qp(at)}").set_value("Failures").run()
    assert all("✗" in " ".join(row) for row in matrix_of(at)[["Baseline", "Best"]].values)
    at.segmented_control(key=f"cmp_filter_{qp(at)}").set_value("All").run()
    at.segmented_control(key=f"cmp_subset_{qp(at)}").set_value("test").run()
    assert len(matrix_of(at)) == 6
    # on the held-out rows, baseline against best: the headline's own range, in its own words
    kpi = next(m.value for m in at.metric if m.label == "How much better B is (likely range)")
    alerts = [e.value for kind in ("success", "warning", "error", "info") for e in at.get(kind)]
    headline = next(t for t in alerts if "Held-out test" in t)
    low, high = kpi.removesuffix(" pts").split(" to ")
    assert f"95% range {low} to {high} points" in headline, (kpi, headline)


def test_export_page_downloads_load_into_an_engine_program(finished, tmp_path):
    at = go(finished, "export")
    assert len(at.get("download_button")) == 6
    page = texts(at)
    assert "--csv in.csv -o out.csv` to label a spreadsheet" in page  # how to run the .py
    from dashboard.home import db_path
    from engine.runs.export import _files as export
    from engine.runs.pipeline._program import build_program
    from engine.runs.store._store import get_run

    run = get_run(qp(at), db_path=db_path())
    text = export.export_run(qp(at), "json", db_path=db_path())
    path = tmp_path / "program.json"
    path.write_text(text)
    program = build_program(export.run_spec(run))
    program.load(str(path))
    assert len(program.classify.demos) > 0
    assert json.loads(text)["classify"]["signature"]["instructions"]


def test_runs_page_lists_and_opens(finished):
    at = go(finished, "runs")
    frame = at.dataframe[0].value
    assert (
        frame.iloc[0]["Status"] == "Finished" and frame.iloc[0]["Optimizer"] == "BootstrapFewShot"
    )
    assert frame.iloc[0]["Model"] == "local/smollm2-135m"
    assert frame.iloc[0]["On new rows"] in ("clear gain", "no clear difference", "clear loss")
    assert len(at.get("plotly_chart")) == 1  # the overlay


def test_failed_run_says_why_without_a_traceback(app, home, tmp_path):
    from dashboard.home import db_path
    from engine.runs import create_run, launch_run, load_spec

    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(SAMPLE / "support_tickets.csv", folder)
    shutil.copy(SAMPLE / "support_tickets.yaml", folder)
    spec = load_spec(folder / "support_tickets.yaml")
    run_id = create_run(spec, db_path())
    (folder / "support_tickets.csv").unlink()
    launch_run(run_id, db_path(), inline=True)
    app.query_params["run"] = run_id
    at = go(app, "run")
    errors = " ".join(shown(e.value) for e in at.error)
    assert "The run failed" in errors and "file not found" in errors
    assert "Traceback" not in errors
    assert at.button(key="resume_run")


def test_cancel_asks_then_requests_a_stop(app, home):
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec
    from engine.runs.store._store import get_run

    run_id = create_run(load_spec(SAMPLE / "support_tickets.yaml"), db_path())
    app.query_params["run"] = run_id
    at = go(app, "run")
    assert "Waiting for the first score" in texts(at)
    at.button(key="cancel_run").click().run()
    assert "Stop this run?" in " ".join(shown(w.value) for w in at.warning)
    at.button(key="cancel_no").click().run()
    assert not get_run(run_id, db_path=db_path())["cancel_requested"]
    at.button(key="cancel_run").click().run()
    at.button(key="cancel_yes").click().run()
    assert get_run(run_id, db_path=db_path())["cancel_requested"]
    assert "Stopping after the candidate being scored" in texts(at)


def test_exported_json_loads_into_real_dspy(finished, tmp_path, monkeypatch):
    dspy = pytest.importorskip("dspy")
    monkeypatch.setenv("DSPY_CACHEDIR", str(tmp_path / "dspy-cache"))
    from dashboard.home import db_path
    from engine.runs.export import _files as export

    path = tmp_path / "program.json"
    path.write_text(export.export_run(qp(finished), "json", db_path=db_path()))

    class Program(dspy.Module):
        def __init__(self):
            self.classify = dspy.Predict(
                "ticket -> category: Literal['billing', 'technical', 'shipping']"
            )

    program = Program()
    program.load(str(path))
    saved = json.loads(path.read_text())["classify"]
    assert len(program.classify.demos) == len(saved["demos"]) > 0
    assert program.classify.signature.instructions == saved["signature"]["instructions"]


def test_a_gain_that_rounds_to_zero_gets_no_delta_arrow():
    from dashboard.widgets.kpi import points_delta, score_delta

    assert points_delta(0.0) is None and points_delta(0.004) is None
    assert points_delta(0.25) == "+25 pts" and points_delta(-0.1) == "-10 pts"
    assert score_delta(0.5, 0.5) is None and score_delta(None, 0.5) is None


def test_the_calls_card_says_how_much_of_its_plan_a_search_did() -> None:
    from dashboard.widgets.kpi import planned_words

    assert planned_words({"estimate": {"total_calls": 40}}) == ""  # no target: nothing to say
    spent = planned_words({"estimate": {"total_calls": 543, "done_share": 0.97}})
    assert spent == "The search planned about 543 calls and did 97% of that work."
    early = planned_words({"estimate": {"total_calls": 543, "done_share": 0.6}})
    assert early.startswith("The search planned about 543 calls and did 60% of that work.")
    assert "the log says why" in early and "perfect score" in early


def test_run_page_shows_proposed_instructions_and_the_heatmap(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("MIPROv2").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Proposed instructions" in page and "Which combination scores best" in page
    table = next(d.value for d in at.dataframe if "instruction" in d.value.columns)
    first = "Read the customer's support ticket and decide which team should handle it."
    assert table["instruction"][0] == first and table["#"][0] == 0
    assert table["trials"][0] >= 1 and table["full"][0] is not None
    assert len(at.get("plotly_chart")) == 2  # the trial chart and the heatmap


def test_run_page_shows_the_gepa_lineage_and_pareto_matrix(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    rev = at.session_state["rev"]
    at.radio(key=f"goal_{rev}").set_value("GEPA").run()
    assert at.session_state["draft"]["optimizer"]["params"]["auto"] == "light"
    assert at.radio(key=f"search_GEPA_{rev}").value == "light"
    at.radio(key=f"search_GEPA_{rev}").set_value("custom").run()
    at.number_input(key=f"opt_max_metric_calls_{rev}").set_value(60).run()
    params = at.session_state["draft"]["optimizer"]["params"]
    assert params["max_metric_calls"] == 60 and "auto" not in params
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Lineage of the candidates" in page and "Who is best where" in page
    assert "1 kept" in page
    assert len(at.get("plotly_chart")) == 3  # the trial chart, the lineage, the matrix
    assert "What each candidate changed" in page
    pick = next(s for s in at.selectbox if s.key.startswith("gepa_change_pick"))
    assert pick.options[0].startswith("Candidate 1 (") and "from candidate 0" in pick.options[0]
    assert "Candidate 0 (parent)" in page and "What the reflection read" in page
    diffs = [shown(m.value) for m in at.markdown if "ts-diff" in m.value]
    assert any("<ins>" in d for d in diffs), diffs  # the child's new words


def test_compare_says_which_setting_mattered_in_a_mipro_run(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("MIPROv2").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    at = go(at, "compare")
    assert not at.exception, at.exception
    assert "Which setting mattered" in [h.value for h in at.subheader]
    page = texts(at)
    assert "explains the most" in page
    setting = at.selectbox(key=f"cmp_setting_{qp(at)}")
    assert {"instruction", "example set"} & {o.split(": ")[-1] for o in setting.options}
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # cost against score, the shares, the score by value


def test_run_picker_shows_a_runs_new_state(finished):
    """The browser shows a picked run by the text it was sent: when the run's label changes
    (it ended, was renamed) the pick is sent again with the new text, not left as it was."""
    from dashboard import home
    from engine.runs.store import RunStore

    at = go(finished, "run")
    picker = at.selectbox(key="run_pick")
    old = picker.options[picker.index]
    RunStore(home.db_path()).update_run(qp(at), name="Renamed tickets")
    at.run()
    picker = at.selectbox(key="run_pick")
    shown_now = picker.options[picker.index]
    assert shown_now != old and shown_now.startswith("Renamed tickets")
    assert picker.proto.set_value and picker.proto.raw_value == shown_now
    at.run()  # unchanged since: nothing is sent again
    assert not at.selectbox(key="run_pick").proto.set_value
