"""Sampled replies to a closed choice on the embedded model are always one of its values
(optimizers' rollouts sample at temperature > 0), and sampling still varies the pick."""

from typing import Literal

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.core._errors import AdapterParseError
from engine.core._reply_hints import REPLY_CLOSED as CLOSED_PARAM
from engine.lm import load_local_model

pytestmark = REAL_LM
CHOICES = ("positive", "negative")


class Mood(dspy.Signature):
    """Classify the sentiment of a product review."""

    review: str = dspy.InputField()
    sentiment: Literal["positive", "negative"] = dspy.OutputField()


class MoodWithReasons(dspy.Signature):
    """Classify the sentiment of a product review."""

    review: str = dspy.InputField()
    reasoning: str = dspy.OutputField()
    sentiment: Literal["positive", "negative"] = dspy.OutputField()


REVIEW = "The headphones stopped charging after a few days."


def _sample(signature, temperature: float, seeds: range, closed: bool = True) -> list[str]:
    """The parsed sentiment of one sampled reply per seed (None when the adapter says it does
    not parse; any other error is a failure of the test, not a None)."""
    adapter = ChatAdapter()
    messages = adapter.format(signature, [], {"review": REVIEW})
    kwargs = adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), signature)
    if not closed:
        kwargs.pop(CLOSED_PARAM, None)
    model = load_local_model()
    picks = []
    for seed in seeds:
        reply = model.chat(messages, {**kwargs, "temperature": temperature, "max_tokens": 48,
                                      "seed": seed})  # fmt: skip
        try:
            picks.append(adapter.parse(signature, reply["texts"][0])["sentiment"])
        except AdapterParseError:
            picks.append(None)
    return picks


def test_sampled_closed_replies_are_always_a_choice_and_vary_with_the_seed():
    picks = _sample(Mood, 1.5, range(10))
    assert set(picks) == set(CHOICES)  # every reply parses, and both values come up


def test_free_sampling_of_the_same_reply_often_is_no_choice():
    assert None in _sample(Mood, 1.5, range(10), closed=False)  # the fault the lever removes


def test_a_choice_after_sampled_reasoning_is_always_one_of_its_values():
    assert set(_sample(MoodWithReasons, 1.0, range(6))) <= set(CHOICES)


def test_several_sampled_replies_in_one_call_are_each_a_choice():
    adapter = ChatAdapter()
    messages = adapter.format(Mood, [], {"review": REVIEW})
    kwargs = adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), Mood)
    reply = load_local_model().chat(messages, {**kwargs, "temperature": 1.0, "n": 3})
    assert len(reply["texts"]) == 3
    assert all(adapter.parse(Mood, text)["sentiment"] in CHOICES for text in reply["texts"])
