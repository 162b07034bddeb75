"""Prompt versions on the pages (worker inline, scripted LM): the Run page puts its best in use
saying what it replaces, Label a spreadsheet and Export default to the version in use (else the
best held-out run, said in one line, never the newest), the Prompt versions page lists them,
rolls back in one click and diffs two, Compare puts B in use, and a run deleted under a version
is said and changes nothing."""

from __future__ import annotations

from apphelpers import finished_run, go, run_id_of, texts

from dashboard import home
from engine.runs import RunStore, get_run, list_versions, version_in_use


def newer_worse_run(run_id: str) -> str:
    """A copy of `run_id` made later, with a lower held-out score (the tour's trap)."""
    db = home.db_path()
    run = get_run(run_id, db_path=db)
    with RunStore(db) as store:
        spec = get_spec(run)
        other = store.create_run(spec, optimizer="LabeledFewShot")
        store.finish_run(
            other, "finished", program=run["program"] or None, best_score=0.2, test_best=0.1,
            best_candidate=run["best_candidate"],
        )  # fmt: skip
    return other


def get_spec(run):
    from engine.runs import spec_from_dict

    return spec_from_dict(run["spec"], run.get("base_dir"))


def test_put_in_use_then_label_and_export_use_it_and_roll_back(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "run")
    run_id = run_id_of(at)
    name = get_run(run_id, db_path=home.db_path())["name"]
    assert f"No prompt of “{name}” is in use yet" in texts(at)
    at = at.button(key="run_put_in_use").click().run()
    assert not at.exception, at.exception
    versions = list_versions(name, home.db_path())
    used = versions[-1]
    assert used.in_use and used.origin == f"best of run {run_id}" and used.made_by == "this machine"
    assert f"v{used.number} of “{name}” is in use" in texts(at)
    assert f"In use: v{used.number} of “{name}” is this run's best prompt." in texts(at)
    assert "run_put_in_use" not in [b.key for b in at.button]

    other = newer_worse_run(run_id)  # newer, but not in use: Label and Export ignore it
    at.query_params.clear()
    at = go(at, "label")
    assert at.selectbox(key="label_version").value == used.number
    assert "IN USE" in at.selectbox(key="label_version").format_func(used.number)
    at = go(at, "export")
    assert at.selectbox(key="export_run").value == run_id
    assert f"Exporting **v{used.number}**, the prompt in use" in texts(at)
    assert other != run_id

    at = go(at, "versions")
    page = texts(at)
    assert f"**In use: v{used.number}**" in page
    assert "What changed between two versions" in [h.value for h in at.subheader]
    assert "Examples shown to the model: 0 in v1" in page  # the start as written shows none
    assert any(e.label.endswith(f"example(s) of v{used.number}") for e in at.expander)
    assert [v.origin for v in versions] == ["as written", f"best of run {run_id}"]
    at = at.button(key="use_v1").click().run()  # roll back to the start in one click
    assert not at.exception, at.exception
    assert version_in_use(name, home.db_path()).number == 1
    assert "v1 is in use again." in texts(at)
    at = go(at, "label")
    assert at.selectbox(key="label_version").value == 1


def test_without_a_version_label_says_so_and_takes_the_best_held_out_run(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "run")
    run_id = run_id_of(at)
    newer_worse_run(run_id)
    at.query_params.clear()
    at = go(at, "label")
    page = texts(at)
    assert "is in use yet: showing the finished run with the best held-out score" in page
    assert at.selectbox(key="label_run").value == run_id  # not the newer, worse one
    labels = at.selectbox(key="label_run").options
    assert any("held-out 10.0% · LabeledFewShot" in label for label in labels)
    at = go(at, "versions")
    assert "has no prompt versions yet" in texts(at)


def test_compare_puts_b_in_use_and_a_deleted_run_is_said(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "compare")
    run_id = run_id_of(at)
    db = home.db_path()
    name = get_run(run_id, db_path=db)["name"]
    b = at.selectbox(key=f"cmp_b_{run_id}").value
    at = at.button(key=f"cmp_put_b_{run_id}").click().run()
    assert not at.exception, at.exception
    used = version_in_use(name, db)
    assert (used.run_id, used.candidate) == (run_id, b)
    with RunStore(db) as store:
        store.delete_run(run_id)
    at.query_params.clear()
    at = go(at, "versions")
    assert "its run was deleted" in texts(at)
    assert at.button(key=f"use_v{used.number}").disabled
    at = go(at, "label")
    assert "No tuned program yet" in texts(at)  # nothing left to label with
    still = version_in_use(name, db)  # nothing changed
    assert (still.number, still.candidate, still.run_gone) == (used.number, b, True)


def test_served_to_a_team_the_version_names_the_signed_in_person(tmp_path, monkeypatch, shared):
    from apphelpers import AUTH, signed_in_app

    user = {"is_logged_in": True, "email": "ben@team.example", "name": "Ben"}
    app = signed_in_app(tmp_path, monkeypatch, auth=AUTH, user=user)
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "run")
    at = at.button(key="run_put_in_use").click().run()
    assert not at.exception, at.exception
    used = version_in_use(get_run(run_id_of(at), db_path=home.db_path())["name"], home.db_path())
    assert used.made_by == "ben@team.example"
    at = go(at, "versions")
    assert "ben@team.example" in texts(at)


def test_export_and_try_your_own_input_use_a_version_that_is_not_the_runs_best(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "compare")
    run_id = run_id_of(at)
    db = home.db_path()
    run = get_run(run_id, db_path=db)
    start = at.selectbox(key=f"cmp_a_{run_id}").value  # the start as written
    assert start != run["best_candidate"] and run["program"]["classify"]["demos"]  # best: demos
    at = at.selectbox(key=f"cmp_b_{run_id}").set_value(start).run()
    at = at.button(key=f"cmp_put_b_{run_id}").click().run()
    assert not at.exception, at.exception
    used = version_in_use(run["name"], db)
    assert (used.number, used.origin, used.candidate) == (1, "as written", start)
    at.query_params.clear()
    at = go(at, "export")
    page = texts(at)
    assert "Exporting **v1**, the prompt in use" in page and "0 demo(s)" in page
    assert any(e.label == "Try your own input on v1, the prompt in use" for e in at.expander)
