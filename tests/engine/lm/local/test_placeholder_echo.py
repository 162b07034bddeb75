"""Plain-text values: the adapter marks them, and their first token is never one that opens like
the format section (a `{name}` placeholder, a header, a heading, a tag, code) or is blank."""

from typing import Literal

import numpy as np

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.core import REPLY_TEXT, ReplyHints, Section
from engine.lm import LM
from engine.lm.local._placeholder_echo import (
    best_allowed,
    first_token_processor,
    template_tokens,
)

PIECES = ["{", " {", "{request", "[", "[#", " #", "<", "`", "\n", "", "The", " the", "a", "1", "$"]


class FakeVocab:
    """A llama-like vocabulary of PIECES (token id = index)."""

    def n_vocab(self) -> int:
        return len(PIECES)

    def detokenize(self, tokens: list[int]) -> bytes:
        return "".join(PIECES[t] for t in tokens).encode()


def test_the_scan_rules_out_template_marks_and_blank_pieces_only():
    banned = {PIECES[t] for t in template_tokens(FakeVocab())}
    assert banned == {"{", " {", "{request", "[", "[#", " #", "<", "`", "\n", ""}


def test_the_pick_is_the_best_token_left_and_unchanged_when_allowed():
    ruled_out = template_tokens(FakeVocab())
    logits = np.zeros(len(PIECES))
    logits[PIECES.index("{")], logits[PIECES.index(" the")] = 9.0, 5.0
    assert PIECES[best_allowed(logits, ruled_out)] == " the"
    logits[PIECES.index("The")] = 10.0  # the model's own pick is allowed: it stands
    assert PIECES[best_allowed(logits, ruled_out)] == "The"


def test_the_logits_processor_acts_on_the_first_generated_token_only():
    ruled_out = template_tokens(FakeVocab())
    process = first_token_processor(ruled_out, prompt_length=3)
    scores = np.ones(len(PIECES))
    first = process(np.arange(3), scores)
    assert np.isneginf(first[ruled_out]).all() and first[PIECES.index("a")] == 1.0
    assert (process(np.arange(4), scores) == scores).all()  # later tokens: as the model says
    assert (scores == 1.0).all()  # the caller's array is not changed


class Extract(dspy.Signature):
    """Extract what a ticket is about."""

    ticket: str = dspy.InputField()
    product: str = dspy.OutputField()
    tags: list[str] = dspy.OutputField()
    team: Literal["billing", "shipping"] = dspy.OutputField()
    problem: str = dspy.OutputField(desc="the problem, in a few words")


def test_the_adapter_marks_plain_text_outputs_for_the_embedded_model_only():
    adapter, local = ChatAdapter(), LM("local/smollm2-135m")
    kwargs = adapter.decoding_kwargs(local, Extract)
    assert kwargs[REPLY_TEXT] is True  # product
    sections = {s["header"].split("##")[1].strip(): s for s in kwargs["reply_sections"]}
    assert {name: s.get("text", False) for name, s in sections.items()} == {
        "tags": False, "team": False, "problem": True}  # fmt: skip
    closed = adapter.decoding_kwargs(local, dspy.Signature("ticket -> team: bool"))
    assert REPLY_TEXT not in closed
    labels = dspy.Signature("ticket -> team", instructions="Route it.")
    labels = labels.with_updated_fields("team", desc="one of: billing, shipping")
    assert REPLY_TEXT not in adapter.decoding_kwargs(local, labels)  # labels close a str
    assert REPLY_TEXT not in adapter.decoding_kwargs(LM("openai/gpt-4o-mini"), Extract)


def test_the_hint_and_the_section_flag_round_trip():
    section = Section("[[ ## b ## ]]\n", text=True)
    params = {REPLY_TEXT: True, "reply_sections": [section.to_param()]}
    hints = ReplyHints.pop(params)
    assert hints.text and hints.sections[0].text and params == {}
    assert "text" not in Section("[[ ## c ## ]]\n", ("x",)).to_param()
    assert not ReplyHints.pop({}).text
