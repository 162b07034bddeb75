"""Labels listed in a str field's description become open reply drafts on the embedded model."""

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


def test_the_chat_adapter_drafts_described_labels_open_and_stops_at_the_line_end():
    class Route(dspy.Signature):
        """Route the ticket."""

        ticket: str = dspy.InputField()
        team: str = dspy.OutputField(desc="one of: billing, shipping")

    kwargs = ChatAdapter().decoding_kwargs(LM("local/smollm2-135m"), Route)
    assert kwargs["reply_drafts"] == ["[[ ## team ## ]]\nbilling\n", "[[ ## team ## ]]\nshipping\n"]
    assert "reply_closed" not in kwargs  # a str may still hold other text
    assert kwargs["stop"][0] == "\n\n"
    assert ChatAdapter().decoding_kwargs(LM("openai/gpt-4o-mini"), Route) == {}  # hosted: off
