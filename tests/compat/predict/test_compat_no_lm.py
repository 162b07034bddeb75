"""With no LM configured, library code raises as DSPy does (issue 39, item 13), instead of
falling back to the embedded model; the dashboard and the CLI turn that default on for
themselves (`use_embedded_default`)."""

from __future__ import annotations

import os

import pytest

import engine as dspy
from engine.lm.lm import EMBEDDED_DEFAULT_ENV, embedded_default_enabled

real_dspy = pytest.importorskip("dspy")


@pytest.fixture
def no_embedded_default(monkeypatch):
    monkeypatch.delenv(EMBEDDED_DEFAULT_ENV, raising=False)


def test_a_call_with_no_lm_raises_the_same_message_as_dspy(no_embedded_default):
    with pytest.raises(ValueError, match="No LM is loaded") as ours:
        dspy.Predict("question -> answer")(question="hi")
    assert isinstance(ours.value, dspy.NoLMConfiguredError)
    with real_dspy.context(lm=None), pytest.raises(ValueError, match="No LM is loaded"):
        real_dspy.Predict("question -> answer")(question="hi")
    with pytest.raises(dspy.NoLMConfiguredError):
        dspy.ChainOfThought("question -> answer")(question="hi")


def test_the_switch_is_explicit_and_reaches_child_processes(no_embedded_default, monkeypatch):
    assert not embedded_default_enabled()
    dspy.use_embedded_default()
    assert embedded_default_enabled()
    assert os.environ[EMBEDDED_DEFAULT_ENV] == "1"  # worker processes inherit it
    dspy.use_embedded_default(False)
    assert not embedded_default_enabled()


def test_the_cli_turns_the_embedded_default_on(no_embedded_default, tmp_path):
    from engine.cli import main

    main(["runs", "--db", str(tmp_path / "runs.db")])
    assert embedded_default_enabled()
