"""Run and Compare pages show rows failed by an Assert as "constraint failed" (with the message),
not as "no valid answer". The rows are what `run_example` stores for a failed Assert."""

from __future__ import annotations

import sqlite3

from apphelpers import go, matrix_of, open_sample, set_sizes, texts

MESSAGE = "constraint failed: The category must name a team."


def mark_constraint_failures(run_id: str, candidate: str) -> None:
    """The best candidate's first val row and first two test rows become failed Asserts."""
    from dashboard.home import db_path

    with sqlite3.connect(db_path()) as db:
        db.execute(
            "UPDATE example_results SET error = ?, score = 0, outputs = NULL, feedback = NULL "
            "WHERE run_id = ? "
            "AND candidate = ? AND ((subset = 'val' AND idx = 0) OR (subset = 'test' AND idx < 2))",
            [MESSAGE, run_id, candidate],
        )


def test_run_and_compare_pages_name_constraint_failures(app):
    from dashboard.home import db_path
    from engine.runs.store._store import get_run

    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("BootstrapFewShot").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    run = get_run(run_id, db_path=db_path())
    best = (run.get("comparison") or {}).get("best_candidate") or run["best_candidate"]
    mark_constraint_failures(run_id, best)

    at = go(at, "run")
    expander = next(e for e in at.expander if "test row" in e.label)
    assert "2 constraint failed" in expander.label
    rows = next(d.value for d in at.dataframe if "answer" in d.value.columns)
    assert list(rows["answer"][:2]) == ["constraint failed"] * 2
    assert rows["why"][0] == MESSAGE and rows["score"][0] == 0
    named = next(d.value for d in at.dataframe if "part" in d.value.columns)  # by row number
    failed = named[named["why"].str.startswith("constraint failed: ")]
    assert (failed["part"] == "held-out").sum() == 2

    at = go(at, "compare")
    assert "Constraint failed" in texts(at) and "Best on 1 row(s)" in texts(at)
    table = matrix_of(at)
    assert table["Best"].iloc[0] == f"✗ {MESSAGE}"
    assert not any("constraint failed" in str(v) for v in table["Baseline"])
