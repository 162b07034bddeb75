"""The system message is built once per signature and adapter, and anew when either changes."""

from __future__ import annotations

from typing import Literal

import pytest

import engine as ts


def _system(adapter: ts.Adapter, signature: type[ts.Signature]) -> str:
    return adapter.format(signature, [], {"text": "hi"})[0]["content"]


@pytest.mark.parametrize("adapter_class", [ts.ChatAdapter, ts.JSONAdapter, ts.XMLAdapter])
def test_instructions_changed_in_place_change_the_message(adapter_class: type) -> None:
    sig = ts.Signature("text -> label")
    adapter = adapter_class()
    first = _system(adapter, sig)
    assert _system(adapter, sig) is first  # reused, not rebuilt
    sig.instructions = "Label the text as spam or ham."  # DSPy's in-place change
    changed = _system(adapter, sig)
    assert "Label the text as spam or ham." in changed and changed != first


def test_each_adapter_class_writes_its_own_message_for_one_signature() -> None:
    sig = ts.Signature("text -> label")
    chat, json_text = _system(ts.ChatAdapter(), sig), _system(ts.JSONAdapter(), sig)
    assert chat != json_text
    assert _system(ts.ChatAdapter(), sig) == chat


def test_a_changed_field_changes_the_message() -> None:
    sig = ts.Signature("text -> label")
    adapter = ts.ChatAdapter()
    before = _system(adapter, sig)
    typed = sig.with_updated_fields("label", type_=Literal["spam", "ham"])
    assert "spam" in _system(adapter, typed) and "spam" not in before
    assert _system(adapter, sig) == before


def test_field_views_are_fresh_dicts_that_follow_the_signature() -> None:
    sig = ts.Signature("text, topic -> label")
    sig.input_fields.pop("text")  # a caller's edit stays in its copy
    assert list(sig.input_fields) == ["text", "topic"]
    assert list(sig.output_fields) == ["label"]
    longer = sig.append("why", ts.OutputField())
    assert list(longer.output_fields) == ["label", "why"]
    assert list(sig.output_fields) == ["label"]


def test_equal_unions_in_another_order_keep_their_own_names() -> None:
    """The type helpers remember results per annotation object, not per equal annotation:
    `int | str | None == str | int | None`, but a prompt names each as written."""
    first = ts.Signature({"text": ts.InputField(), "a": (int | str | None, ts.OutputField())})
    second = ts.Signature({"text": ts.InputField(), "a": (str | int | None, ts.OutputField())})
    assert first.output_fields["a"].type_name == "Optional[Union[int, str]]"
    assert second.output_fields["a"].type_name == "Optional[Union[str, int]]"
