"""KNNFewShot is a goal on the Optimize page (drawn from its registry entry) and runs."""

from __future__ import annotations

from apphelpers import go, k, open_sample, set_sizes, texts


def test_knn_fewshot_is_selectable_and_runs(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    goal = at.radio(key=k(at, "goal"))
    assert "Examples picked per input: KNNFewShot" in goal.options
    goal.set_value("KNNFewShot").run()
    at.number_input(key=k(at, "opt_k")).set_value(2).run()
    optimizer = at.session_state["draft"]["optimizer"]
    assert optimizer["name"] == "KNNFewShot"
    assert optimizer["params"] == {"k": 2, "max_bootstrapped_demos": 4}
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    assert "Finished" in texts(at)
