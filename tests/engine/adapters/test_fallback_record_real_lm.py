"""Hopeless parse fallbacks on the embedded model: after five failures a prompt gets no more."""

from __future__ import annotations

from local_lm_helpers import REAL_LM, Triage, ticket_rows

import engine as dspy
from engine.adapters import ChatAdapter
from engine.adapters.base import Adapter
from engine.adapters.replies.fallback_record import FAILURES_BEFORE_SKIP
from engine.core._errors import AdapterParseError
from engine.core._reply_hints import REPLY_CLOSED as CLOSED_PARAM
from engine.core._reply_hints import REPLY_START as START_PARAM

pytestmark = REAL_LM


class OpenReplies(ChatAdapter):
    """The chat adapter without its reply start and closed labels, as a GGUF whose chat format
    the embedded model does not render gets it: SmolLM2 then often answers zero-shot in prose."""

    def decoding_kwargs(self, lm, signature, demos=(), one_line=()):
        kwargs = super().decoding_kwargs(lm, signature, demos, one_line)
        kwargs.pop(START_PARAM, None)
        kwargs.pop(CLOSED_PARAM, None)
        return kwargs


def test_zero_shot_smollm2_stops_paying_for_fallbacks_that_never_work():
    tickets = [row["ticket"] for row in ticket_rows()][:16]  # about half miss the format
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=48, cache=False)
    dspy.configure(lm=lm, adapter=OpenReplies())
    triage = dspy.Predict(Triage)
    failures = 0
    for ticket in tickets:
        try:
            triage(ticket=ticket)
        except AdapterParseError:
            failures += 1
    fallback_calls = sum(1 for h in lm.history if len(h["messages"]) > 2)
    (outcomes,) = Adapter.fallback_record.snapshot()  # one prompt family: no demos
    assert fallback_calls == outcomes.failed + outcomes.succeeded
    assert failures > FAILURES_BEFORE_SKIP, (
        "zero-shot SmolLM2 was expected to miss the reply format on most tickets; "
        f"it missed {failures} of {len(tickets)}"
    )
    if outcomes.succeeded == 0:
        assert outcomes.failed == FAILURES_BEFORE_SKIP
        assert outcomes.skipped == failures - FAILURES_BEFORE_SKIP
        assert len(lm.history) == len(tickets) + FAILURES_BEFORE_SKIP
