"""Optimizer options DSPy code and the seed documents use (issue 39, items 13-14):
`COPRO(verbose=True)`, `GEPA(num_iterations=10, verbose=True)` and
`MIPROv2(auto="light")` built without a metric (set before compile), GEPA's callable
`component_selector` and `gepa_kwargs`, and `BootstrapFewShot(max_errors=)` raising past the
limit (as real dspy raises)."""

from __future__ import annotations

import logging

import pytest
from compat_lms import GOOD, careful_lm, exact, qa

import engine
from engine.core._errors import TooManyErrors


def feedback_metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
    ok = gold.answer == pred.answer
    return engine.Prediction(score=float(ok), feedback="correct" if ok else "wrong number")


def test_copro_and_gepa_as_the_seed_writes_them():
    # COPRO still wants its metric up front (tests/optimizers/copro pins `COPRO()` raising)
    copro = engine.teleprompt.COPRO(metric=exact, verbose=True)
    gepa = engine.teleprompt.GEPA(num_iterations=10, verbose=True)
    assert copro.verbose and gepa.verbose and gepa.num_iterations == 10
    assert gepa.metric is None  # set before compile, as the seed's tool does
    with pytest.raises(ValueError, match="needs a metric"):
        gepa.compile(engine.Predict("question -> answer"), trainset=qa(3))
    with pytest.raises(ValueError, match="needs a metric"):
        engine.GEPA(metric=None, auto="light")  # an explicit None is still refused
    for optimizer in (engine.MIPROv2(auto="light", num_threads=8),):
        with pytest.raises(ValueError, match="needs a metric"):
            optimizer.compile(engine.Predict("question -> answer"), trainset=qa(3))


def test_gepa_num_iterations_caps_the_search_and_verbose_logs(caplog):
    engine.configure(lm=careful_lm())
    gepa = engine.GEPA(num_iterations=2, verbose=True)
    gepa.metric = feedback_metric
    with caplog.at_level(logging.INFO):
        compiled = gepa.compile(
            engine.Predict("question -> answer"), trainset=qa(9), valset=qa(6, start=20)
        )
    assert gepa._search is not None and gepa._search.iteration == 2
    assert compiled.signature.instructions == GOOD
    assert any("num_iterations=2" in r.getMessage() for r in caplog.records)
    # with a budget as well, whichever ends first ends the run
    capped = engine.GEPA(feedback_metric, max_metric_calls=500, num_iterations=1)
    capped.compile(engine.Predict("question -> answer"), trainset=qa(9), valset=qa(6, start=20))
    assert capped._search.iteration == 1
    with pytest.raises(ValueError, match="num_iterations"):
        engine.GEPA(feedback_metric, num_iterations=0)


def test_gepa_callable_component_selector():
    engine.configure(lm=careful_lm())
    calls = []

    def selector(state, trajectories, subsample_scores, candidate_idx, candidate):
        calls.append((list(state.list_of_named_predictors), len(trajectories),
                      list(subsample_scores), candidate_idx, dict(candidate)))  # fmt: skip
        return list(candidate.keys())

    gepa = engine.GEPA(
        feedback_metric, max_metric_calls=40, component_selector=selector, use_merge=False
    )
    compiled = gepa.compile(
        engine.Predict("question -> answer"), trainset=qa(9), valset=qa(6, start=20)
    )
    assert calls and calls[0][0] == ["self"] and calls[0][3] == 0
    assert calls[0][1] == len(calls[0][2]) == 3  # the minibatch's rows and scores
    assert "self" in calls[0][4] and compiled.signature.instructions == GOOD
    bad = engine.GEPA(feedback_metric, max_metric_calls=40, component_selector=lambda *a: ["x"])
    with pytest.raises(ValueError, match="component_selector returned"):
        bad.compile(engine.Predict("question -> answer"), trainset=qa(9), valset=qa(6, start=20))
    with pytest.raises(ValueError, match="component_selector must be"):
        engine.GEPA(feedback_metric, auto="light", component_selector="random")


def test_gepa_kwargs_set_known_settings_and_warn_on_others():
    gepa = engine.GEPA(feedback_metric, auto="light", gepa_kwargs={"use_merge": False, "seed": 7})
    assert gepa.use_merge is False and gepa.seed == 7
    with pytest.warns(UserWarning, match="no effect"):
        engine.GEPA(feedback_metric, auto="light", gepa_kwargs={"display_progress_bar": True})


class Boom(engine.Module):
    def __init__(self):
        self.p = engine.Predict("question -> answer")

    def forward(self, question):
        raise ValueError("boom")


def test_bootstrap_max_errors_raises_past_the_limit():
    engine.configure(lm=careful_lm())
    optimizer = engine.BootstrapFewShot(metric=exact, max_errors=1, max_bootstrapped_demos=3)
    with pytest.raises(TooManyErrors, match="max_errors=1") as info:
        optimizer.compile(Boom(), trainset=qa(5))
    assert isinstance(info.value.__cause__, ValueError)  # the program's own error, chained
    # enough room: the errors are skipped and compile returns
    engine.BootstrapFewShot(metric=exact, max_errors=10).compile(Boom(), trainset=qa(5))


def test_dspy_bootstrap_max_errors_raises_too():
    dspy = pytest.importorskip("dspy")

    class DBoom(dspy.Module):
        def __init__(self):
            self.p = dspy.Predict("question -> answer")

        def forward(self, question):
            raise ValueError("boom")

    train = [
        dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question") for i in range(5)
    ]
    with dspy.context(lm=dspy.utils.dummies.DummyLM([{"answer": "1"}] * 5)):
        with pytest.raises(ValueError, match="boom"):
            dspy.BootstrapFewShot(metric=exact, max_errors=1).compile(DBoom(), trainset=train)
