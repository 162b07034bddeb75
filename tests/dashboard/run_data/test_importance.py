"""Which setting mattered: the settings a candidate is made of, the trials' table, the share
each setting explains (Optuna's PED-ANOVA) and the score by value."""

from __future__ import annotations

import random

import pandas as pd

from dashboard.run_data import importance as im


def _state(instruction: str, demos: int) -> dict:
    shown = [{"text": f"d{i}", "label": "x"} for i in range(demos)]
    return {"classify": {"signature": {"instructions": instruction}, "demos": shown}}


def test_without_proposals_instructions_are_numbered_and_examples_counted() -> None:
    cands = [{"hash": "a", "state": _state("Sort it.", 0)},
             {"hash": "b", "state": _state("Sort it.", 3)},
             {"hash": "c", "state": _state("Route the ticket.", 3)}]  # fmt: skip
    settings = im.candidate_settings([], cands)
    assert settings["a"] == {"classify: instruction": "instruction 0",
                             "classify: examples": "0 examples"}  # fmt: skip
    assert settings["c"]["classify: instruction"] == "instruction 1"
    assert settings["b"]["classify: examples"] == "3 examples"


def test_a_setting_that_never_varies_is_left_out() -> None:
    settings = {"a": {"s: instruction": "instruction 0", "s: examples": "2 examples"},
                "b": {"s: instruction": "instruction 0", "s: examples": "4 examples"}}  # fmt: skip
    trials = [{"candidate": "a", "subset": "val", "score": 0.5},
              {"candidate": "b", "subset": "minibatch", "score": 0.7},
              {"candidate": "b", "subset": "test", "score": 0.9},  # held-out: not the search's
              {"candidate": "z", "subset": "val", "score": 0.1}]  # fmt: skip
    frame = im.settings_table(settings, trials)
    assert list(frame.columns) == ["s: examples", "score"] and len(frame) == 2


def test_the_setting_that_decides_the_score_explains_the_most() -> None:
    rng = random.Random(0)
    rows = []
    for _ in range(24):
        instruction, demo_set = rng.randrange(3), rng.randrange(5)
        score = 0.3 + 0.3 * (instruction == 1) + 0.02 * rng.random()
        rows.append({"instruction": f"instruction {instruction}",
                     "example set": f"example set {demo_set}", "score": score})  # fmt: skip
    frame = pd.DataFrame(rows)
    shares = im.importances(frame)
    assert set(shares) == {"instruction", "example set"}
    assert abs(sum(shares.values()) - 1) < 1e-9
    assert shares["instruction"] > shares["example set"]
    best = im.score_by_value(frame, "instruction")
    assert best[0][0] == "instruction 1" and sum(n for _, _, n in best) == 24


def test_too_few_trials_or_equal_scores_say_nothing() -> None:
    few = pd.DataFrame({"instruction": ["i0", "i1", "i0"], "score": [0.1, 0.9, 0.1]})
    assert im.importances(few) == {}
    flat = pd.DataFrame({"instruction": ["i0", "i1"] * 4, "score": [0.5] * 8})
    assert im.importances(flat) == {}
    one = pd.DataFrame({"instruction": ["i0", "i1"] * 4, "score": [0.1, 0.9] * 4})
    assert im.importances(one) == {"instruction": 1.0}
