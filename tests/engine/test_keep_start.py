"""A run never ends worse than where it started (issue 37 item 7): when every candidate scores
below the student as given on validation, the student comes back, and the run says so."""

from __future__ import annotations

import engine as dspy
from engine.cli_format import summary
from engine.lm.scripted import ScriptedLM, input_fields

WORDS = ["apple", "brick", "cloud", "drum", "eagle", "flute", "grape", "house", "igloo", "jelly"]


def _examples() -> list[dspy.Example]:
    return [dspy.Example(word=w, echo=w.upper()).with_inputs("word") for w in WORDS]


def _worse_with_demos(messages: list[dict]) -> dict[str, str]:
    """Right zero-shot; with demos in the prompt, wrong on every row."""
    word = input_fields(messages[-1]["content"]).get("word", "")
    has_demos = any(m.get("role") == "assistant" for m in messages)
    return {"echo": "WRONG" if has_demos else word.upper()}


def test_labeled_fewshot_that_hurts_keeps_the_starting_program() -> None:
    examples = _examples()
    dspy.configure(lm=ScriptedLM(by_input=_worse_with_demos))
    student = dspy.Predict("word -> echo")
    optimizer = dspy.LabeledFewShot(k=3, metric=dspy.metrics.ExactMatch())
    compiled = optimizer.compile(student, trainset=examples[:5], valset=examples[5:])
    result = compiled.result
    assert result.baseline_score == 1.0 and result.best_score == 1.0
    assert all(not p.demos for _, p in compiled.named_predictors())
    logs = [e.data["message"] for e in result.events if e.type == "log"]
    assert any("kept the starting program" in m for m in logs), logs
    assert compiled(word="kiwi").echo == "KIWI"


def test_cli_summary_says_the_start_was_kept() -> None:
    run = {"id": "r1", "name": "n", "status": "finished", "baseline_score": 1.0,
           "best_score": 1.0, "baseline_candidate": "abc", "best_candidate": "abc"}  # fmt: skip
    text = summary(run, {"calls": 1}, 2, 2)
    assert "kept the starting program: no candidate beat it on validation" in text
