"""Run page: "Make an ensemble of the top 5" on a finished run (worker inline, scripted LM)."""

from __future__ import annotations

import json

from apphelpers import go, open_sample, set_sizes, shown, texts


def test_make_an_ensemble_of_the_top_5(app, tmp_path):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("BootstrapFewShot").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    at = go(at, "run")
    button = at.button(key="make_ensemble")
    assert button.label == "Make an ensemble of the top 5"
    button.click().run()
    assert not at.exception, at.exception
    assert "Ensemble of 2 candidates" in " ".join(shown(s.value) for s in at.success)
    table = at.dataframe[-1].value
    assert list(table.columns) == ["candidate", "how it was made", "val score"]
    assert len(table) == 2 and table["val score"].is_monotonic_decreasing
    assert "majority wins" in texts(at)

    from dashboard.home import db_path
    from engine.runs.export._ensemble import ensemble_skeleton, export_ensemble_json
    from engine.runs.export._files import run_spec
    from engine.runs.store._store import get_run

    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    text = export_ensemble_json(run_id, 5, db_path())
    path = tmp_path / "ensemble.json"
    path.write_text(text)
    program = ensemble_skeleton(run_spec(get_run(run_id, db_path=db_path())), 2).load(path)
    assert [len(p.classify.demos) for p in program.programs] == [
        len(json.loads(text)[f"programs[{i}].classify"]["demos"]) for i in range(2)
    ]
