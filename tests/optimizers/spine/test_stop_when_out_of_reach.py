"""Stop when out of reach (`stop_when_out_of_reach`): a search whose call budget is too short
for another scoring to likely beat the best one ends before the budget does, keeps its best and
says why; without a call limit the rule never fires."""

from __future__ import annotations

import zlib

import engine as dspy
from engine.lm.budget import Budget
from engine.lm.scripted import ScriptedLM, input_fields
from engine.optimizers import RunContext

WORDS = ["apple", "brick", "cloud", "drum", "eagle", "flute", "grape", "house", "igloo", "jelly",
         "kiwi", "lemon", "mango", "nut", "olive", "pear", "quill", "robin", "stone", "tiger",
         "umbra", "vine", "wheat", "yarn"]  # fmt: skip


def _spread_by_demos(messages: list[dict]) -> dict[str, str]:
    """Zero-shot right on the three-letter words only; with demos, right on about two rows in
    three, which ones depending on the demos: candidates score apart, none perfect."""
    word = input_fields(messages[-1]["content"]).get("word", "")
    demos = "|".join(m["content"] for m in messages if m.get("role") == "assistant")
    right = len(word) == 3 if not demos else zlib.crc32(f"{demos}:{word}".encode()) % 3 != 0
    return {"echo": word.upper() if right else "WRONG"}


def _search(run: RunContext) -> dspy.Module:
    dspy.configure(lm=ScriptedLM(by_input=_spread_by_demos))
    optimizer = dspy.BootstrapFewShotWithRandomSearch(
        metric=dspy.metrics.ExactMatch(), num_candidate_programs=30, max_bootstrapped_demos=2,
        max_labeled_demos=2, race=False,
    )  # fmt: skip
    examples = [dspy.Example(word=w, echo=w.upper()).with_inputs("word") for w in WORDS]
    return optimizer.compile(dspy.Predict("word -> echo"), trainset=examples[:8],
                             valset=examples[8:], run=run)  # fmt: skip


def _settled(result) -> list[str]:
    return [e.data["message"] for e in result.events if e.type == "search_settled"]


def test_a_short_budget_stops_the_search_before_it_runs_out_and_says_why() -> None:
    spent = _search(RunContext(budget=Budget(max_calls=400))).result
    early = _search(RunContext(budget=Budget(max_calls=400), stop_when_out_of_reach=0.2)).result
    assert spent.status == "stopped: budget" and not _settled(spent)
    assert early.status == "finished" and early.best_score == spent.best_score
    assert early.usage["calls"] < spent.usage["calls"]
    [said] = _settled(early)
    best = f"{100 * early.best_score:.0f}%"
    assert said.startswith("stopped early: about ") and "more scorings had a " in said
    assert f"chance of beating the best validation score ({best}), given the spread" in said
    logs = [e.data["message"] for e in early.events if e.type == "log"]
    assert said in logs


def test_without_a_call_limit_or_with_a_tiny_chance_the_rule_never_fires() -> None:
    full = _search(RunContext()).result
    unlimited = _search(RunContext(stop_when_out_of_reach=0.45)).result
    assert unlimited.status == "finished" and not _settled(unlimited)
    assert len(unlimited.trials) == len(full.trials)
    tiny = _search(RunContext(budget=Budget(max_calls=400), stop_when_out_of_reach=1e-6)).result
    assert tiny.status == "stopped: budget" and not _settled(tiny)


def test_with_both_stops_on_the_first_to_fire_ends_the_search() -> None:
    budget = 400
    flat_first = _search(RunContext(budget=Budget(max_calls=budget), stop_when_flat=2,
                                    stop_when_out_of_reach=0.2)).result  # fmt: skip
    [said] = _settled(flat_first)
    assert "did not improve in 2 scorings in a row" in said
    reach_first = _search(RunContext(budget=Budget(max_calls=budget), stop_when_flat=1000,
                                     stop_when_out_of_reach=0.2)).result  # fmt: skip
    [said] = _settled(reach_first)
    assert "chance of beating the best validation score" in said
