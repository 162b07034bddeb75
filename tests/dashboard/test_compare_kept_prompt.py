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
