"""Labels listed in a str field's description are the reply's only values on the embedded model."""

from __future__ import annotations

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.adapters.described_choices import described_choices
from engine.lm import LM


def test_a_description_ending_with_a_label_list_is_read():
    assert described_choices("one of: refund, order_status, other") == (
        "refund", "order_status", "other")  # fmt: skip
    assert described_choices("One of billing, shipping or technical.") == (
        "billing", "shipping", "technical")  # fmt: skip
    assert described_choices("the answer; either yes or no") == ("yes", "no")
    assert described_choices("one of: a, b, or c") == ("a", "b", "c")


def test_prose_is_not_a_label_list():
    assert described_choices("one of the reasons the customer gives") is None
    assert described_choices("one of: refund, or a short explanation of why") is None
    assert described_choices("one of: refund") is None  # a single label is no set
    assert described_choices("") is None and described_choices(None) is None


def test_the_chat_adapter_closes_the_reply_on_described_labels_and_stops_at_the_line_end():
    class Route(dspy.Signature):
        """Route the ticket."""

        ticket: str = dspy.InputField()
        team: str = dspy.OutputField(desc="one of: billing, shipping")

    kwargs = ChatAdapter().decoding_kwargs(LM("local/smollm2-135m"), Route)
    assert kwargs["reply_drafts"] == ["[[ ## team ## ]]\nbilling\n", "[[ ## team ## ]]\nshipping\n"]
    assert kwargs["reply_closed"] is True  # the description's labels are the only replies
    assert kwargs["stop"][0] == "\n\n"
    assert ChatAdapter().decoding_kwargs(LM("openai/gpt-4o-mini"), Route) == {}  # hosted: off


def test_a_later_output_with_described_labels_is_a_closed_section():
    class Triage(dspy.Signature):
        """Triage the ticket."""

        ticket: str = dspy.InputField()
        summary: str = dspy.OutputField()
        team: str = dspy.OutputField(desc="either billing or shipping")

    kwargs = ChatAdapter().decoding_kwargs(LM("local/smollm2-135m"), Triage)
    assert "reply_closed" not in kwargs  # the first output is open text
    (section,) = kwargs["reply_sections"]
    assert section["values"] == ["billing", "shipping"]
    assert "[[ ## team ## ]]" in kwargs["stop"]  # its header ends the model's own writing
