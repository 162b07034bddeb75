"""Pipeline page: a MultiChainComparison step (M attempts, then a comparison) and a step's
"vote among samples" option (Parallel + majority): the spec and the code follow the builder,
the options that do not combine are not offered together, and Try on a row shows the attempts
and the samples (scripted LM)."""

from __future__ import annotations

from apphelpers import go, k, open_sample, set_sizes, shown, texts


def test_multi_chain_step_edits_the_spec_and_shows_its_attempts(app):
    at = go(open_sample(app), "pipeline")
    at.selectbox(key=k(at, "step_module_0")).set_value("MultiChainComparison").run()
    assert not at.exception, at.exception
    step = at.session_state["draft"]["pipeline"][0]
    assert step["module"] == "MultiChainComparison" and step["m"] == 3
    assert "self.classify = MultiChain(Classify, M=3)" in texts(at)
    assert "4 model calls per row" in texts(at)
    assert not [c for c in at.checkbox if "step_refine_0" in c.key]  # nothing more to retry
    at.number_input(key=k(at, "step_m_0")).set_value(2).run()
    assert at.session_state["draft"]["pipeline"][0]["m"] == 2
    assert "MultiChain(Classify, M=2)" in texts(at)

    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "What each step did" in page and "MultiChainComparison: 2 attempts" in page
    assert "**Attempt 1**" in page and "**Attempt 2**" in page
    assert not any(shown(m.value).startswith("**classify_attempts**") for m in at.markdown)

    at.selectbox(key=k(at, "step_module_0")).set_value("Predict").run()
    assert "m" not in at.session_state["draft"]["pipeline"][0]


def test_samples_option_votes_and_excludes_refine(app):
    at = go(open_sample(app), "pipeline")
    at.checkbox(key=k(at, "step_samples_0")).check().run()
    assert not at.exception, at.exception
    step = at.session_state["draft"]["pipeline"][0]
    assert step["samples"] == {"n": 3}
    assert "Samples(dspy.Predict(Classify), n=3, field='category')" in texts(at)
    assert not [c for c in at.checkbox if "step_refine_0" in c.key]  # not both
    at.number_input(key=k(at, "step_samples_n_0")).set_value(2).run()
    assert at.session_state["draft"]["pipeline"][0]["samples"] == {"n": 2}

    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Asked 2 times, the most common answer is kept" in page and "got 2 of 2 votes" in page
    assert "**Sample 1** · **kept**" in page

    at.checkbox(key=k(at, "step_samples_0")).uncheck().run()
    assert "samples" not in at.session_state["draft"]["pipeline"][0]
    at.checkbox(key=k(at, "step_refine_0")).check().run()
    assert "while the step tries several answers" in texts(at)
    assert not [c for c in at.checkbox if "step_samples_0" in c.key]


def test_the_budget_card_counts_every_sample(app):
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("BootstrapFewShot").run()
    calls = {m.label: m.value for m in at.metric}["LM calls"]
    plain = int(calls.strip("~").replace(",", ""))
    assert "counted at their maximum" not in texts(at)
    go(at, "pipeline")
    at.checkbox(key=k(at, "step_samples_0")).check().run()
    go(at, "optimize")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["LM calls"].strip("~").replace(",", "")) == 3 * plain
    assert "counted at their maximum (every try made)" in texts(at)
