"""ScriptedLM: the three scripting modes and its token estimate."""

from __future__ import annotations

import pytest

from engine.core._errors import LMError
from engine.lm import ScriptedLM, render_fields


def _user(fields: dict[str, str], ask: str = "answer") -> dict[str, str]:
    body = "\n\n".join(f"[[ ## {k} ## ]]\n{v}" for k, v in fields.items())
    tail = (
        f"\n\nRespond with the corresponding output fields, starting with the field "
        f"`[[ ## {ask} ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`."
    )
    return {"role": "user", "content": body + tail}


def test_answers_in_order_then_a_clear_error():
    lm = ScriptedLM(answers=["first", {"answer": "42", "confidence": 0.9}])
    assert lm("a") == ["first"]
    assert lm("b") == [
        "[[ ## answer ## ]]\n42\n\n[[ ## confidence ## ]]\n0.9\n\n[[ ## completed ## ]]"
    ]
    with pytest.raises(LMError, match="used up"):
        lm("c")
    assert lm.ledger.records[-1].error


def test_cycle_restarts_the_list():
    lm = ScriptedLM(answers=["x", "y"], cycle=True)
    assert [lm(str(i))[0] for i in range(5)] == ["x", "y", "x", "y", "x"]


def test_n_completions_and_copies_share_the_script():
    lm = ScriptedLM(answers=["a", "b", "c"])
    assert lm("q", n=2) == ["a", "b"]
    assert lm.copy(temperature=1.0)("q") == ["c"]
    assert lm.calls_made == 3


def test_by_input_computes_each_answer():
    lm = ScriptedLM(by_input=lambda messages: {"answer": messages[-1]["content"][::-1]})
    assert lm("abc") == [render_fields({"answer": "cba"})]


def test_follow_demos_copies_the_matching_demo_answer():
    demo_answer = render_fields({"answer": "shipping"})
    messages = [
        {"role": "system", "content": "Classify tickets."},
        _user({"ticket": "Where is my parcel?"}),
        {"role": "assistant", "content": demo_answer},
        _user({"ticket": "I was charged twice."}),
        {"role": "assistant", "content": render_fields({"answer": "billing"})},
        _user({"ticket": "Where is my parcel?"}),
    ]
    lm = ScriptedLM(follow_demos=True)
    assert lm(messages=messages) == [demo_answer]
    unseen = messages[:-1] + [_user({"ticket": "The app crashes."})]
    assert lm(messages=unseen) == [render_fields({"answer": "unknown"})]
    assert ScriptedLM(follow_demos=True, default="n/a")(messages=unseen) == ["n/a"]


def test_tokens_are_approximated_and_latency_is_optional():
    lm = ScriptedLM(answers=["x" * 40], latency=0.01)
    lm("y" * 80)
    record = lm.ledger.records[0]
    assert (record.prompt_tokens, record.completion_tokens, record.cost) == (20, 10, 0.0)
    assert record.latency >= 0.01
    assert lm.model == "scripted/default"
    assert ScriptedLM(answers=[], name="judge").model == "scripted/judge"


def test_exactly_one_mode():
    with pytest.raises(TypeError):
        ScriptedLM()
    with pytest.raises(TypeError):
        ScriptedLM(answers=["a"], follow_demos=True)
