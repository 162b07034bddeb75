"""DSPy's optimizer behaviours the yardstick reaches (issue 39, continued): the
`dspy.teleprompt.gepa` path with a GEPA-protocol instruction proposer, GEPA's refused
gepa_kwargs and `state.i`, custom LM classes skipping the model pre-check, KNNFewShot's `KNN`
with `DummyVectorizer`, COPRO's `track_stats`, BootstrapFewShot stopping at `max_errors`."""

from __future__ import annotations

import numpy as np
import pytest
from compat_lms import GOOD, careful_lm, exact, qa

import engine
from engine.lm import ScriptedLM
from engine.teleprompt.gepa import instruction_proposal
from engine.utils.dummies import DummyVectorizer


def feedback_metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
    return engine.Prediction(score=float(gold.answer == pred.answer), feedback="Say the number.")


def test_gepa_path_and_its_instruction_proposer():
    from engine.teleprompt.gepa import GEPA
    from engine.teleprompt.gepa.gepa import GEPA as SAME

    assert GEPA is SAME is engine.GEPA
    lm = ScriptedLM(["  Answer with the number in the question.  "])
    proposer = instruction_proposal.MultiModalInstructionProposer(reflection_lm=lm)
    examples = [{"inputs": {"question": "q3"}, "outputs": {"answer": "x"}, "score": 0.0,
                 "feedback": "Say the number."}]  # fmt: skip
    proposed = proposer(
        candidate={"self": "Answer.", "other": "Keep."},
        reflective_dataset={"self": examples},
        components_to_update=["self", "missing"],
    )
    assert proposed == {"self": "Answer with the number in the question."}
    asked = lm.history[-1]["messages"][-1]["content"]
    assert "Current instruction:\nAnswer." in asked and "- question: q3" in asked
    assert "Feedback: Say the number." in asked


def test_gepa_uses_a_given_instruction_proposer():
    engine.configure(lm=careful_lm())
    seen = []

    def proposer(candidate, reflective_dataset, components_to_update):
        seen.append((dict(candidate), sorted(reflective_dataset), list(components_to_update)))
        return {name: GOOD for name in components_to_update}

    compiled = engine.GEPA(
        feedback_metric, max_metric_calls=40, instruction_proposer=proposer, use_merge=False
    ).compile(engine.Predict("question -> answer"), trainset=qa(9), valset=qa(6, start=20))
    assert seen and seen[0][1] == seen[0][2] == ["self"]
    assert compiled.signature.instructions == GOOD


def test_gepa_refuses_what_it_cannot_honour_in_gepa_kwargs():
    with pytest.raises(ValueError, match="reflection_prompt_template"):
        engine.GEPA(feedback_metric, max_metric_calls=5,
                    gepa_kwargs={"reflection_prompt_template": "<curr_param>"})  # fmt: skip
    with pytest.raises(ValueError, match="max_reflection_cost"):
        engine.GEPA(feedback_metric, max_metric_calls=5, gepa_kwargs={"max_reflection_cost": 1.0})
    engine.GEPA(feedback_metric, max_metric_calls=5, gepa_kwargs={"max_reflection_cost": None})


def test_gepa_selector_state_counts_iterations():
    engine.configure(lm=careful_lm())
    iterations = []

    def selector(state, trajectories, subsample_scores, candidate_idx, candidate):
        iterations.append(state.i)
        return list(candidate)

    engine.GEPA(
        feedback_metric, max_metric_calls=40, component_selector=selector, use_merge=False
    ).compile(engine.Predict("question -> answer"), trainset=qa(9), valset=qa(6, start=20))
    assert iterations and iterations == sorted(iterations) and iterations[0] >= 1


class AnswersItself(engine.LM):
    """A caller's own LM class: its model name means nothing to litellm."""

    def __init__(self):
        super().__init__("dummy", "chat", 0.0, 100, True)

    def __call__(self, prompt=None, messages=None, **kwargs):
        return careful_lm()(prompt=prompt, messages=messages, **kwargs)


def test_a_custom_lm_class_skips_the_model_pre_check():
    engine.configure(lm=careful_lm())
    compiled = engine.GEPA(
        feedback_metric, max_metric_calls=20, use_merge=False, reflection_lm=AnswersItself()
    ).compile(engine.Predict("question -> answer"), trainset=qa(6), valset=qa(3, start=20))
    assert compiled is not None
    with pytest.raises(engine.LMConfigError, match="not a model name"):  # the engine's own LM
        engine.GEPA(feedback_metric, max_metric_calls=20, reflection_lm=engine.LM("dummy")).compile(
            engine.Predict("question -> answer"), trainset=qa(6), valset=qa(3, start=20)
        )


def test_dummy_vectorizer_and_knn_index():
    vectors = DummyVectorizer(max_length=50)(["capital of France", "capital of Spain", "2+2"])
    assert vectors.shape == (3, 50)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # shared n-grams: closer
    with pytest.raises(ValueError, match="positive"):
        DummyVectorizer(max_length=0)
    train = [engine.Example(question=q, answer=a).with_inputs("question")
             for q, a in [("What is the capital of France?", "Paris"), ("2+2?", "4")]]  # fmt: skip
    knn = engine.KNNFewShot(k=1, trainset=train, vectorizer=engine.Embedder(DummyVectorizer()))
    assert knn.KNN.k == 1 and len(knn.KNN.trainset) == 2 and knn.KNN is knn.KNN
    nearest = knn.KNN.indices(question="capital of France?")
    assert nearest == [0]
    with pytest.raises(ValueError, match="no trainset"):
        _ = engine.KNNFewShot(k=1).KNN


def test_copro_track_stats_on_the_compiled_program():
    engine.configure(lm=careful_lm())
    compiled = engine.COPRO(metric=exact, breadth=2, depth=2, track_stats=True).compile(
        engine.Predict("question -> answer"), trainset=qa(6)
    )
    assert compiled.total_calls > 0
    best, latest = compiled.results_best["self"], compiled.results_latest["self"]
    assert best["depth"] == latest["depth"] == [0, 1]
    assert all(b >= lt for b, lt in zip(best["max"], latest["min"], strict=True))
    assert set(best) == {"depth", "max", "average", "min", "std"}
    plain = engine.COPRO(metric=exact, breadth=2, depth=1).compile(
        engine.Predict("question -> answer"), trainset=qa(6)
    )
    assert not hasattr(plain, "total_calls")


class Student(engine.Module):
    def __init__(self):
        self.p = engine.Predict("question -> answer")

    def forward(self, question):
        return self.p(question=question)


class Broken(Student):
    def forward(self, question):
        raise RuntimeError("Simulated error")


def test_bootstrap_stops_when_failures_reach_max_errors():
    engine.configure(lm=careful_lm())
    with pytest.raises(RuntimeError, match="Simulated error") as info:  # as DSPy's test reads
        engine.BootstrapFewShot(metric=exact, max_errors=1).compile(
            Student(), teacher=Broken(), trainset=qa(1)
        )
    assert isinstance(info.value, engine.core._errors.TooManyErrors)
    engine.BootstrapFewShot(metric=exact, max_errors=2).compile(
        Student(), teacher=Broken(), trainset=qa(1)
    )  # one failure, room for two: compile returns


def test_random_search_restrict_limits_the_candidates():
    engine.configure(lm=careful_lm())
    optimizer = engine.BootstrapFewShotWithRandomSearch(
        metric=exact, max_bootstrapped_demos=1, max_labeled_demos=1, num_candidate_programs=2
    )
    with pytest.raises(ValueError, match="restrict=\\[999\\] matches no candidate seed"):
        optimizer.compile(Student(), trainset=qa(3), restrict=[999])
    compiled = optimizer.compile(Student(), trainset=qa(3), restrict=iter([-3]))
    assert compiled.p.demos == []  # only the zero-shot candidate was tried
    assert optimizer.seeds() == [-3, -2, -1, 0, 1]  # restrict holds for that compile only
