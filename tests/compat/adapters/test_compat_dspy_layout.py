"""DSPy's exact prompt layout, an opt-in of the chat and JSON adapters (`dspy_prompts=True` or
`TUNESMITH_DSPY_PROMPTS=1`): the same messages as real dspy's adapters on the same signature,
demos and inputs; off by default (the engine's prefix-friendly layout is unchanged)."""

# no `from __future__ import annotations`: the signatures' field types are built in a function
from typing import Literal

import pydantic
import pytest

import engine
from engine.adapters import dspy_layout

dspy = pytest.importorskip("dspy")


class Score(pydantic.BaseModel):
    value: float
    reasons: list[str]


def signatures(lib):
    class QA(lib.Signature):
        """Answer the question.

        Be brief."""

        question: str = lib.InputField(desc="a question")
        context: list[str] = lib.InputField()
        answer: str = lib.OutputField()
        confident: bool = lib.OutputField()
        label: Literal["yes", "no"] = lib.OutputField()
        score: Score = lib.OutputField(desc="the score")

    class Chat(lib.Signature):
        question: str = lib.InputField()
        history: lib.History = lib.InputField()
        answer: str = lib.OutputField(min_length=2)

    return QA, Chat


DEMOS = [
    {"question": "Q1", "context": ["a"], "answer": "A1", "confident": True, "label": "yes",
     "score": {"value": 0.5, "reasons": ["r"]}},
    {"question": "Q2", "answer": "A2"},  # partial: shown with DSPy's note
]  # fmt: skip
INPUTS = {"question": "Q3", "context": ["one", "two\nlines"]}


@pytest.mark.parametrize("kind", ["ChatAdapter", "JSONAdapter"])
def test_the_messages_are_dspys_word_for_word(kind):
    ours_qa, ours_chat = signatures(engine)
    theirs_qa, theirs_chat = signatures(dspy)
    ours = getattr(engine, kind)(dspy_prompts=True)
    theirs = getattr(dspy, kind)()
    assert ours.format(ours_qa, DEMOS, INPUTS) == theirs.format(theirs_qa, DEMOS, INPUTS)
    turns = [{"question": "Hi", "answer": "Hello"}, {"question": "And?"}]
    mine = ours.format(ours_chat, [], {"question": "Q", "history": engine.History(messages=turns)})
    real = theirs.format(theirs_chat, [], {"question": "Q",
                                           "history": dspy.History(messages=turns)})  # fmt: skip
    assert mine == real
    assert ours.format_system_message(ours_qa) == theirs.format_system_message(theirs_qa)


def test_off_by_default_and_switched_on_by_the_environment(monkeypatch):
    qa, _ = signatures(engine)
    default = engine.ChatAdapter().format(qa, [], INPUTS)
    assert default[0]["content"].endswith("and then ending with the marker for "
                                          "`[[ ## completed ## ]]`.")  # fmt: skip
    monkeypatch.setenv(dspy_layout.ENV, "1")
    switched = engine.ChatAdapter().format(qa, [], INPUTS)
    assert switched != default and switched[-1]["content"].endswith("`[[ ## completed ## ]]`.")
    assert engine.ChatAdapter(dspy_prompts=False).format(qa, [], INPUTS) == default


def test_replies_are_read_the_same_way_with_either_layout():
    reply = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
    for switch in (True, False):
        lm = engine.lm.ScriptedLM([reply])
        with engine.context(lm=lm, adapter=engine.ChatAdapter(dspy_prompts=switch)):
            assert engine.Predict("question -> answer")(question="Capital?").answer == "Paris"


def test_images_are_sent_as_content_parts_as_dspy_sends_them():
    class Wrapper(pydantic.BaseModel):
        images: list[engine.Image]
        tag: str

    def request(lib, image_type, wrapper_type):
        class Describe(lib.Signature):
            image: image_type = lib.InputField()
            text: str = lib.OutputField()

        url = "https://example.com/a.jpg"
        value = image_type(url=url) if wrapper_type is None else wrapper_type(
            images=[lib.Image(url=url)], tag="t")  # fmt: skip
        return getattr(lib, "ChatAdapter")(**({"dspy_prompts": True} if lib is engine else {})
                                           ).format(Describe, [], {"image": value})  # fmt: skip

    ours = request(engine, engine.Image, None)
    assert ours == request(dspy, dspy.Image, None)
    parts = ours[1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "text"]
    nested = request(engine, Wrapper, Wrapper)[1]["content"]
    assert {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}} in nested
    assert engine.ChatAdapter().format(  # the engine's own layout stays text-only
        dspy_signature_of(engine), [], {"image": engine.Image(url="https://x/y.png")}
    )[-1]["content"].count("Image(url='https://x/y.png')") == 1


def dspy_signature_of(lib):
    class Describe(lib.Signature):
        image: lib.Image = lib.InputField()
        text: str = lib.OutputField()

    return Describe


def test_a_custom_type_and_a_document_go_as_their_parts():
    class Event(engine.Type):
        label: str

        def format(self):
            return [{"type": "event", "event": {"label": self.label}}]

        @classmethod
        def description(cls):
            return "An event block."

    class Ask(engine.Signature):
        event: Event = engine.InputField()
        document: engine.experimental.Document = engine.InputField()
        answer: str = engine.OutputField()

    messages = engine.ChatAdapter(dspy_prompts=True).format(
        Ask, [], {"event": Event(label="launch"),
                  "document": engine.experimental.Document(data="Hi", title="T")})  # fmt: skip
    assert "Type description of Event: An event block." in messages[0]["content"]
    parts = messages[1]["content"]
    assert {"type": "event", "event": {"label": "launch"}} in parts
    assert {"type": "document", "title": "T", "citations": {"enabled": True},
            "source": {"type": "text", "media_type": "text/plain", "data": "Hi"}} in parts
