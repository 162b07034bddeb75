"""A misspelt keyword is a TypeError, as in DSPy, not silently ignored: `Parallel`,
`StreamListener`, `Evaluate(...)(program, ...)` and `PythonInterpreter` take DSPy 3.4.1's
keywords (every one of them) and refuse others. `Evaluate(...)` itself accepts any keyword, as
DSPy's does, but names an unknown one in a warning with the keyword it was probably meant to be;
it accepts DSPy 2.x's `return_all_scores` and refuses `return_outputs=True` as DSPy does."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

import engine
from engine.streaming import StreamListener

real_dspy = pytest.importorskip("dspy")


def _keywords(fn: Callable[..., Any]) -> set[str]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {
        name
        for name, param in inspect.signature(fn).parameters.items()
        if param.kind in kinds and name != "self"
    }


def _takes_any_keyword(fn: Callable[..., Any]) -> bool:
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(fn).parameters.values()
    )


PAIRS = {
    "Parallel": (engine.Parallel.__init__, real_dspy.Parallel.__init__),
    "StreamListener": (StreamListener.__init__, real_dspy.streaming.StreamListener.__init__),
    "Evaluate.__call__": (engine.Evaluate.__call__, real_dspy.Evaluate.__call__),
    "PythonInterpreter": (engine.PythonInterpreter.__init__, real_dspy.PythonInterpreter.__init__),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_every_dspy_keyword_is_taken_and_no_other(name: str) -> None:
    ours, theirs = PAIRS[name]
    assert not _takes_any_keyword(theirs), f"DSPy's {name} now takes any keyword"
    assert not _takes_any_keyword(ours), f"{name} swallows unknown keywords"
    assert _keywords(theirs) <= _keywords(ours), _keywords(theirs) - _keywords(ours)


def _makers(lib: Any) -> dict[str, Callable[..., Any]]:
    devset = [lib.Example(question="q", answer="a").with_inputs("question")]
    evaluate = lib.Evaluate(devset=devset, metric=lambda gold, pred, trace=None: 1.0)
    listener = lib.streaming.StreamListener if lib is real_dspy else StreamListener
    return {
        "Parallel": lambda **kw: lib.Parallel(**kw),
        "StreamListener": lambda **kw: listener(signature_field_name="answer", **kw),
        "Evaluate.__call__": lambda **kw: evaluate(lib.Predict("question -> answer"), **kw),
        "PythonInterpreter": lambda **kw: lib.PythonInterpreter(**kw),
    }


@pytest.mark.parametrize("lib", [engine, real_dspy], ids=["engine", "dspy"])
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_a_misspelt_keyword_is_a_type_error(lib: Any, name: str) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_thread'"):
        _makers(lib)[name](num_thread=2)


def test_evaluate_takes_a_misspelling_as_dspy_does_and_names_it(caplog) -> None:
    devset = [engine.Example(question="q").with_inputs("question")]
    real_dspy.Evaluate(devset=devset, num_thread=4)  # DSPy 3.4.1 takes it, so existing code does
    with caplog.at_level("WARNING", logger="engine.evaluate.evaluate"):
        evaluate = engine.Evaluate(devset=devset, num_thread=4, colour="red")
    assert evaluate.num_threads is None
    assert "Evaluate ignores the keywords colour, num_thread (did you mean num_threads?)" in (
        caplog.text
    )


def test_evaluate_takes_dspys_keywords_and_its_old_flags_as_dspy_does() -> None:
    devset = [engine.Example(question="q").with_inputs("question")]
    assert _keywords(real_dspy.Evaluate.__init__) <= _keywords(engine.Evaluate.__init__)
    for lib in (engine, real_dspy):
        assert lib.Evaluate(devset=devset, return_all_scores=True).devset
        with pytest.raises(ValueError, match="`return_outputs` is no longer supported"):
            lib.Evaluate(devset=devset, return_outputs=True)
