"""Reply hints (`engine.core._reply_hints`): the parameter names stay as stored data knows them, and
the model takes all hints out of a request at once."""

from engine.core import _reply_hints as reply_hints
from engine.core._reply_hints import ReplyHints, Section


def test_parameter_names_are_the_stored_ones() -> None:
    names = [reply_hints.REPLY_DRAFTS, reply_hints.REPLY_START, reply_hints.REPLY_CLOSED,
             reply_hints.REPLY_NUMBER, reply_hints.REPLY_SECTIONS, reply_hints.REPLY_UNTIL,
             reply_hints.REPLY_BIAS, reply_hints.REPLY_TEXT]  # fmt: skip
    assert names == ["reply_drafts", "reply_start", "reply_closed", "reply_number",
                     "reply_sections", "reply_until", "reply_bias", "reply_text"]  # fmt: skip


def test_hints_are_popped_and_other_parameters_stay() -> None:
    section = Section("[[ ## n ## ]]\n", (), 16, "int")
    params = {
        "temperature": 0.0,
        "reply_drafts": ["a", "b"],
        "reply_start": "[[ ## x ## ]]\n",
        "reply_closed": True,
        "reply_number": "float",
        "reply_sections": [section.to_param()],
        "reply_until": "value_loops",
        "reply_bias": {" [[ ## x ## ]] ": {" a ": 1}},
    }
    hints = ReplyHints.pop(params)
    assert params == {"temperature": 0.0}
    assert hints == ReplyHints(("a", "b"), "[[ ## x ## ]]\n", True, "float", (section,),
                               "value_loops", {"[[ ## x ## ]]": {"a": 1.0}})  # fmt: skip
    assert ReplyHints.pop({"reply_closed": True}).closed is False  # closed needs drafts
    assert ReplyHints.pop({"reply_number": "str"}) == ReplyHints()
