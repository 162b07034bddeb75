"""A `str` output whose description lists its labels, on the embedded model: every reply is one
of them (closed, as a Literal's), the model reports its scores for them, and without the closing
the same zero-shot prompts often answer off the list (the fault the lever removes). An `int`
output whose description gives its codes is closed the same way."""

from __future__ import annotations

from local_lm_helpers import REAL_LM, ticket_rows

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.core._errors import AdapterParseError
from engine.core._reply_hints import REPLY_CLOSED as CLOSED_PARAM
from engine.lm import load_local_model

pytestmark = REAL_LM
LABELS = ("billing", "shipping", "technical")


class Route(dspy.Signature):
    """Route a customer support ticket to the right team."""

    ticket: str = dspy.InputField()
    team: str = dspy.OutputField(desc="one of: billing, shipping, technical")


class TeamNumber(dspy.Signature):
    """Give the number of the team that should handle a support ticket."""

    ticket: str = dspy.InputField()
    team: int = dspy.OutputField(desc="1 for billing, 2 for shipping, 3 for technical problems")


def _replies(closed: bool, signature: type = Route) -> list[dict]:
    """Zero-shot replies to the first 8 sample tickets, straight from the embedded model."""
    adapter = ChatAdapter()
    kwargs = adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), signature)
    if not closed:
        kwargs.pop(CLOSED_PARAM)
    model = load_local_model()
    out = []
    for row in ticket_rows()[:8]:
        messages = adapter.format(signature, [], {"ticket": row["ticket"]})
        out.append(model.chat(messages, {**kwargs, "temperature": 0.0, "max_tokens": 32}))
    return out


def _team(reply: dict, signature: type = Route) -> str | None:
    """The parsed team (None when the adapter says the reply does not parse; any other error
    fails the test)."""
    try:
        return ChatAdapter().parse(signature, reply["texts"][0])["team"]
    except AdapterParseError:
        return None


def test_every_reply_is_a_described_label_with_its_scores():
    replies = _replies(closed=True)
    assert all(_team(r) in LABELS for r in replies)
    scores = [ChatAdapter().read_choice_scores(Route, r["choice_scores"][0]) for r in replies]
    assert all(set(s.get("team", {})) == set(LABELS) for s in scores)


def test_open_drafts_let_the_same_prompts_answer_off_the_list():
    assert any(_team(r) not in LABELS for r in _replies(closed=False))


def test_every_reply_to_a_described_int_is_one_of_its_codes_with_their_scores():
    replies = _replies(closed=True, signature=TeamNumber)
    assert all(_team(r, TeamNumber) in (1, 2, 3) for r in replies)
    scores = [ChatAdapter().read_choice_scores(TeamNumber, r["choice_scores"][0]) for r in replies]
    assert all(set(s.get("team", {})) == {"1", "2", "3"} for s in scores)
