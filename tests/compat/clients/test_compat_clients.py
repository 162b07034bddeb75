"""`engine.clients` (DSPy's `dspy.clients` path) and `ContextWindowExceededError`: a provider's
context-window error reaches the caller as DSPy's exception type (issue 39, item 13)."""

from __future__ import annotations

import pytest

import engine
from engine.lm import ScriptedLM


def test_clients_path_holds_the_lm_names():
    from engine.clients import LM, Embedder, inspect_history

    assert LM is engine.LM and inspect_history is engine.inspect_history
    assert Embedder.__name__ == "Embedder"


class ContextWindowExceededError(Exception):
    """What litellm raises (matched by name, as engine.lm.calls.error_map does)."""


def _too_long(messages):
    raise ContextWindowExceededError("This model's maximum context length is 8192 tokens")


def test_a_context_window_error_is_dspys_exception():
    engine.configure(lm=ScriptedLM(by_input=_too_long, num_retries=0))
    with pytest.raises(engine.ContextWindowExceededError, match="context window") as info:
        engine.Predict("question -> answer")(question="a very long question")
    error = info.value
    assert isinstance(error, engine.LMError) and error.model == "scripted/default"
    assert "fewer demos" in str(error)


def test_context_window_error_takes_dspys_keywords():
    error = engine.ContextWindowExceededError(model="openai/gpt-4o-mini")
    assert error.model == "openai/gpt-4o-mini"
    assert str(error) == "[openai/gpt-4o-mini] Context window exceeded" and error.message
    dspy = pytest.importorskip("dspy")
    theirs = dspy.ContextWindowExceededError(model="openai/gpt-4o-mini")
    assert theirs.model == error.model and str(theirs) == str(error)
