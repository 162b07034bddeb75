"""The header-line stop on the embedded model: reasoning ends where the model opens a header,
and the next output's header is written in (read in one batch) instead of generated a token a
pass; an open answer then has the room the call has left."""

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


class Verdict(dspy.Signature):
    """Quote the sentence of a product review that states the reviewer's verdict."""

    review: str = dspy.InputField()
    verdict: str = dspy.OutputField(desc="the sentence of the review that gives its verdict")


def _reason(adapter: ChatAdapter, signature: type, rows: list[dict]) -> tuple[list[Any], int]:
    """ChainOfThought with the first two rows as labelled demos on the next eight: the
    predictions and the tokens the model generated for them."""
    demos = [dspy.Example(**row).with_inputs("review") for row in rows[:2]]
    program = dspy.LabeledFewShot(k=2).compile(dspy.ChainOfThought(signature), trainset=demos)
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=64, cache=False)
    with dspy.context(lm=lm, adapter=adapter):
        predictions = [program(review=row["review"]) for row in rows[2:10]]
    generated = sum(entry["usage"]["completion_tokens"] for entry in lm.history)
    return predictions, generated


def _reviews() -> list[dict[str, str]]:
    with REVIEWS.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_reasoning_stops_at_the_header_it_opens_and_the_choice_is_still_made():
    rows = [{"review": r["review"], "sentiment": r["sentiment"]} for r in _reviews()]
    with_stop, generated = _reason(ChatAdapter(), Sentiment, rows)
    before, generated_before = _reason(WithoutHeaderLineStop(), Sentiment, rows)
    for prediction in with_stop:
        assert prediction.sentiment in {"positive", "negative"}
        assert "[[" not in prediction.reasoning and prediction.reasoning.strip()
    # the header's tokens are no longer generated one by one (measured: 85 -> 56 tokens)
    assert generated < generated_before
    same = sum(a.sentiment == b.sentiment for a, b in zip(with_stop, before, strict=True))
    assert same >= 6  # the same choices, up to the rounding of batched evaluation


@pytest.mark.slow
def test_an_open_answer_after_the_reasoning_is_written_from_its_header_in_full():
    rows = [{"review": r["review"], "verdict": r["review"].split(". ")[0]} for r in _reviews()]
    with_stop, generated = _reason(ChatAdapter(), Verdict, rows)
    _, generated_before = _reason(WithoutHeaderLineStop(), Verdict, rows)
    for prediction in with_stop:
        assert "[[" not in prediction.reasoning and prediction.verdict.strip()
        assert "[[" not in prediction.verdict
    assert generated < generated_before  # measured: 219 -> 176 tokens
