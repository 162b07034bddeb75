"""Compare's "Where it goes wrong": expected against answered for a run's closed answers with
the rows of one mix-up, and for open answers the failing rows grouped by the metric's reasons."""

from __future__ import annotations

from apphelpers import finished_run, go, open_sample, run_id_of, set_sizes, texts


def test_a_leaning_model_shows_its_mix_ups_and_their_rows(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "compare")
    assert not at.exception, at.exception
    assert "Where it goes wrong" in [h.value for h in at.subheader]
    run_id = run_id_of(at)
    best = at.segmented_control(key=f"cmp_mix_{run_id}")
    assert best.value == at.selectbox(key=f"cmp_b_{run_id}").value  # B first: the tuned prompt
    at = best.set_value(at.selectbox(key=f"cmp_a_{run_id}").value).run()  # A: the leaning start
    page = texts(at)
    grid = next(f.value for f in at.dataframe if f.value.index.name == "expected ↓ · answered →")
    assert grid.values.sum() == 8  # the validation rows, each counted once
    right = sum(grid.loc[v, v] for v in grid.index if v in grid.columns)
    assert f"answered {right} of 8 rows right" in page
    mixes = [s for s in at.selectbox if s.label == "Show the rows of one mix-up"]
    assert mixes, "a model that leans to one label mixes the others up"
    expected, answered, count = mixes[0].value
    assert grid.loc[expected, answered] == count > 0
    heads = ["example", "expected", "answered", "why"]
    rows = next(f.value for f in at.dataframe if list(f.value.columns) == heads)
    assert len(rows) == count
    assert set(rows["expected"]) == {expected} and set(rows["answered"]) == {answered}
    # a click on a count of right answers opens those rows (the leaning label's, at least)
    diagonal = next(v for v in grid.index if v in grid.columns and grid.loc[v, v] > 0)
    who = at.segmented_control(key=f"cmp_mix_{run_id}").value
    key = f"cmp_mix_grid_{run_id}_{who}_category"  # the sample tickets' one label field
    position = list(grid.index).index(diagonal)
    clicked = {"rows": [], "columns": [], "cells": [[position, diagonal]]}
    at.session_state[key] = {"selection": clicked}
    at = at.run()
    assert not at.exception, at.exception
    rows = next(f.value for f in at.dataframe if list(f.value.columns) == heads)
    assert len(rows) == grid.loc[diagonal, diagonal] > 0
    assert set(rows["expected"]) == set(rows["answered"]) == {diagonal}
    assert f"Expected {diagonal}, answered {diagonal}: {len(rows)} row(s)." in texts(at)


def test_open_answers_that_fail_are_grouped_by_the_metrics_reasons(app):
    at = set_sizes(open_sample(app, "tidewell_rag"), 6, 6, 6)
    go(at, "optimize")
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    at = go(at, "compare")
    assert not at.exception, at.exception
    run_id = run_id_of(at)
    at = at.segmented_control(key=f"cmp_mix_{run_id}").set_value(
        at.selectbox(key=f"cmp_a_{run_id}").value
    ).run()  # the start: it answers without the facts and loses points
    page = texts(at)
    assert "lost points on" in page, page
    groups = [e for e in at.expander if " row(s): " in e.label]
    assert groups
    counts = [int(e.label.split(" row(s)")[0]) for e in groups]
    assert counts == sorted(counts, reverse=True)
    lost = int(page.split("lost points on ")[1].split(" of ")[0])
    assert sum(counts) == lost
    assert "not found in" in groups[0].label  # the contains metric's reason
