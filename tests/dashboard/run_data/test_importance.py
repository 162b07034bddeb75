"""Which setting mattered: the settings a candidate is made of, the trials' table, the share
each setting explains (Optuna's PED-ANOVA) and the score by value."""

from __future__ import annotations

import random

import pandas as pd

from dashboard.run_data import importance as im


def _state(instruction: str, demos: int, made: int = 0, offsets: dict | None = None) -> dict:
    shown = [{"text": f"d{i}", "label": "x", **({"augmented": True} if i < made else {})}
             for i in range(demos)]  # fmt: skip
    step = {"signature": {"instructions": instruction}, "demos": shown}
    return {"classify": {**step, **({"choice_offsets": offsets} if offsets else {})}}


def test_without_proposals_instructions_are_numbered_and_examples_counted() -> None:
    cands = [{"hash": "a", "state": _state("Sort it.", 0)},
             {"hash": "b", "state": _state("Sort it.", 3, made=2)},
             {"hash": "c", "state": _state("Route the ticket.", 3)}]  # fmt: skip
    settings = im.candidate_settings([], cands)
    assert settings["a"] == {"classify: instruction": "instruction 0",
                             "classify: examples the model got right": "0 examples",
                             "classify: examples copied from the rows": "0 examples"}  # fmt: skip
    assert settings["c"]["classify: instruction"] == "instruction 1"
    assert settings["b"]["classify: examples the model got right"] == "2 examples"
    assert settings["b"]["classify: examples copied from the rows"] == "1 example"


def test_random_search_candidates_differ_in_their_example_counts() -> None:
    """Random search's candidates: zero-shot, copied examples only, then bootstrapped sets of
    a random size (the rest copied); the calibrated one after the search is left out."""
    made = {"zero": (0, 0), "labeled": (4, 0), "s0": (4, 4), "s1": (4, 2), "s2": (4, 3)}
    cands = [{"hash": h, "state": _state("Sort it.", n, m)} for h, (n, m) in made.items()]
    cands.append({"hash": "cal", "state": _state("Sort it.", 0, offsets={"label": {"x": 0.5}})})
    settings = im.candidate_settings([], cands)
    trials = [{"candidate": h, "subset": "val", "score": 0.25 + 0.1 * i}
              for i, h in enumerate([*made, "cal"] * 2)]  # fmt: skip
    frame = im.settings_table(settings, trials)
    assert "cal" not in settings and len(frame) == 10  # its two scorings left out
    assert set(frame.columns) == {"classify: examples the model got right",
                                  "classify: examples copied from the rows",
                                  "score"}  # the instruction never varied  # fmt: skip
    assert sorted(frame["classify: examples the model got right"].unique()) == [
        "0 examples", "2 examples", "3 examples", "4 examples"]  # fmt: skip


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


def test_a_setting_that_explains_next_to_nothing_made_no_difference() -> None:
    rng = random.Random(1)
    rows = []
    for _ in range(40):
        examples, other = rng.randrange(4), rng.random() < 0.5
        rows.append({"examples": f"{examples} examples",
                     "instruction": f"instruction {int(other)}",
                     "score": 0.2 * examples + 0.001 * rng.random()})  # fmt: skip
    frame = pd.DataFrame(rows)
    shares = im.importances(frame)
    assert shares["examples"] > 0.9
    assert im.no_difference(frame, shares) == ["instruction"]


def test_when_every_scoring_is_the_same_no_setting_made_a_difference() -> None:
    flat = pd.DataFrame({"examples": ["0 examples", "4 examples"] * 4, "score": [0.0] * 8})
    assert im.importances(flat) == {} and im.no_difference(flat, {}) == ["examples"]
    few = flat.head(4)  # too few scorings to say anything
    assert im.no_difference(few, {}) == []


def test_gepa_rewrites_one_step_at_a_time_and_the_step_that_decides_is_found() -> None:
    """GEPA's candidates on a two-step program: each child rewrites one step's instruction of
    its parent (no examples). Each step's instruction is its own setting; the example counts
    never vary and are left out; the step whose rewrites move the score explains the most."""
    rng = random.Random(1)
    restate, classify, cands, trials = ["Restate it."], ["Sort it."], [], []
    steps = (0, 0)
    for n in range(20):
        if n:  # one step rewritten, as a reflection does
            which = rng.randrange(2)
            texts = (restate, classify)[which]
            texts.append(f"{('Restate', 'Sort')[which]} it, take {n}.")
            steps = (len(restate) - 1, steps[1]) if which == 0 else (steps[0], len(classify) - 1)
        state = {name: {"signature": {"instructions": texts[i]}, "demos": []}
                 for name, texts, i in (("restate", restate, steps[0]),
                                        ("classify", classify, steps[1]))}  # fmt: skip
        cands.append({"hash": f"g{n}", "state": state})
        score = 0.2 + 0.5 * (steps[1] % 2) + 0.01 * rng.random()  # classify's rewrite decides
        trials.append({"candidate": f"g{n}", "subset": "val", "score": score})
    frame = im.settings_table(im.candidate_settings([], cands), trials)
    assert set(frame.columns) == {"restate: instruction", "classify: instruction", "score"}
    shares = im.importances(frame)
    assert shares["classify: instruction"] > shares["restate: instruction"]
