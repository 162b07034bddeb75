"""Compare, when the run kept the prompt as written: it says so, not "Baseline vs Baseline"."""

from __future__ import annotations

from apphelpers import go, open_sample, set_sizes, texts


def test_compare_says_when_no_candidate_beat_the_prompt(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    rev = at.session_state["rev"]
    at.radio(key=f"goal_{rev}").set_value("COPRO").run()  # the fake proposer writes only junk
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    at = go(at, "compare")
    page = texts(at)
    assert "The start was kept: the result is your prompt as given." in page
    assert "Pick another candidate as B" in page
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    labels = at.selectbox(key=f"cmp_b_{run_id}").options  # as shown
    assert any("kept as the best" in label for label in labels), labels
    score_b = next(m for m in at.metric if m.label.startswith("Score B"))
    assert score_b.value == next(m for m in at.metric if m.label.startswith("Score A")).value
    assert not score_b.delta  # a gain that rounds to 0 gets no arrow (it drew a green "+0 pts")


def _trial(candidate: str, score: float, subset: str = "val") -> dict:
    return {"candidate": candidate, "score": score, "subset": subset}


def test_when_the_start_was_kept_b_is_the_best_candidate_tried():
    from dashboard.run_data import compare as cd

    cands = [{"hash": h, "origin": o} for h, o in (("base", "baseline"), ("c1", ""), ("c2", ""))]
    trials = [
        _trial("base", 0.6),
        _trial("c1", 0.8),
        _trial("c2", 0.7),
        _trial("base", 0.5, "test"),
    ]
    kept = {"best_candidate": "base"}
    assert cd.best_tried(kept, trials, "base") == "c1"  # higher on validation, not kept
    labels = cd.candidate_labels(kept, cands, trials, "base")
    assert labels["base"].startswith(
        "Baseline, kept as the best — no candidate beat your prompt clearly"
    )
    assert labels["c1"].startswith("Best tried, not kept")
    assert labels["c1"].endswith("(validation 80%)")
    # nothing above the start: no "tried" candidate, and the label says no candidate beat it
    flat = [_trial("base", 0.6), _trial("c1", 0.6), _trial("c2", 0.5)]
    assert cd.best_tried(kept, flat, "base") is None
    assert cd.candidate_labels(kept, cands, flat, "base")["base"].endswith(
        "no candidate beat your prompt (validation 60%)"
    )
    # a run that kept a better candidate has no "tried" one
    assert cd.best_tried({"best_candidate": "c1"}, trials, "base") is None
