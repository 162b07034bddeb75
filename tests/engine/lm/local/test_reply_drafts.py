"""Reply drafts: the continuation every still-possible draft agrees on."""

from engine.lm.local._draft_text import draft_continuation

DRAFTS = [
    "[[ ## category ## ]]\ncard_arrival\n",
    "[[ ## category ## ]]\ncard_linking\n",
    "[[ ## category ## ]]\npin_blocked\n",
]


def test_before_anything_is_written_the_shared_header_is_drafted():
    assert draft_continuation(DRAFTS, "") == "[[ ## category ## ]]\n"
    assert draft_continuation(DRAFTS, "[[ ## cat") == "egory ## ]]\n"


def test_a_choice_is_drafted_once_the_reply_singles_it_out():
    assert draft_continuation(DRAFTS, "[[ ## category ## ]]\npin") == "_blocked\n"
    assert draft_continuation(DRAFTS, "[[ ## category ## ]]\ncard_") == ""  # two choices left
    assert draft_continuation(DRAFTS, "[[ ## category ## ]]\ncard_l") == "inking\n"


def test_nothing_is_drafted_off_the_drafts_or_past_their_end():
    assert draft_continuation(DRAFTS, "```python") == ""
    assert draft_continuation(DRAFTS, "[[ ## category ## ]]\npin_blocked\n") == ""
    assert draft_continuation([], "") == ""
