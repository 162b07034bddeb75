"""`engine.utils.dummies.DummyLM` reads like `dspy.utils.dummies.DummyLM`: the same three modes
give the same predictions on engine and on real dspy; `dummy_rm`; `inspect_history`."""

from __future__ import annotations

import io

import pytest

import engine
from engine.utils.dummies import DummyLM, dummy_rm

dspy = pytest.importorskip("dspy")


def _both(answers, calls, **kwargs):
    """The answers Predict("question -> answer") gives for `calls` on engine and on dspy."""
    ours = DummyLM(answers, **kwargs)
    engine.configure(lm=ours)
    got = [engine.Predict("question -> answer")(question=q).answer for q in calls]
    theirs = dspy.utils.dummies.DummyLM(answers, **kwargs)
    with dspy.context(lm=theirs):
        want = [dspy.Predict("question -> answer")(question=q).answer for q in calls]
    return got, want


def test_list_mode_answers_in_order_then_no_more_responses():
    got, want = _both([{"answer": "red"}, {"answer": "blue"}], ["a?", "b?", "c?"])
    assert got == want == ["red", "blue", "No more responses"]


def test_dict_mode_picks_the_key_found_in_the_prompt():
    answers = {"sky": {"answer": "blue"}, "grass": {"answer": "green"}}
    got, want = _both(answers, ["What color is the grass?", "And the sky?"])
    assert got == want == ["green", "blue"]


def test_follow_examples_answers_like_the_matching_demo():
    demo = engine.Example(question="What is 2+2?", answer="4")
    lm = DummyLM([{"answer": "wrong"}], follow_examples=True)
    engine.configure(lm=lm)
    predict = engine.Predict("question -> answer")
    predict.demos = [demo]
    assert predict(question="What is 2+2?").answer == "4"
    theirs = dspy.utils.dummies.DummyLM([{"answer": "wrong"}], follow_examples=True)
    with dspy.context(lm=theirs):
        p = dspy.Predict("question -> answer")
        p.demos = [dspy.Example(question="What is 2+2?", answer="4")]
        assert p(question="What is 2+2?").answer == "4"


def test_chain_of_thought_and_history_with_get_convo():
    lm = DummyLM([{"reasoning": "Paris is the capital.", "answer": "Paris"}])
    engine.configure(lm=lm)
    pred = engine.ChainOfThought("question -> answer")(question="Capital of France?")
    assert (pred.reasoning, pred.answer) == ("Paris is the capital.", "Paris")
    messages, outputs = lm.get_convo(-1)
    assert "Capital of France?" in messages[-1]["content"] and "Paris" in outputs[0]


def test_json_adapter_answers_as_json():
    lm = DummyLM([{"answer": "42"}], adapter=engine.JSONAdapter())
    engine.configure(lm=lm, adapter=engine.JSONAdapter())
    assert engine.Predict("question -> answer")(question="q").answer == "42"
    assert lm.history[-1]["outputs"][0].strip().startswith("{")


def test_dummy_lm_bad_answers_say_what_to_give():
    with pytest.raises(TypeError, match="list of dicts"):
        DummyLM("red")


def test_dummy_rm_returns_k_passages_most_alike_first():
    rm = dummy_rm(["the cat sat", "dogs bark loudly", "a cat and a hat"])
    hits = rm("cat hat", k=2)
    assert [h["long_text"] for h in hits] == ["a cat and a hat", "the cat sat"]
    with pytest.raises(ValueError, match="No passages"):
        dummy_rm()("q", k=1)


def test_inspect_history_prints_the_last_calls_as_dspy_does():
    lm = DummyLM([{"answer": "red"}, {"answer": "blue"}])
    engine.configure(lm=lm)
    predict = engine.Predict("question -> answer")
    predict(question="first?")
    predict(question="second?")
    out = io.StringIO()
    engine.inspect_history(n=1, file=out)
    text = out.getvalue()
    assert "User message:" in text and "second?" in text and "first?" not in text
    assert "Response:" in text and "blue" in text and "\x1b[" not in text  # no colours in files
    out = io.StringIO()
    engine.inspect_history(2, file=out)
    assert "first?" in out.getvalue() and out.getvalue().count("Response:") == 2
    # dspy prints the same sections for the same call
    theirs = io.StringIO()
    with dspy.context(lm=dspy.utils.dummies.DummyLM([{"answer": "blue"}])):
        dspy.Predict("question -> answer")(question="second?")
        dspy.inspect_history(n=1, file=theirs)
    for section in ("System message:", "User message:", "Response:"):
        assert section in theirs.getvalue() and section in text


def test_inspect_history_to_stdout_uses_colours(capsys):
    engine.configure(lm=DummyLM([{"answer": "red"}]))
    engine.Predict("question -> answer")(question="q?")
    engine.inspect_history()
    printed = capsys.readouterr().out
    assert "\x1b[34m[" in printed and "red" in printed


def test_inspect_history_with_no_lm_prints_nothing_but_blank_lines(capsys):
    engine.configure(lm=None)
    engine.inspect_history(3)
    assert capsys.readouterr().out.strip() == ""
    with pytest.raises(ValueError, match="whole number"):
        engine.inspect_history(-1)
