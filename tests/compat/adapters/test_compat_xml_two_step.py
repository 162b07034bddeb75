"""Adapters (issue 39, item 8): `XMLAdapter` (fields as <name>...</name>), `TwoStepAdapter`
(a free answer, then an extraction model fills the fields) and DSPy's constructor options of
`ChatAdapter` / `JSONAdapter`, checked against real dspy where it is cheap."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM

real_dspy = pytest.importorskip("dspy")


class QA(dspy.Signature):
    """Answer the question."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()
    confidence: float = dspy.OutputField()


def test_xml_adapter_reads_the_elements_like_dspy():
    reply = "<answer>\nParis\n</answer>\n<confidence>\n0.9\n</confidence>"
    with dspy.context(lm=ScriptedLM([reply]), adapter=dspy.XMLAdapter()):
        ours = dspy.Predict(QA)(question="Capital of France?")

    class RealQA(real_dspy.Signature):
        """Answer the question."""

        question: str = real_dspy.InputField()
        answer: str = real_dspy.OutputField()
        confidence: float = real_dspy.OutputField()

    lm = real_dspy.utils.DummyLM([{"answer": "Paris", "confidence": "0.9"}],
                                 adapter=real_dspy.XMLAdapter())  # fmt: skip
    with real_dspy.context(lm=lm, adapter=real_dspy.XMLAdapter()):
        theirs = real_dspy.Predict(RealQA)(question="Capital of France?")
    assert (ours.answer, ours.confidence) == (theirs.answer, theirs.confidence) == ("Paris", 0.9)


def test_xml_adapter_prompt_marks_every_field_as_an_element():
    lm = ScriptedLM(["<answer>Paris</answer><confidence>1</confidence>"])
    demo = dspy.Example(question="Capital of Italy?", answer="Rome", confidence=1.0)
    with dspy.context(lm=lm, adapter=dspy.XMLAdapter()):
        predict = dspy.Predict(QA)
        predict.demos = [demo]
        predict(question="Capital of France?")
    messages = lm.history[-1]["messages"]
    assert "<answer>" in messages[0]["content"] and "Answer the question." in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "<question>\nCapital of Italy?\n</question>"}
    assert "<answer>\nRome\n</answer>" in messages[2]["content"]
    assert messages[-1]["content"] == "<question>\nCapital of France?\n</question>"


def test_xml_adapter_missing_element_falls_back_to_json_once():
    lm = ScriptedLM(["Paris, surely", '{"answer": "Paris", "confidence": 0.5}'])
    with dspy.context(lm=lm, adapter=dspy.XMLAdapter()):
        pred = dspy.Predict(QA)(question="Capital of France?")
    assert (pred.answer, pred.confidence) == ("Paris", 0.5)
    strict = ScriptedLM(["Paris, surely"])
    with dspy.context(lm=strict, adapter=dspy.XMLAdapter(use_json_adapter_fallback=False)):
        with pytest.raises(dspy.AdapterParseError, match="answer"):
            dspy.Predict(QA)(question="Capital of France?")


def test_two_step_adapter_asks_freely_then_extracts_with_the_second_model():
    main = ScriptedLM(["I am fairly sure the capital of France is Paris (90% sure)."])
    extractor = ScriptedLM(
        ["[[ ## answer ## ]]\nParis\n\n[[ ## confidence ## ]]\n0.9\n\n[[ ## completed ## ]]"]
    )
    with dspy.context(lm=main, adapter=dspy.TwoStepAdapter(extractor)):
        pred = dspy.Predict(QA)(question="Capital of France?")
    assert (pred.answer, pred.confidence) == ("Paris", 0.9)
    asked = main.history[-1]["messages"]
    assert "[[ ##" not in asked[0]["content"] and "`confidence` (float)" in asked[0]["content"]
    assert asked[-1]["content"] == "question: Capital of France?"
    extraction = extractor.history[-1]["messages"]
    assert "I am fairly sure the capital of France is Paris" in extraction[-1]["content"]
    assert "`text`" in extraction[0]["content"] and "`question`" not in extraction[0]["content"]


def test_two_step_adapter_needs_an_extraction_model_like_dspy():
    with pytest.raises(ValueError, match="extraction_model"):
        dspy.TwoStepAdapter(None)
    with pytest.raises((TypeError, ValueError)):
        real_dspy.TwoStepAdapter(None)


def test_adapters_take_dspys_constructor_options():
    class Quiet(dspy.utils.BaseCallback):
        pass

    chat = dspy.ChatAdapter(callbacks=[Quiet()], use_native_function_calling=True)
    assert chat.use_native_function_calling is True and len(chat.callbacks) == 1
    assert chat.fallback is not None
    assert dspy.ChatAdapter(use_json_adapter_fallback=False).fallback is None
    assert dspy.ChatAdapter(use_json_fallback=False).fallback is None  # the engine's older name
    # defaults as DSPy's
    assert dspy.JSONAdapter().use_native_function_calling is True
    assert real_dspy.JSONAdapter().use_native_function_calling is True
    assert dspy.ChatAdapter().use_native_function_calling is False
    assert real_dspy.ChatAdapter().use_native_function_calling is False
    with pytest.raises(TypeError, match="callbacks"):
        dspy.JSONAdapter(callbacks=Quiet())


def test_adapter_callbacks_hear_format_and_parse():
    events = []

    class Recorder(dspy.utils.BaseCallback):
        def on_adapter_format_start(self, call_id, instance, inputs):
            events.append(("format_start", sorted(inputs)))

        def on_adapter_format_end(self, call_id, outputs, exception):
            events.append(("format_end", len(outputs)))

        def on_adapter_parse_start(self, call_id, instance, inputs):
            events.append(("parse_start", inputs["completion"]))

        def on_adapter_parse_end(self, call_id, outputs, exception):
            events.append(("parse_end", outputs))

    lm = ScriptedLM(["[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"])
    adapter = dspy.ChatAdapter(callbacks=[Recorder()])
    with dspy.context(lm=lm, adapter=adapter):
        dspy.Predict("question -> answer")(question="Capital of France?")
    assert events == [
        ("format_start", ["demos", "inputs", "signature"]),
        ("format_end", 2),
        ("parse_start", "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"),
        ("parse_end", {"answer": "Paris"}),
    ]
