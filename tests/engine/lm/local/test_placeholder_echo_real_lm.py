"""On the embedded model, an open `str` output is text, not the format section's `{name}`
placeholder copied: greedy and sampled, first output and later section; without the hint the
same calls copy it (so the checks can fail), and a value the model writes anyway is unchanged."""

import pytest
from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.core import REPLY_TEXT
from engine.lm import load_local_model
from engine.lm.local._placeholder_echo import TEMPLATE_MARKS

pytestmark = REAL_LM
MESSAGES = [
    "I lost my card yesterday, what do I do?",
    "Why was I charged twice for my coffee?",
    "My transfer to my landlord has not arrived",
    "How do I change my PIN?",
]


class Restate(dspy.Signature):
    """Restate a banking customer's message as one plain sentence."""

    text: str = dspy.InputField()
    request: str = dspy.OutputField(desc="what the customer wants, in one plain sentence")


class Extract(dspy.Signature):
    """Extract what a customer support ticket is about and the problem."""

    ticket: str = dspy.InputField()
    product: str = dspy.OutputField(desc="what the ticket is about: an order, an invoice, ...")
    problem: str = dspy.OutputField(desc="the customer's problem, in a few words")


def _values(signature, inputs, demos=(), **params) -> dict:
    adapter = ChatAdapter()
    messages = adapter.format(signature, list(demos), inputs)
    kwargs = {**adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), signature), **params}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    reply = load_local_model().chat(messages, {**kwargs, "max_tokens": 40})
    return adapter.parse(signature, reply["texts"][0])


def _opens_like_the_template(value: str) -> bool:
    value = value.lstrip()
    return not value or value[0] in TEMPLATE_MARKS


@pytest.mark.parametrize("params", [{"temperature": 0.0}, {"temperature": 1.0, "seed": 5}])
def test_an_open_first_output_is_text_not_the_placeholder(params):
    for message in MESSAGES:
        value = _values(Restate, {"text": message}, **params)["request"]
        assert not _opens_like_the_template(value), value


def test_without_the_hint_the_model_copies_the_placeholder():
    copied = [
        _values(Restate, {"text": m}, temperature=0.0, **{REPLY_TEXT: None})["request"]
        for m in MESSAGES
    ]
    assert sum(value.startswith("{request}") for value in copied) >= 3, copied


def test_a_later_open_section_is_text_too():
    for ticket in ["My invoice for October shows the wrong amount", "The app crashes at login"]:
        values = _values(Extract, {"ticket": ticket}, temperature=0.0)
        for name in ("product", "problem"):
            assert not _opens_like_the_template(values[name]), values


def test_a_value_the_model_writes_anyway_is_unchanged():
    demos = [
        dspy.Example(text="my card never came", request="The customer's card has not arrived."),
        dspy.Example(text="refund please", request="The customer wants a refund."),
    ]
    for message in MESSAGES[:2]:
        marked = _values(Restate, {"text": message}, demos, temperature=0.0)
        free = _values(Restate, {"text": message}, demos, temperature=0.0, **{REPLY_TEXT: None})
        assert not _opens_like_the_template(free["request"])  # the demos alone suffice here
        assert marked == free
