"""The header-line stop on the embedded model: reasoning ends where the model opens a header,
and the choice's header is written in (read in one batch) instead of generated a token a pass."""

from __future__ import annotations

import csv
from typing import Any, Literal

import pytest

import engine as dspy
from engine.adapters import ChatAdapter
from engine.adapters.chat import HEADER_LINE
from tests.engine.local_lm_helpers import REAL_LM
from tests.engine.review_data import REVIEWS

pytestmark = REAL_LM


class Sentiment(dspy.Signature):
    """Classify the sentiment of a product review."""

    review: str = dspy.InputField()
    sentiment: Literal["positive", "negative"] = dspy.OutputField()


class WithoutHeaderLineStop(ChatAdapter):
    """The chat adapter as it was before the stop: the model writes the next header itself."""

    def decoding_kwargs(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        sent = super().decoding_kwargs(*args, **kwargs)
        return {**sent, "stop": [s for s in sent["stop"] if s != HEADER_LINE]}


def _reason(adapter: ChatAdapter) -> tuple[list[Any], int]:
    """ChainOfThought sentiment, two labelled demos, eight sample reviews: the
    predictions and the tokens the model generated for them."""
    with REVIEWS.open(newline="") as handle:
        rows = [
            {"review": r["review"], "sentiment": r["sentiment"]} for r in csv.DictReader(handle)
        ]
    demos = [dspy.Example(**row).with_inputs("review") for row in rows[:2]]
    program = dspy.LabeledFewShot(k=2).compile(dspy.ChainOfThought(Sentiment), trainset=demos)
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=64, cache=False)
    with dspy.context(lm=lm, adapter=adapter):
        predictions = [program(review=row["review"]) for row in rows[2:10]]
    generated = sum(entry["usage"]["completion_tokens"] for entry in lm.history)
    return predictions, generated


@pytest.mark.slow
def test_reasoning_stops_at_the_header_it_opens_and_the_choice_is_still_made():
    with_stop, generated = _reason(ChatAdapter())
    before, generated_before = _reason(WithoutHeaderLineStop())
    for prediction in with_stop:
        assert prediction.sentiment in {"positive", "negative"}
        assert "[[" not in prediction.reasoning and prediction.reasoning.strip()
    # the header's tokens are no longer generated one by one (measured: 85 -> 48 tokens)
    assert generated < generated_before
    same = sum(a.sentiment == b.sentiment for a, b in zip(with_stop, before, strict=True))
    assert same >= 6  # the same choices, up to the rounding of batched evaluation
