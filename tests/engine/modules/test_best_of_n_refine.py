"""BestOfN and Refine with a scripted LM: early stop at the threshold, best-of fallback, rollout
copies, failures, traces, composition, and Refine's advice reaching the next attempt's prompt."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.core._errors import AdapterParseError, BudgetExhausted, LMError
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.modules.attempts.best_of_n import rollout_lm
from engine.modules.attempts.refine import HINT_FIELD


def reward_of(scores):
    return lambda args, pred: scores[pred.answer]


def test_best_of_n_stops_at_the_first_prediction_reaching_the_threshold():
    lm = ScriptedLM(answers=[{"answer": "bad"}, {"answer": "good"}, {"answer": "other"}])
    dspy.configure(lm=lm)
    best = dspy.BestOfN(
        dspy.Predict("question -> answer"), N=3, reward_fn=reward_of({"bad": 0, "good": 1}),
        threshold=1.0,
    )  # fmt: skip
    assert best(question="q").answer == "good"
    assert lm.calls_made == 2


def test_best_of_n_falls_back_to_the_best_reward():
    answers = [{"answer": a} for a in ("low", "high", "mid")]
    dspy.configure(lm=ScriptedLM(answers=answers))
    scores = {"low": 0.2, "high": 0.7, "mid": 0.5}
    best = dspy.BestOfN(dspy.Predict("q -> answer"), N=3, reward_fn=reward_of(scores), threshold=1)
    assert best(q="x").answer == "high"


def test_attempts_are_distinct_rollouts_sampled_when_the_lm_is_greedy():
    lm = ScriptedLM(answers=["x"], temperature=0.0, rollout_id=5)
    copy = rollout_lm(lm, 2)
    assert copy.rollout_id == 7 and copy.kwargs["temperature"] == 1.0
    assert rollout_lm(ScriptedLM(answers=["x"], temperature=0.7), 1).kwargs["temperature"] == 0.7
    cached = ScriptedLM(answers=[{"answer": "same"}] * 3, cache=True, temperature=0.0)
    dspy.configure(lm=cached)
    best = dspy.BestOfN(dspy.Predict("q -> answer"), N=3, reward_fn=lambda a, p: 0, threshold=1)
    best(q="x")
    assert cached.calls_made == 3  # no attempt was served another one's cached reply


def test_failed_attempts_are_skipped_until_fail_count():
    program = dspy.Predict("q -> answer: int")
    best = dspy.BestOfN(program, N=2, reward_fn=lambda a, p: 1.0, threshold=1.0)
    dspy.configure(lm=ScriptedLM(answers=[{"answer": "x"}, {"answer": "3"}]))
    assert best(q="x").answer == 3  # the first reply could not be read as an int
    strict = dspy.BestOfN(program, N=2, reward_fn=lambda a, p: 1.0, threshold=1.0, fail_count=0)
    dspy.configure(lm=ScriptedLM(answers=[{"answer": "x"}, {"answer": "3"}]))
    with pytest.raises(AdapterParseError, match="answer: 'x' contains no number"):
        strict(q="x")
    dspy.configure(lm=ScriptedLM(answers=[]))
    with pytest.raises(LMError):  # every attempt failed: the last error, not None
        best(q="x")


def test_a_budget_running_out_is_not_an_attempt_failure():
    def stop(args, pred):
        raise BudgetExhausted("calls")

    dspy.configure(lm=ScriptedLM(answers=[{"answer": "a"}] * 3))
    best = dspy.BestOfN(dspy.Predict("q -> answer"), N=3, reward_fn=stop, threshold=1)
    with pytest.raises(BudgetExhausted):
        best(q="x")


class Pipeline(dspy.Module):
    def __init__(self, reward):
        self.draft = dspy.Predict("question -> notes")
        self.best = dspy.BestOfN(
            dspy.ChainOfThought("question, notes -> answer"), N=3, reward_fn=reward, threshold=1
        )

    def forward(self, question):
        notes = self.draft(question=question).notes
        return self.best(question=question, notes=notes)


def test_best_of_n_composes_exposes_its_predictors_and_traces_only_the_best_attempt():
    def reply(messages):
        fields = input_fields(messages[-1]["content"])
        if "notes" not in fields:
            return {"notes": "n"}
        reply.count += 1
        return {"reasoning": "r", "answer": ["a", "b", "c"][reply.count - 1]}

    reply.count = 0
    dspy.configure(lm=ScriptedLM(by_input=reply))
    program = Pipeline(lambda args, pred: {"a": 0.1, "b": 0.9, "c": 0.3}[pred.answer])
    assert [n for n, _ in program.named_predictors()] == ["draft", "best.module.predict"]
    trace: list = []
    with dspy.context(trace=trace):
        assert program(question="q").answer == "b"
    assert [pred.get("answer", pred.get("notes")) for _, _, pred in trace] == ["n", "b"]


def feedback_lm(advice):
    """Answers 'bad' until the prompt carries a hint saying 'Say good.'; writes `advice`."""

    seen: list = []

    def reply(messages):
        seen.append(messages)
        fields = input_fields(messages[-1]["content"])
        if "program_code" in fields:
            return advice
        return {"answer": "good" if fields.get(HINT_FIELD) == "Say good." else "bad"}

    lm = ScriptedLM(by_input=reply)
    lm.seen = seen  # every prompt, the attempts' LM copies included (they keep own histories)
    return lm


def is_good(args, pred):
    return 1.0 if pred.answer == "good" else 0.0


def test_refine_turns_a_failed_attempt_into_a_hint_in_the_next_prompt():
    lm = feedback_lm({"discussion": "It said bad.", "advice": {"self": "Say good."}})
    dspy.configure(lm=lm)
    refine = dspy.Refine(dspy.Predict("question -> answer"), N=3, reward_fn=is_good, threshold=1)
    assert refine(question="q").answer == "good"
    assert lm.calls_made == 3  # attempt, advice, attempt
    advice_prompt = lm.seen[1][-1]["content"]
    assert '"answer": "bad"' in advice_prompt and "pred.answer" in advice_prompt  # code shown
    retried = lm.seen[-1]
    assert f"[[ ## {HINT_FIELD} ## ]]\nSay good." in retried[-1]["content"]
    described = f"`{HINT_FIELD}` (str): A hint to the module from an earlier run"
    assert described in retried[0]["content"]


def test_refine_gives_a_plain_hint_when_the_advice_cannot_be_read():
    lm = feedback_lm("I cannot help with that.")
    dspy.configure(lm=lm)
    refine = dspy.Refine(dspy.Predict("question -> answer"), N=2, reward_fn=is_good, threshold=1)
    assert refine(question="q").answer == "bad"
    hint = input_fields(lm.seen[-1][-1]["content"])[HINT_FIELD]
    assert "scored 0" in hint and '"bad"' in hint
    assert lm.calls_made == 4  # attempt, advice (+ its JSON retry), attempt; none after it


def test_refine_keeps_demos_complete_and_hints_out_of_the_trace():
    lm = feedback_lm({"discussion": "d", "advice": {"self": "Say good."}})
    dspy.configure(lm=lm)
    module = dspy.Predict("question -> answer")
    module.demos = [dspy.Example(question="dq", answer="da")]
    trace: list = []
    with dspy.context(trace=trace):
        dspy.Refine(module, N=2, reward_fn=is_good, threshold=1)(question="q")
    demo_turn = lm.seen[-1][1]["content"]
    assert f"[[ ## {HINT_FIELD} ## ]]\nN/A" in demo_turn and "not supplied" not in demo_turn
    assert [dict(inputs) for _, inputs, _ in trace] == [{"question": "q"}]
