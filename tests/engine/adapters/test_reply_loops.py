"""The loop rule: an open value stops where a line of its field comes a second time, and what is
kept is the reply before the repeat."""

import pytest

from engine.adapters.replies.reply_loops import (
    MIN_LINE,
    RULE,
    before_loop,
    looping,
    repeated_line_start,
)
from engine.core._reply_hints import until_keeper as keeper
from engine.core._reply_hints import until_rule as rule

LOOP = "[[ ## reasoning ## ]]\nThe blender broke after a week.\n\nThe blender broke after a week.\n"


def _first_stop(reply: str) -> str:
    """The reply as the embedded model returns it: cut where the rule first holds (checked after
    every character, finer than tokens), then kept by the rule's keeper."""
    for end in range(1, len(reply) + 1):
        if looping(reply[:end]):
            return before_loop(reply[:end])
    return reply


def test_a_repeated_line_stops_the_reply_and_is_not_kept():
    assert looping(LOOP)
    assert before_loop(LOOP) == "[[ ## reasoning ## ]]\nThe blender broke after a week.\n"
    assert _first_stop(LOOP + "The blender broke after a week.\n" * 5) == before_loop(LOOP)


def test_a_line_still_being_written_does_not_count_but_a_finished_reply_ends_its_last_line():
    assert not looping(LOOP.rstrip("\n"))
    assert before_loop(LOOP.rstrip("\n")) == before_loop(LOOP)  # the model stopped there


@pytest.mark.parametrize(
    "reply",
    [
        "[[ ## answer ## ]]\n---\nStep 1:\nRead it.\n---\nStep 1:\n",  # short lines may repeat
        "[[ ## code ## ]]\nif x:\n  {\n  }\n}\nend\nend\n",  # one word twice in a row: code
        "[[ ## a ## ]]\nThe same long line here.\n[[ ## b ## ]]\nThe same long line here.\n",
        "[[ ## summary ## ]]\nFirst point of the summary.\nSecond point of the summary.\n",
    ],
)
def test_sound_values_are_left_whole(reply):
    assert repeated_line_start(reply) is None
    assert before_loop(reply) == reply


def test_only_lines_of_min_length_count():
    line = "x" * MIN_LINE
    assert looping(f"{line}\n{line}\n")
    assert not looping(f"{line[1:]}\n{line[1:]}\n")


def test_a_short_line_of_several_words_stops_the_reply_when_written_twice_in_a_row():
    answer = "[[ ## answer ## ]]\nThe answer is:\n\n"
    assert looping(answer + "The answer is:\n")
    assert _first_stop(answer + "The answer is:\n\n" * 7 + "10 am\n") == answer.rstrip() + "\n"
    assert not looping(answer + "10 am\nThe answer is:\n")  # not right after itself
    assert not looping("[[ ## a ## ]]\nThe answer is:\n[[ ## b ## ]]\nThe answer is:\n")


def test_the_rule_and_its_keeper_are_registered():
    assert rule(RULE) is looping
    assert keeper(RULE) is before_loop
    assert keeper("instruction rule without keeper") is None
