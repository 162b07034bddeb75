"""Project page: samples, new project, reopen, delete."""

from __future__ import annotations

from apphelpers import go, open_sample, shown, texts


def test_samples_are_offered_with_descriptions(app):
    keys = [b.key for b in app.button if (b.key or "").startswith("sample_")]
    assert {"sample_support_tickets", "sample_reviews"} <= set(keys)
    page = texts(app)
    assert "Support ticket routing" in page and "Review sentiment" in page
    assert "positive or negative" in page


def test_sample_opens_on_the_data_page_with_a_working_project(app, home):
    open_sample(app)
    assert app.title[0].value == "Data"
    assert "Suggested signature: **ticket → category**" in texts(app)
    saved = list((home / "tunesmith_data" / "projects").glob("*/project.yaml"))
    assert len(saved) == 1 and (saved[0].parent / "data.csv").is_file()


def test_new_project_needs_a_name(app):
    app.button(key="FormSubmitter:new_project-Create project").click().run()
    assert any("name" in shown(e.value) for e in app.error)
    assert app.title[0].value == "Project"


def test_new_project_then_reopen_after_a_new_session(app, home):
    app.text_input[0].set_value("Invoice triage")
    app.button(key="FormSubmitter:new_project-Create project").click().run()
    assert app.title[0].value == "Data"
    assert "No examples yet" in texts(app)

    from apphelpers import APP
    from streamlit.testing.v1 import AppTest

    fresh = AppTest.from_file(str(APP), default_timeout=60).run()
    assert "Invoice triage" in texts(fresh)
    folder = next((home / "tunesmith_data" / "projects").iterdir()).name
    fresh.button(key=f"open_{folder}").click().run()
    assert fresh.title[0].value == "Data"
    assert fresh.session_state["draft"]["name"] == "Invoice triage"


def test_delete_asks_for_confirmation(app, home):
    open_sample(app, "reviews")
    go(app, "project")
    folder = next((home / "tunesmith_data" / "projects").iterdir())
    app.button(key=f"del_{folder.name}").click().run()
    assert folder.exists()
    app.button(key=f"del2_{folder.name}").click().run()
    assert not folder.exists()
    assert "No project open" in texts(app)


def test_pages_without_a_project_show_empty_states(app):
    for page, phrase in (
        ("data", "No project open"),
        ("pipeline", "No project open"),
        ("metric", "No project open"),
        ("optimize", "No project open"),
        ("run", "No runs yet"),
        ("compare", "Nothing to compare yet"),
        ("export", "Nothing to export yet"),
        ("runs", "No runs yet"),
    ):
        go(app, page)
        assert phrase in texts(app), page


def test_a_new_session_reopens_the_last_project(app):
    from apphelpers import APP
    from streamlit.testing.v1 import AppTest

    open_sample(app, "reviews")
    fresh = AppTest.from_file(str(APP), default_timeout=60).run()
    assert fresh.session_state["draft"]["name"] == "Review sentiment"
    assert "Open now:" in texts(fresh)
