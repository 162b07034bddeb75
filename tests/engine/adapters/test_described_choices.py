"""Labels listed in a str field's description, and the numbers an int field's description allows,
are the reply's only values on the embedded model."""

from __future__ import annotations

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.adapters.replies.described_choices import described_choices, described_numbers
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
    hosted = ChatAdapter().decoding_kwargs(LM("openai/gpt-4o-mini"), Route)  # hosted: a schema
    assert hosted["response_format"]["json_schema"]["schema"]["properties"]["team"] == {
        "type": "string", "enum": ["billing", "shipping"]}  # fmt: skip


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


def test_an_int_description_listing_codes_or_a_small_range_is_read():
    assert described_numbers("1 for billing, 2 for shipping, 3 for technical problems") == (
        1, 2, 3)  # fmt: skip
    assert described_numbers("priority (1=high, 2=medium, 3=low)") == (1, 2, 3)
    assert described_numbers("one of: 1, 2, 3") == (1, 2, 3)
    assert described_numbers("How satisfied the customer is, from 1 to 5") == (1, 2, 3, 4, 5)
    assert described_numbers("a score between -2 and 2") == (-2, -1, 0, 1, 2)
    assert described_numbers("rating 1-5") == (1, 2, 3, 4, 5)


def test_an_int_description_without_a_small_closed_set_stays_open():
    assert described_numbers("the number of items ordered") is None
    assert described_numbers("billing is team 1, shipping team 2, technical team 3") is None
    assert described_numbers("items ordered, e.g. 3 for three mugs, 10 for a box") is None
    assert described_numbers("a count such as 1-5") is None
    assert described_numbers("days until delivery, 1-30") is None  # more than MAX_RANGE
    two_ranges = "from 1 to 5 on weekdays, between 0 and 2 on weekends"
    assert described_numbers(two_ranges) is None
    assert described_numbers("one of: low, high") is None  # labels, not numbers
    assert described_numbers("the time, like 10:30") is None
    assert described_numbers("version 1.5-2") is None
    assert described_numbers(None) is None


def test_a_described_int_is_answered_closed_instead_of_with_number_tokens():
    class Team(dspy.Signature):
        """Give the team's number."""

        ticket: str = dspy.InputField()
        team: int = dspy.OutputField(desc="1 for billing, 2 for shipping")
        urgent: int = dspy.OutputField(desc="from 0 to 2")
        count: int = dspy.OutputField(desc="how many products")

    kwargs = ChatAdapter().decoding_kwargs(LM("local/smollm2-135m"), Team)
    assert kwargs["reply_drafts"] == ["[[ ## team ## ]]\n1\n", "[[ ## team ## ]]\n2\n"]
    assert kwargs["reply_closed"] is True and "reply_number" not in kwargs
    urgent, count = kwargs["reply_sections"]
    assert urgent["values"] == ["0", "1", "2"] and "number" not in urgent
    assert count["values"] == [] and count["number"] == "int"  # open: number tokens
    hosted = ChatAdapter().decoding_kwargs(LM("openai/gpt-4o-mini"), Team)  # hosted: a schema
    properties = hosted["response_format"]["json_schema"]["schema"]["properties"]
    assert properties == {"team": {"type": "integer", "enum": [1, 2]},
                          "urgent": {"type": "integer", "enum": [0, 1, 2]},
                          "count": {"type": "integer"}}  # fmt: skip
