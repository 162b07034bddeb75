"""Assert / Suggest: backtracking with feedback, max_backtracks, warnings, evaluation's
"constraint failed" rows and counters, BootstrapFewShot over a program with an Assert, and seed
003's SafeRAG with a local corpus."""

from __future__ import annotations

import logging

import pytest

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.modules.assertions import AssertFailed

SHORT = "Answer in at most 5 characters."


class Short(dspy.Module):
    """Two steps; the Assert checks the second one's answer."""

    def __init__(self, strict: bool = True):
        self.topic = dspy.Predict("question -> topic")
        self.answer = dspy.Predict("question, topic -> answer")
        self.strict = strict

    def forward(self, question):
        topic = self.topic(question=question).topic
        out = self.answer(question=question, topic=topic)
        check = dspy.Assert if self.strict else dspy.Suggest
        check(len(out.answer) <= 5, SHORT)
        return out


def replier(long_until_feedback: bool = True):
    """Answers long until the prompt carries feedback (or always, when told to)."""

    def reply(messages):
        fields = input_fields(messages[-1]["content"])
        if "topic" not in fields:
            return {"topic": "geo"}
        if long_until_feedback and "feedback" in fields:
            return {"answer": "Paris"}
        return {"answer": "The capital is Paris"}

    return reply


def test_failed_assert_retries_the_step_with_the_message_and_past_answer():
    lm = ScriptedLM(by_input=replier())
    dspy.configure(lm=lm)
    assert Short()(question="Capital of France?").answer == "Paris"
    assert lm.calls_made == 4  # topic, answer; topic (same), answer with feedback
    retried = lm.history[-1]["messages"]
    last = input_fields(retried[-1]["content"])
    assert last["feedback"] == SHORT and last["past_answer"] == "The capital is Paris"
    assert "`feedback` (str): Some instructions you must satisfy" in retried[0]["content"]
    topic_prompt = lm.history[-2]["messages"][-1]["content"]
    assert "feedback" not in topic_prompt  # only the failing predictor gets the note


def test_assert_gives_up_after_max_backtracks():
    lm = ScriptedLM(by_input=replier(long_until_feedback=False))
    dspy.configure(lm=lm)
    with pytest.raises(AssertFailed, match="at most 5"):
        Short()(question="q")
    assert lm.calls_made == 2 * 3  # the first attempt and 2 retries (the default)
    with dspy.context(max_backtracks=0), pytest.raises(AssertFailed):
        Short()(question="q2")
    assert lm.calls_made == 6 + 2


def test_suggest_retries_then_warns_and_continues(caplog):
    lm = ScriptedLM(by_input=replier(long_until_feedback=False))
    dspy.configure(lm=lm)
    with caplog.at_level(logging.WARNING, logger="engine.modules.assertions"):
        out = Short(strict=False)(question="q")
    assert out.answer == "The capital is Paris"
    assert lm.calls_made == 6
    warned = [r.message for r in caplog.records if "Suggest failed (continuing)" in r.message]
    assert warned and SHORT in warned[0]


def test_outside_a_module_assert_raises_and_suggest_warns(caplog):
    assert dspy.Assert(True, "fine") is True
    with pytest.raises(AssertFailed, match="boom"):
        dspy.Assert(False, "boom")
    with caplog.at_level(logging.WARNING):
        assert dspy.Suggest(0, "soft") is False
    assert "soft" in caplog.text


def test_a_retry_keeps_only_the_attempt_that_counted_in_the_trace():
    dspy.configure(lm=ScriptedLM(by_input=replier()))
    trace: list = []
    with dspy.context(trace=trace):
        Short()(question="q")
    assert [type(p).__name__ for p, _, _ in trace] == ["Predict", "Predict"]
    assert all("feedback" not in inputs for _, inputs, _ in trace)  # notes never reach demos
    assert trace[-1][2].answer == "Paris"


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def test_evaluation_scores_a_failed_assert_zero_and_counts_it():
    def reply(messages):
        fields = input_fields(messages[-1]["content"])
        if "topic" not in fields:
            return {"topic": "t"}
        return {"answer": "ok" if "easy" in fields["question"] else "far too long"}

    dspy.configure(lm=ScriptedLM(by_input=reply))
    devset = [
        dspy.Example(question=q, answer="ok").with_inputs("question") for q in ("easy", "hard")
    ]
    result = dspy.Evaluate(devset=devset, metric=exact, num_threads=1)(Short())
    assert result.score == 50.0
    assert result.errors == 1 and result.constraint_failures == 1
    failed = result.rows[1]
    assert failed.score == 0.0 and failed.error == f"constraint failed: {SHORT}"
    assert [step["predictor"] for step in failed.trace] == ["topic", "answer"]


def test_bootstrap_fewshot_with_an_assert_completes_and_counts_constraint_failures():
    def reply(messages):
        fields = input_fields(messages[-1]["content"])
        if "topic" not in fields:
            return {"topic": "t"}
        return {"answer": "ok" if "easy" in fields["question"] else "far too long"}

    dspy.configure(lm=ScriptedLM(by_input=reply))
    data = [
        dspy.Example(question=f"{kind} {i}", answer="ok").with_inputs("question")
        for i, kind in enumerate(["hard", "easy", "hard", "easy"])
    ]
    optimizer = dspy.BootstrapFewShot(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=2)
    tuned = optimizer.compile(Short(), trainset=data, valset=data)
    assert tuned.result.status == "finished"
    demos = tuned.answer.demos
    assert [d["question"] for d in demos if d.get("augmented")] == ["easy 1", "easy 3"]
    trial = tuned.result.trials[-1]
    assert trial.constraint_failures == 2 and trial.errors == 2
    assert type(trial).from_dict(trial.to_dict()).constraint_failures == 2  # as on replay


CORPUS = ["The capital of Kenya is Nairobi.", "The capital of Peru is Lima."]


class SafeRAG(dspy.Module):  # seed 003 (its __init__ as in the seed's RAGPipeline)
    def __init__(self):
        self.retrieve = dspy.Retrieve(k=3)
        self.generate = dspy.ChainOfThought("context, question -> answer")

    def forward(self, question):
        ctx = self.retrieve(question).passages
        dspy.Assert(len(ctx) > 0, "Retrieval returned nothing — check your corpus.")
        return self.generate(context=ctx, question=question)


def reader(messages):
    fields = input_fields(messages[-1]["content"])
    city = "Nairobi" if "Nairobi" in fields.get("context", "") else "unknown"
    return {"reasoning": "From the context.", "answer": city}


def test_seed_003_safe_rag_answers_and_fails_clearly_on_an_empty_retrieval():
    lm = ScriptedLM(by_input=reader)
    dspy.configure(lm=lm, rm=dspy.retrievers.BM25(CORPUS))
    assert SafeRAG()(question="What is the capital of Kenya?").answer == "Nairobi"
    devset = [
        dspy.Example(question="What is the capital of Kenya?", answer="Nairobi").with_inputs(
            "question"
        )
    ]
    calls = lm.calls_made
    with dspy.context(rm=lambda query, k: []):
        result = dspy.Evaluate(devset=devset, metric=exact, num_threads=1)(SafeRAG())
    assert result.constraint_failures == 1 and result.score == 0.0
    assert result.rows[0].error == (
        "constraint failed: Retrieval returned nothing — check your corpus."
    )
    assert lm.calls_made == calls  # nothing ran before the check, so no retry and no LM call


def test_backtracking_is_per_example_under_threads():
    lm = ScriptedLM(by_input=replier(), latency=0.01)
    dspy.configure(lm=lm)
    devset = [
        dspy.Example(question=f"q{i}", answer="Paris").with_inputs("question") for i in range(8)
    ]
    result = dspy.Evaluate(devset=devset, metric=exact, num_threads=4)(Short())
    assert result.score == 100.0 and result.constraint_failures == 0
    assert all([s["predictor"] for s in row.trace] == ["topic", "answer"] for row in result.rows)
    assert lm.calls_made == 8 * 4


def test_a_retry_inside_refine_keeps_the_hint_and_adds_the_feedback():
    seen: list = []

    def reply(messages):
        seen.append(input_fields(messages[-1]["content"]))
        fields = seen[-1]
        if "program_code" in fields:
            return {"discussion": "d", "advice": {"topic": "N/A", "answer": "Be brief."}}
        if "topic" not in fields:
            return {"topic": "geo"}
        return {"answer": "Paris" if "feedback" in fields else "The capital is Paris"}

    dspy.configure(lm=ScriptedLM(by_input=reply))
    refine = dspy.Refine(Short(), N=2, reward_fn=lambda a, p: 0.0, threshold=1.0)
    assert refine(question="q").answer == "Paris"
    retried = [f for f in seen if "feedback" in f and "hint_" in f]
    assert retried and retried[-1]["hint_"] == "Be brief." and retried[-1]["feedback"] == SHORT
