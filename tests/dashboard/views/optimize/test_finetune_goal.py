"""'Tune the model's weights' is a goal on the Optimize page (drawn from BootstrapFinetune's
registry entry): its card forecasts the training (lessons, tokens, steps, time, disk), it runs
(the trainer through its test hook: a real training process that writes the rows), and the Run
page shows the training's loss per step."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from apphelpers import go, k, open_sample, set_sizes, shown, texts

RUNS_TESTS = str(Path(__file__).resolve().parents[3] / "runs")
if RUNS_TESTS not in sys.path:  # fake_trainers (TUNESMITH_TEST_TRAINER hook)
    sys.path.insert(0, RUNS_TESTS)


@pytest.fixture
def fake_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESMITH_TEST_TRAINER", "fake_trainers:SleepyTrainer")


def test_tune_the_weights_is_a_goal_with_a_training_forecast_and_runs(app, fake_trainer):
    at = set_sizes(open_sample(app), 6, 4, 4)
    go(at, "optimize")
    goal = at.radio(key=k(at, "goal"))
    assert "Tune the model's weights: BootstrapFinetune" in goal.options
    assert "Prompts and weights together: BetterTogether" in goal.options
    goal.set_value("BootstrapFinetune").run()
    at.number_input(key=k(at, "opt_max_steps")).set_value(3).run()
    optimizer = at.session_state["draft"]["optimizer"]
    assert optimizer["name"] == "BootstrapFinetune"
    assert optimizer["params"]["max_steps"] == 3 and optimizer["params"]["epochs"] == 8
    said = texts(at)
    assert "Training the model's weights: up to 6 lessons (the rows the model gets right)" in said
    assert "3 training steps" in said and "on this computer" in said
    assert "GB of free disk" in said
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    for _ in range(60):  # the run page redraws until the run has ended
        if "Step 3 of 3" in texts(at) and "Search ended (finished)" in at.code[0].value:
            break
        time.sleep(1)
        at.run()
    assert "Training the model" in [h.value for h in at.subheader]
    [step] = [shown(c.value) for c in at.caption if shown(c.value).startswith("Step 3 of 3")]
    assert "error on the lesson text 0.667 (lower is better)" in step
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the loss per step


def test_the_lessons_can_come_from_the_right_answers_in_the_data(app, fake_trainer):
    at = set_sizes(open_sample(app), 6, 4, 4)
    go(at, "optimize")
    at.radio(key=k(at, "goal")).set_value("BootstrapFinetune").run()
    source = at.selectbox(key=k(at, "opt_train_on"))
    assert source.label == "What the model learns from"
    assert "The right answers in your data" in source.options
    assert source.value == "traces" and "Training the model's weights: up to 6 lessons (the " \
        "rows the model gets right)" in texts(at)
    source.set_value("labels").run()
    assert not at.exception, at.exception
    assert at.session_state["draft"]["optimizer"]["params"]["train_on"] == "labels"
    assert "up to 6 lessons (the right answers in your data)" in texts(at)
    at.selectbox(key=k(at, "opt_train_on")).set_value("both").run()
    assert "up to 12 lessons (6 from the rows the model gets right, 6 from the answers in your " \
        "data)" in texts(at)
