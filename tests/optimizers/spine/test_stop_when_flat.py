"""Stop on a plateau (`stop_when_flat`): a search whose validation scorings stop beating the
best one ends after that many in a row, keeps its best program, runs its last steps and says
why; without the option the same search runs to its end."""

from __future__ import annotations

import engine as dspy
from engine.lm.scripted import ScriptedLM, input_fields
from engine.optimizers import RunContext

WORDS = ["apple", "brick", "cloud", "drum", "eagle", "flute", "grape", "house", "igloo", "jelly",
         "kiwi", "lemon", "mango", "nut", "olive", "pear"]  # fmt: skip


def _examples() -> list[dspy.Example]:
    return [dspy.Example(word=w, echo=w.upper()).with_inputs("word") for w in WORDS]


def _better_with_demos(messages: list[dict]) -> dict[str, str]:
    """Zero-shot right on the three-letter words only; with any demos, right on every word but
    the four-letter ones: the first set of demos is as good as any candidate gets (not perfect,
    so the search goes on)."""
    word = input_fields(messages[-1]["content"]).get("word", "")
    has_demos = any(m.get("role") == "assistant" for m in messages)
    right = len(word) != 4 if has_demos else len(word) == 3
    return {"echo": word.upper() if right else "WRONG"}


def _search(run: RunContext) -> dspy.Module:
    dspy.configure(lm=ScriptedLM(by_input=_better_with_demos))
    optimizer = dspy.BootstrapFewShotWithRandomSearch(
        metric=dspy.metrics.ExactMatch(), num_candidate_programs=8, max_bootstrapped_demos=2,
        max_labeled_demos=2,
    )  # fmt: skip
    examples = _examples()
    return optimizer.compile(dspy.Predict("word -> echo"), trainset=examples[:8],
                             valset=examples[8:], run=run)  # fmt: skip


def _val_scorings(result) -> int:
    """Validation scorings, whole or raced out (the baseline's among them)."""
    return sum(1 for t in result.trials if t.subset in ("val", "minibatch"))


def test_a_flat_search_stops_after_that_many_scorings_and_keeps_its_best() -> None:
    full = _search(RunContext()).result
    flat = _search(RunContext(stop_when_flat=3)).result
    assert _val_scorings(full) > _val_scorings(flat)
    assert flat.best_score == full.best_score and flat.status == "finished"
    settled = [e for e in flat.events if e.type == "search_settled"]
    assert len(settled) == 1 and settled[0].data["scorings"] == 3
    assert "did not improve in 3 scorings in a row" in settled[0].data["message"]
    logs = [e.data["message"] for e in flat.events if e.type == "log"]
    best = f"{100 * flat.best_score:.0f}%"
    assert any(m.startswith(f"stopped early: the best validation score ({best})") for m in logs)
    assert not [e for e in full.events if e.type == "search_settled"]


def test_the_stopped_search_hands_back_its_best_program() -> None:
    program = _search(RunContext(stop_when_flat=2))
    assert any(e.type == "search_settled" for e in program.result.events)
    assert program.result.best_score > program.result.baseline_score
    assert program(word="berry").echo == "BERRY"  # zero-shot wrong: the demos came back
