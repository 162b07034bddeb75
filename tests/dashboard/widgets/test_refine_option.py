"""Pipeline page: a step's "try several answers" option (BestOfN / Refine with a label-free
reward): the spec and the code follow it, the metric is offered as reward only when it needs no
label, and Try on a row lists the tries and their rewards (scripted LM)."""

from __future__ import annotations

from apphelpers import go, k, open_sample, shown, texts


def test_refine_option_edits_the_step_and_shows_the_tries(app):
    at = go(open_sample(app), "pipeline")
    assert "dspy.BestOfN" not in texts(at)
    at.checkbox(key=k(at, "step_refine_0")).check().run()
    assert not at.exception, at.exception
    step = at.session_state["draft"]["pipeline"][0]
    assert step["refine"] == {"mode": "best_of_n", "n": 3, "reward": "valid", "threshold": 1.0}
    assert "dspy.BestOfN(dspy.Predict(Classify), N=3, reward_fn=classify_reward" in texts(at)
    assert "compares answers with the expected ones" in texts(at)  # exact: no metric reward
    assert at.selectbox(key=k(at, "step_refine_reward_0")).options == [
        "The answer is usable: every output filled in (a choice: one of the choices)"
    ]
    at.selectbox(key=k(at, "step_refine_mode_0")).set_value("refine").run()
    at.number_input(key=k(at, "step_refine_n_0")).set_value(2).run()
    assert "dspy.Refine(dspy.Predict(Classify), N=2" in texts(at)

    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "What each step did" in page and "Refine: up to 2 tries" in page
    assert "**Try 1** · reward 1.00 · **kept**" in page
    assert not any(shown(m.value).startswith("**classify_attempts**") for m in at.markdown)

    at.checkbox(key=k(at, "step_refine_0")).uncheck().run()
    assert "refine" not in at.session_state["draft"]["pipeline"][0]
    assert "dspy.Refine" not in texts(at)


def test_a_judge_metric_can_be_the_reward(app):
    at = go(open_sample(app), "pipeline")
    at.session_state["draft"]["metric"] = {
        "kind": "judge", "criteria": "Names the team that can fix it.", "field": "category",
    }  # fmt: skip
    at.checkbox(key=k(at, "step_refine_0")).check().run()
    reward = at.selectbox(key=k(at, "step_refine_reward_0"))
    assert len(reward.options) == 2
    reward.set_value("metric").run()
    assert not at.exception, at.exception
    assert at.session_state["draft"]["pipeline"][0]["refine"]["reward"] == "metric"
    assert "JUDGE = dspy.metrics.Judge(criteria='Names the team that can fix it.'" in texts(at)
