"""DSPy 2.x's optimizer names (issue 39, item 14): `MIPRO` (MIPROv2's former name) and
`BayesianSignatureOptimizer` (instructions only), with DSPy 2.x's call shapes, on `engine` and
`engine.teleprompt`; each warns once per process that it is an old name and what it runs."""

from __future__ import annotations

import warnings

import pytest
from compat_lms import GOOD, careful_lm, exact, qa

import engine
from engine.optimizers.mipro import _legacy
from engine.optimizers.mipro._legacy import OldOptimizerNameWarning


@pytest.fixture(autouse=True)
def fresh_warnings():
    """Each test sees the first warning of the process again."""
    saved = set(_legacy._warned)
    _legacy._warned.clear()
    yield
    _legacy._warned.clear()
    _legacy._warned.update(saved)


def test_both_names_on_engine_and_teleprompt():
    from engine.teleprompt import MIPRO, BayesianSignatureOptimizer

    assert engine.MIPRO is MIPRO and engine.BayesianSignatureOptimizer is BayesianSignatureOptimizer
    assert issubclass(MIPRO, engine.MIPROv2) and issubclass(
        BayesianSignatureOptimizer, engine.MIPROv2
    )


def test_each_warns_once_per_process_saying_what_it_maps_to():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine.MIPRO(metric=exact)
        engine.MIPRO(exact, num_candidates=3)
        engine.BayesianSignatureOptimizer(metric=exact)
        engine.BayesianSignatureOptimizer(metric=exact, n=4)
    messages = [str(w.message) for w in caught if issubclass(w.category, OldOptimizerNameWarning)]
    assert len(messages) == 2
    assert messages[0].startswith("MIPRO is DSPy 2.x's name") and "MIPROv2" in messages[0]
    assert "BayesianSignatureOptimizer" in messages[1] and "instructions only" in messages[1]
    assert issubclass(OldOptimizerNameWarning, FutureWarning)  # shown to users by default


def test_dspy_2_constructor_shapes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mipro = engine.MIPRO(
            exact, prompt_model=None, task_model=None, teacher_settings={}, num_candidates=5,
            init_temperature=1.0, verbose=False, track_stats=True, view_data_batch_size=10,
        )  # fmt: skip
        bso = engine.BayesianSignatureOptimizer(
            prompt_model=None, task_model=None, teacher_settings={}, n=6, metric=exact,
            init_temperature=1.0, verbose=False, track_stats=True, view_data_batch_size=10,
        )  # fmt: skip
    assert mipro.auto is None and mipro.num_candidates == 5
    assert bso.num_candidates == 6 and (bso.max_bootstrapped_demos, bso.max_labeled_demos) == (0, 0)
    with pytest.raises(ValueError, match="needs metric"):
        engine.BayesianSignatureOptimizer(n=3)
    with pytest.raises(ValueError, match="needs a metric"):
        engine.MIPRO(None)


def test_mipro_compiles_with_dspy_2_compile_keywords():
    engine.configure(lm=careful_lm())
    with pytest.warns(OldOptimizerNameWarning):
        optimizer = engine.MIPRO(metric=exact, num_candidates=3)
    compiled = optimizer.compile(
        engine.Predict("question -> answer"), trainset=qa(12), num_trials=4,
        max_bootstrapped_demos=1, max_labeled_demos=1, eval_kwargs=dict(num_threads=1),
        seed=9, minibatch=False, program_aware_proposer=True, requires_permission_to_run=False,
    )  # fmt: skip
    assert compiled.signature.instructions == GOOD
    assert compiled.result.best_score == 1.0
    with pytest.raises(TypeError, match="num_trials"):
        optimizer.compile(engine.Predict("question -> answer"), trainset=qa(12))


def test_bayesian_signature_optimizer_searches_instructions_and_keeps_the_demos():
    engine.configure(lm=careful_lm())
    student = engine.Predict("question -> answer")
    demos = [engine.Example(question="q1", answer="1"), engine.Example(question="q2", answer="2")]
    student.demos = list(demos)
    with pytest.warns(OldOptimizerNameWarning):
        optimizer = engine.BayesianSignatureOptimizer(metric=exact, n=3)
    # 8 trials: the proposer repeats itself, so a template fills the third instruction and
    # the search has 3 instructions x 3 demo sets to cover (4 trials could miss the good one)
    compiled = optimizer.compile(
        student, devset=qa(12), optuna_trials_num=8, max_bootstrapped_demos=4,
        max_labeled_demos=4, eval_kwargs={}, seed=42, requires_permission_to_run=False,
        minibatch=False,
    )  # fmt: skip
    assert compiled.signature.instructions == GOOD
    assert [d.toDict() for d in compiled.demos] == [d.toDict() for d in demos]
    with pytest.raises(ValueError, match="devset"):
        optimizer.compile(student, devset=[], optuna_trials_num=2)
    with pytest.raises(TypeError, match="optuna_trials_num"):
        optimizer.compile(student, devset=qa(4))
