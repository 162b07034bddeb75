"""A run never ends worse than where it started (issue 37 item 7): when every candidate scores
below the student as given on validation, the student comes back, and the run says so."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.cli._format import summary
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
    assert "The start was kept: the result is your prompt as given." in text
    assert "No candidate beat it clearly on validation" in text


def _one_better_with_demos(messages: list[dict]) -> dict[str, str]:
    """Right zero-shot except on 'jelly'; with demos, right on every row: a one-row gain."""
    word = input_fields(messages[-1]["content"]).get("word", "")
    has_demos = any(m.get("role") == "assistant" for m in messages)
    return {"echo": "WRONG" if word == "jelly" and not has_demos else word.upper()}


def _compile(answer, keep_start: str | None, valset: list) -> dspy.Module:
    from engine.optimizers import RunContext

    dspy.configure(lm=ScriptedLM(by_input=answer))
    run = RunContext() if keep_start is None else RunContext(keep_start=keep_start)
    optimizer = dspy.LabeledFewShot(k=3, metric=dspy.metrics.ExactMatch())
    return optimizer.compile(dspy.Predict("word -> echo"), trainset=_examples()[:5],
                             valset=valset, run=run)  # fmt: skip


def test_a_gain_within_its_noise_keeps_the_start_under_the_unreliable_rule() -> None:
    val = _examples()[5:]  # 5 rows: +1 row is +20 points, but its 95% range includes 0
    kept = _compile(_one_better_with_demos, "unreliable", val)
    assert all(not p.demos for _, p in kept.named_predictors())
    logs = [e.data["message"] for e in kept.result.events if e.type == "log"]
    assert any("no clear gain on validation: +20 points on 5 rows, no clear difference (95% "
               "range 0 to +60 points)" in m for m in logs), logs  # fmt: skip
    taken = _compile(_one_better_with_demos, None, val)  # the default rule: only "worse"
    assert all(p.demos for _, p in taken.named_predictors())


def test_a_clear_gain_is_kept_under_the_unreliable_rule() -> None:
    words = [f"w{i}" for i in range(20)]
    val = [dspy.Example(word=w, echo=w.upper()).with_inputs("word") for w in words]
    compiled = _compile(_worse_zero_shot, "unreliable", val)
    assert compiled.result.best_score == 1.0 and compiled.result.baseline_score == 0.0
    assert all(p.demos for _, p in compiled.named_predictors())


def _worse_zero_shot(messages: list[dict]) -> dict[str, str]:
    word = input_fields(messages[-1]["content"]).get("word", "")
    has_demos = any(m.get("role") == "assistant" for m in messages)
    return {"echo": word.upper() if has_demos else "WRONG"}


def test_the_rule_is_checked() -> None:
    from engine.optimizers.spine._context import start_kept_reason

    with pytest.raises(ValueError, match="keep_start must be one of"):
        start_kept_reason(None, None, "never")
