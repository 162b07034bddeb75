from typing import Any, Literal

import pytest

import engine as dspy
from engine.adapters import ChatAdapter, JSONAdapter
from engine.core._errors import AdapterParseError
from engine.lm import ScriptedLM


class Review(dspy.Signature):
    """Classify the review."""

    review: str = dspy.InputField()
    sentiment: Literal["positive", "negative"] = dspy.OutputField()
    confidence: float = dspy.OutputField()


def test_chat_format_puts_system_and_demos_before_inputs():
    demo = dspy.Example(review="great", sentiment="positive", confidence=0.9)
    messages = ChatAdapter().format(Review, [demo], {"review": "bad"})
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    system = messages[0]["content"]
    assert "`review` (str)" in system and "[[ ## completed ## ]]" in system
    assert "`sentiment` (Literal['positive', 'negative'])" in system
    assert "must be a single float value" in system
    assert "Classify the review." in system
    assert messages[2]["content"].startswith("[[ ## sentiment ## ]]\npositive")
    assert system.endswith(
        "Respond with the corresponding output fields, starting with the field "
        "`[[ ## sentiment ## ]]`, then `[[ ## confidence ## ]]` (the value must be a single "
        "float value), and then ending with the marker for `[[ ## completed ## ]]`."
    )
    # the last user message holds only the inputs, like the demo's user message
    assert messages[-1]["content"] == "[[ ## review ## ]]\nbad"
    assert messages[1]["content"] == "[[ ## review ## ]]\ngreat"
    # everything before the inputs does not depend on them
    other = ChatAdapter().format(Review, [demo], {"review": "something else"})
    assert other[:-1] == messages[:-1]


def test_chat_adapter_gives_the_local_model_stops_and_reply_drafts():
    from engine.lm import LM, ScriptedLM

    adapter = ChatAdapter()
    local = LM("local/smollm2-135m")
    assert adapter.decoding_kwargs(local, Review) == {
        # "\n[#": a malformed header ends a value; "\n[[ ##": so does a header, as a later
        # output is written in from its header; a number's header ends the model's writing
        "stop": ["[[ ## completed", "\n[#", "\n[[ ##", "[[ ## confidence ## ]]"],
        "reply_drafts": ["[[ ## sentiment ## ]]\npositive\n", "[[ ## sentiment ## ]]\nnegative\n"],
        "reply_start": "[[ ## sentiment ## ]]\n",
        "reply_closed": True,  # the first output is a choice: one of its values
        # the later output, written in when the reply ends without it (`reply_sections`),
        # with number tokens only (`reply_number`)
        "reply_sections": [
            {
                "header": "[[ ## confidence ## ]]\n",
                "values": [],
                "max_tokens": 16,
                "number": "float",
            }
        ],
    }
    reasoned = dspy.ChainOfThought("question -> answer: Literal['yes', 'no']").predict.signature
    kwargs = adapter.decoding_kwargs(local, reasoned)
    assert kwargs["reply_sections"] == [
        {"header": "[[ ## answer ## ]]\n", "values": ["yes", "no"], "max_tokens": 16}
    ]
    assert kwargs["stop"] == ["[[ ## completed", "\n[#", "\n[[ ##", "[[ ## answer ## ]]"]
    one_choice = dspy.Signature("review -> sentiment: Literal['positive', 'negative']")
    assert adapter.decoding_kwargs(local, one_choice) == {
        "stop": ["\n\n", "[[ ## completed", "\n[#", "\n[[ ##"],
        "reply_drafts": ["[[ ## sentiment ## ]]\npositive\n", "[[ ## sentiment ## ]]\nnegative\n"],
        "reply_start": "[[ ## sentiment ## ]]\n",
        "reply_closed": True,  # a lone choice: its values are the only replies
    }
    flag = dspy.Signature("review -> spam: bool")
    assert adapter.decoding_kwargs(local, flag)["reply_drafts"] == [
        "[[ ## spam ## ]]\nfalse\n",  # as demos write bools
        "[[ ## spam ## ]]\ntrue\n",
    ]
    free_text = dspy.Signature("review -> summary")
    assert adapter.decoding_kwargs(local, free_text) == {
        "stop": ["[[ ## completed", "\n[#", "\n[[ ##"],
        "reply_drafts": ["[[ ## summary ## ]]\n"],
        "reply_start": "[[ ## summary ## ]]\n",
        "reply_until": "value_loops",  # open text: stopped where a line repeats
        "reply_text": True,  # plain text: never the placeholder (lm/local/test_placeholder_echo.py)
    }
    hosted = adapter.decoding_kwargs(LM("openai/gpt-4o-mini"), Review)
    # hosted: the reply's schema, no hints, and log-probabilities at its closed choice
    assert list(hosted) == ["response_format", "logprobs", "top_logprobs", "score_choices"]
    assert hosted["score_choices"] == {"[[ ## sentiment ## ]]": ["positive", "negative"]}
    anthropic = adapter.decoding_kwargs(LM("anthropic/claude-3-5-sonnet-20240620"), Review)
    assert list(anthropic) == ["response_format"]  # its provider takes no top_logprobs
    lm = ScriptedLM(answers=["[[ ## sentiment ## ]]\npositive\n\n[[ ## confidence ## ]]\n0.5"])
    out = adapter(lm, {}, Review, [], {"review": "fine"})  # no marker: still parsed
    assert out == [{"sentiment": "positive", "confidence": 0.5}]
    sent = lm.history[-1]["kwargs"]
    assert "reply_drafts" not in sent and "reply_start" not in sent  # never sent to other models


def test_partial_demo_is_marked():
    messages = ChatAdapter().format(
        Review, [dspy.Example(review="ok", sentiment="positive")], {"review": "x"}
    )
    assert "some input or output fields are not supplied" in messages[1]["content"]


@pytest.mark.parametrize(
    "text",
    [
        "[[ ## sentiment ## ]]\npositive\n\n[[ ## confidence ## ]]\n0.8\n\n[[ ## completed ## ]]",
        "[[ ## Sentiment ## ]]\n Positive. \n[[ ## CONFIDENCE ## ]]\n0.8",  # case, no marker
        "[[##sentiment##]]\n'positive'\n[[##confidence##]]\nabout 0.8",
        "Sentiment: positive\nConfidence: 0.8",  # prefix lines instead of headers
        '{"sentiment": "positive", "confidence": 0.8}',  # a JSON object
        # a malformed header echoed with nothing under it, then the real one (SmolLM2, sampled)
        "[[ ## sentiment ## ]]\npositive\n[[#confidence# ]]\n[[ ## confidence ## ]]\n0.8",
    ],
)
def test_tolerant_parsing(text):
    assert ChatAdapter().parse(Review, text) == {"sentiment": "positive", "confidence": 0.8}


def test_single_field_plain_text_is_repaired():
    sig = dspy.Signature("review -> sentiment: Literal['positive', 'negative']")
    assert ChatAdapter().parse(sig, "I would say this is Negative overall") == {
        "sentiment": "negative"
    }


def test_unrepairable_output_raises_typed_error_with_raw_text():
    with pytest.raises(AdapterParseError) as info:
        ChatAdapter().parse(Review, "no idea what you mean")
    assert info.value.raw_text == "no idea what you mean"
    assert set(info.value.missing) == {"sentiment", "confidence"}
    assert "no idea what you mean" in str(info.value)


def test_structured_types_are_cast():
    sig = dspy.Signature("text -> tags: list[str], counts: dict[str, int], ok: bool, n: int")
    text = (
        '[[ ## tags ## ]]\n```json\n["a", "b"]\n```\n[[ ## counts ## ]]\n{\'a\': 1}\n'
        "[[ ## ok ## ]]\nYes\n[[ ## n ## ]]\n42\n[[ ## completed ## ]]"
    )
    assert ChatAdapter().parse(sig, text) == {
        "tags": ["a", "b"],
        "counts": {"a": 1},
        "ok": True,
        "n": 42,
    }


def test_fallback_spends_exactly_one_more_call_and_succeeds():
    lm = ScriptedLM(answers=["garbage", '{"sentiment": "negative", "confidence": 0.1}'])
    pred = dspy.Predict(Review)
    pred.lm = lm
    out = pred(review="meh")
    assert out.sentiment == "negative" and lm.calls_made == 2
    retry = lm.history[-1]["messages"]
    first = lm.history[0]["messages"]
    assert retry[: len(first)] == first  # same prefix: cheap on local models
    assert retry[-2] == {"role": "assistant", "content": "garbage"}
    assert "JSON object" in retry[-1]["content"]


def test_fallback_failure_raises_the_first_error():
    lm = ScriptedLM(answers=["first garbage", "second garbage"])
    pred = dspy.Predict(Review)
    pred.lm = lm
    with pytest.raises(AdapterParseError) as info:
        pred(review="meh")
    assert info.value.raw_text == "first garbage"


def test_no_fallback_call_when_the_format_was_right_but_a_value_was_not():
    reply = "[[ ## sentiment ## ]]\nlukewarm\n\n[[ ## confidence ## ]]\n0.5"
    lm = ScriptedLM(answers=[reply, '{"sentiment": "negative", "confidence": 0.1}'])
    pred = dspy.Predict(Review)
    pred.lm = lm
    with pytest.raises(AdapterParseError, match="sentiment") as info:
        pred(review="meh")
    assert lm.calls_made == 1 and info.value.absent == [] and info.value.missing == ["sentiment"]
    # a reply that lost the format still gets its one fallback call, even when the repair
    # recovered some text for the field
    lm = ScriptedLM(answers=["sentiment: lukewarm", '{"sentiment": "negative", "confidence": 0.1}'])
    pred.lm = lm
    assert pred(review="meh").sentiment == "negative" and lm.calls_made == 2


def test_a_prompt_whose_fallbacks_all_failed_gets_no_more_of_them():
    pred = dspy.Predict(Review)
    lm = ScriptedLM(answers=["garbage"], cycle=True)
    pred.lm = lm
    for _ in range(5):
        with pytest.raises(AdapterParseError):
            pred(review="meh")
    assert lm.calls_made == 10  # each failed reply got its fallback call, and that failed too
    with pytest.raises(AdapterParseError) as info:
        pred(review="still meh")
    assert lm.calls_made == 11 and info.value.raw_text == "garbage"  # no sixth fallback
    assert "no JSONAdapter fallback call: the first 5 for this prompt all failed" in str(info.value)

    # Another prompt family (other demos) still gets its fallbacks.
    other = dspy.Predict(Review)
    other.demos = [dspy.Example(review="great", sentiment="positive", confidence=0.9)]
    other.lm = lm
    with pytest.raises(AdapterParseError):
        other(review="meh")
    assert lm.calls_made == 13


def test_one_fallback_that_worked_keeps_them_on_for_the_prompt():
    good = '{"sentiment": "negative", "confidence": 0.1}'
    lm = ScriptedLM(answers=["garbage", good] + ["garbage"] * 12)
    pred = dspy.Predict(Review)
    pred.lm = lm
    assert pred(review="meh").sentiment == "negative"
    for _ in range(6):
        with pytest.raises(AdapterParseError):
            pred(review="meh")
    assert lm.calls_made == 14  # every failed reply still got its fallback call


def test_json_adapter_round_trip():
    adapter = JSONAdapter()
    messages = adapter.format(
        Review, [dspy.Example(review="a", sentiment="positive", confidence=1.0)], {"review": "b"}
    )
    assert messages[2]["content"] == '{"sentiment": "positive", "confidence": 1.0}'
    assert adapter.parse(Review, 'Sure! {"Sentiment": "negative", "confidence": "0.3"}') == {
        "sentiment": "negative",
        "confidence": 0.3,
    }


def test_open_values_the_task_writes_on_one_line_end_after_their_value_paragraph():
    from engine.lm import LM

    adapter, local = ChatAdapter(), LM("local/smollm2-135m")
    verdict = dspy.Signature("review -> verdict")

    def rule(*args: Any) -> str | None:
        return adapter.decoding_kwargs(local, *args).get("reply_until")

    one_line = [
        dspy.Example(review="Great.", verdict="Great."),
        {"review": "Bad.", "verdict": "Bad."},
    ]
    assert rule(verdict) == "value_loops"  # no demos, nothing fitted: open
    assert rule(verdict, one_line) == "one_line_value"
    assert rule(verdict, (), ["verdict"]) == "one_line_value"  # fitted from training labels
    two_lines = [*one_line, dspy.Example(review="Hm.", verdict="Fine.\nBut slow.")]
    assert rule(verdict, two_lines) == "value_loops"
    cot = dspy.ChainOfThought("review -> sentiment: bool").predict.signature
    demos = [dspy.Example(review="Great.", reasoning="It praises it.", sentiment=True)]
    assert rule(cot, demos) == "one_line_value"  # then the sentiment from its header
    inputs_only = [dspy.Example(review="Great.")]
    assert rule(cot, inputs_only) == "value_loops"
    assert rule(cot, (), ["answer"]) == "value_loops"  # the reasoning is not fitted
    assert adapter.decoding_kwargs(local, dspy.Signature("review -> ok: bool"))["stop"][0] == (
        "\n\n"
    )
    assert adapter.decoding_kwargs(LM("openai/gpt-4o-mini"), verdict, one_line) == {}
    assert adapter.decoding_kwargs(LM("openai/gpt-4o-mini"), verdict, (), ["verdict"]) == {}


def test_the_demos_and_fitted_one_line_outputs_reach_the_decoding_arguments():
    from engine.lm import LM

    class Recording(LM):
        def __init__(self):
            super().__init__("local/smollm2-135m")
            self.sent = []

        def __call__(self, prompt=None, messages=None, **kwargs):
            self.sent.append(kwargs)
            return ["[[ ## verdict ## ]]\nGreat."]

    lm = Recording()
    demos = [dspy.Example(review="Great.", verdict="Great.")]
    ChatAdapter()(lm, {}, dspy.Signature("review -> verdict"), demos, {"review": "Nice."})
    assert lm.sent[0]["reply_until"] == "one_line_value"
    predict = dspy.Predict("review -> verdict")
    predict.one_line_outputs = ["verdict"]
    with dspy.context(lm=lm):
        assert predict(review="Nice.").verdict == "Great."
    assert lm.sent[1]["reply_until"] == "one_line_value"
    assert "one_line_outputs" not in lm.sent[1]  # an adapter option, never sent to the model


def test_a_field_named_with_a_non_ascii_letter_is_read_back():
    """A field name is a Python identifier, so "Ünïcode" is one; the reply's header for it was
    not read (the header pattern wanted an ASCII first letter), found by the hostile-spec test."""
    sig = dspy.make_signature("path -> reasoning, Ünïcode, é")
    text = "[[ ## reasoning ## ]]\nx\n\n[[ ## Ünïcode ## ]]\nbilling\n\n[[ ## é ## ]]\n2\n"
    assert ChatAdapter().parse(sig, text) == {"reasoning": "x", "Ünïcode": "billing", "é": "2"}
