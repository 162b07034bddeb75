"""Number replies: while an int or float value is written, only the tokens a number takes are
allowed, and the adapter asks for it on number outputs (embedded model only)."""

import pytest

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.core._reply_hints import REPLY_NUMBER as PARAM
from engine.core._reply_hints import number_kind
from engine.lm import LM
from engine.lm.local._numbers import NumberTokens

PIECES = ["1", "23", "-", ".", "\n", "\n\n", "a", " 4", "The", "4x", " \n"]


class FakeVocab:
    """A llama-like vocabulary of PIECES (token id = index)."""

    def n_vocab(self) -> int:
        return len(PIECES)

    def detokenize(self, tokens: list[int]) -> bytes:
        return "".join(PIECES[t] for t in tokens).encode()


def _pieces(tokens) -> set[str]:
    return {PIECES[t] for t in tokens}


TOKENS = NumberTokens.of(FakeVocab())


def test_the_vocabulary_scan_finds_digits_signs_dots_and_line_breaks():
    assert _pieces(TOKENS.digits) == {"1", "23"}
    assert _pieces(TOKENS.minus) == {"-"} and _pieces(TOKENS.dot) == {"."}
    assert _pieces(TOKENS.line_break) == {"\n", "\n\n", " \n"}


@pytest.mark.parametrize(
    ("value", "kind", "allowed"),
    [
        ("", "int", {"1", "23", "-"}),  # a number starts with a digit or a sign
        ("-", "int", {"1", "23"}),
        ("12", "int", {"1", "23", "\n", "\n\n", " \n"}),  # more digits, or the end
        ("12", "float", {"1", "23", ".", "\n", "\n\n", " \n"}),
        ("1.", "float", {"1", "23"}),
        ("1.5", "float", {"1", "23", "\n", "\n\n", " \n"}),  # one dot only
    ],
)
def test_only_number_tokens_are_allowed(value, kind, allowed):
    assert _pieces(TOKENS.allowed(value, kind)) == allowed


def test_a_value_with_its_line_break_is_complete():
    assert TOKENS.allowed("12\n", "int") is None


def test_only_known_kinds_are_read():
    assert number_kind("int") == "int" and number_kind("float") == "float"
    assert number_kind("str") is None and number_kind(None) is None


def test_the_adapter_asks_the_embedded_model_for_number_replies():
    adapter, local = ChatAdapter(), LM("local/smollm2-135m")
    assert adapter.decoding_kwargs(local, dspy.Signature("ticket -> team: int"))[PARAM] == "int"
    cot = dspy.ChainOfThought("question -> answer: float").predict.signature
    kwargs = adapter.decoding_kwargs(local, cot)
    assert PARAM not in kwargs  # the first output is the reasoning
    assert kwargs["reply_sections"] == [
        {"header": "[[ ## answer ## ]]\n", "values": [], "max_tokens": 16, "number": "float"}
    ]
    assert "[[ ## answer ## ]]" in kwargs["stop"]  # the model's own writing stops there
    hosted = adapter.decoding_kwargs(LM("openai/gpt-4o-mini"), cot)  # hosted: a schema, no hints
    assert list(hosted) == ["response_format"]
    assert hosted["response_format"]["json_schema"]["schema"]["properties"]["answer"] == {
        "type": "number"}  # fmt: skip
