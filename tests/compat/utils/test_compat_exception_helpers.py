"""DSPy's `AdapterParseError` keywords, `format_error_for_lm` and the `dspy.adapters.types`
path."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.utils.exceptions import format_error_for_lm


def test_adapter_parse_error_takes_dspys_keywords():
    signature = dspy.make_signature("question -> answer1, answer2")
    error = dspy.AdapterParseError(adapter_name="ChatAdapter", signature=signature,
                                   lm_response="[[ ## answer1 ## ]]\nx",
                                   parsed_result={"answer1": "x"}, message="Look here")  # fmt: skip
    assert isinstance(error, dspy.DSPyError) and isinstance(error, ValueError)
    assert error.code == "adapter_parse_error"
    assert (error.adapter_name, error.signature) == ("ChatAdapter", signature)
    assert error.lm_response == error.raw_text == "[[ ## answer1 ## ]]\nx"
    assert error.missing == ["answer2"]
    text = str(error)
    assert text.startswith("Look here") and "ChatAdapter" in text and "answer2" in text


def test_the_engines_own_shape_is_unchanged():
    error = dspy.AdapterParseError("no answer field", raw_text="hello", missing=["answer"])
    assert str(error) == "no answer field\n--- raw LM output ---\nhello"
    assert error.missing == ["answer"] and error.lm_response == "hello"


def test_format_error_for_lm():
    def inner():
        raise RuntimeError("deep failure")

    def outer():
        inner()

    with pytest.raises(RuntimeError) as info:
        outer()
    assert format_error_for_lm(info.value) == "deep failure"
    one = format_error_for_lm(info.value, traceback_frames=1)
    full = format_error_for_lm(info.value, traceback_frames=5)
    assert one.startswith("\nTraceback (most recent call last):")
    assert one.count('File "') == 1 and full.count('File "') == 3
    assert full.endswith("RuntimeError: deep failure")


def test_adapters_types_path():
    from engine.adapters.types import Audio, File, History, Image, Tool
    from engine.adapters.types.audio import _normalize_audio_format

    assert (Audio, File, History, Image, Tool) == (dspy.Audio, dspy.File, dspy.History,
                                                   dspy.Image, dspy.Tool)  # fmt: skip
    assert [_normalize_audio_format(f) for f in ("x-wav", "mp3", "x-")] == ["wav", "mp3", ""]
