"""Reply rules (`reply_until`): a proposal reply stops once the kept paragraph is complete,
and stopping there never changes what the cleaner keeps."""

import pytest

import engine as dspy
from engine.core._reply_hints import REPLY_UNTIL as PARAM
from engine.core._reply_hints import until_kwargs
from engine.core._reply_hints import until_rule as rule
from engine.lm import ScriptedLM
from engine.optimizers.proposing._cleaning import (
    INSTRUCTION_RULE,
    clean_proposal,
    instruction_reply_kwargs,
    instruction_settled,
)

REPLIES = [
    "Route the ticket by its topic.\n\nThis works because it is short.",
    "Sure! Here is the new instruction:\n\nRoute the ticket by its topic.\n\nWhy: shorter.",
    "Sure!\n\nRoute the ticket by its topic.\n\nMore text.",
    "Okay, route each ticket by topic and urgency.\n\nThat is all.",
    "Instruction:\n\nRoute the ticket by its topic.\n\nNotes follow.",
    "Some thoughts first:\n\nThe feedback says more:\n\nRead the ticket closely.",
    "### New instruction\n\nRoute the ticket.\n\nEnd.",
    "[[ ## proposed_instruction ## ]]\nAnswer with the number.\n\n[[ ## completed ## ]]",
    "Read the ticket. Then pick the team that owns the problem named in it.",
    "\n\n\nRoute the ticket by its topic.\n\n",
]


def _first_settled_prefix(reply: str) -> str:
    """The reply as the embedded model would return it: cut at the first prefix where the rule
    holds (checked after every character, finer than tokens)."""
    for end in range(1, len(reply) + 1):
        if instruction_settled(reply[:end]):
            return reply[:end]
    return reply


@pytest.mark.parametrize("reply", REPLIES)
def test_stopping_where_the_rule_holds_keeps_the_same_instruction(reply):
    assert clean_proposal(_first_settled_prefix(reply)) == clean_proposal(reply)


def test_the_rule_holds_only_once_the_kept_paragraph_is_complete():
    assert not instruction_settled("Route the ticket by its topic.")
    assert instruction_settled("Route the ticket by its topic.\n\n")
    assert not instruction_settled("Here is the new instruction:\n\n")  # an introduction
    assert not instruction_settled("Sure!\n\n")  # chatter: the instruction comes next
    assert instruction_settled("Here is the new instruction:\n\nRoute it.\n\n")


def test_stopping_saves_the_text_after_the_kept_paragraph():
    reply = "Route the ticket by its topic.\n\n" + "Why this works: " * 40
    assert len(_first_settled_prefix(reply)) == len("Route the ticket by its topic.\n\n")


def test_the_rule_is_registered_and_sent_to_the_embedded_model_only():
    assert rule(INSTRUCTION_RULE) is instruction_settled
    assert rule("no such rule") is None
    assert instruction_reply_kwargs(dspy.LM("local/smollm2-135m")) == {PARAM: INSTRUCTION_RULE}
    assert instruction_reply_kwargs(dspy.LM("openai/gpt-4o-mini")) == {}
    assert until_kwargs(ScriptedLM([]), INSTRUCTION_RULE) == {}
