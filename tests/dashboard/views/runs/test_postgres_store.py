"""The dashboard on a team's PostgreSQL store: a run started from the Optimize page is stored
there (not in a runs.db file) and listed on the Runs page."""

from __future__ import annotations

from apphelpers import fresh_app, go, open_sample, set_sizes

from engine.runs import RunStore


def test_a_run_from_the_dashboard_lands_in_postgres(postgres_url, home, monkeypatch) -> None:
    monkeypatch.setenv("TUNESMITH_STORE", postgres_url)
    at = set_sizes(open_sample(fresh_app()), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("BootstrapFewShot").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    at = go(at, "runs")
    assert at.dataframe[0].value.iloc[0]["Status"] == "Finished"
    with RunStore(postgres_url) as store:
        assert [r["status"] for r in store.list_runs()] == ["finished"]
    assert not (home / "tunesmith_data" / "runs.db").exists()
    assert (home / "tunesmith_data" / "projects").is_dir()  # projects stay on this machine
