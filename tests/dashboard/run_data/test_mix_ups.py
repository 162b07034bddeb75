"""Expected against answered: the pairs a candidate's rows give, their table and the mix-ups."""

from __future__ import annotations

import pandas as pd

from dashboard.run_data import compare as cd


def _results(rows: list[tuple[str, str, dict | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"candidate": cand, "example_id": ex, "idx": i, "inputs": {"text": f"row {ex}"},
             "outputs": out, "feedback": why, "score": 0.0, "error": None}
            for i, (cand, ex, out, why) in enumerate(rows)
        ]
    )  # fmt: skip


EXPECTED = {"1": {"label": "spam"}, "2": {"label": "ham"}, "3": {"label": "ham"},
            "4": {"label": "spam"}}  # fmt: skip
RES = _results([
    ("b", "1", {"label": "spam"}, None),
    ("b", "2", {"label": "spam"}, "expected 'ham', got 'spam'"),
    ("b", "3", {"label": "spam"}, None),
    ("b", "4", {}, None),
    ("b", "9", {"label": "ham"}, None),  # no expected value: left out
    ("a", "1", {"label": "ham"}, None),
])  # fmt: skip


def test_the_pairs_are_one_candidates_rows_with_an_expected_value() -> None:
    pairs = cd.answered_pairs(RES, "b", EXPECTED, "label")
    assert list(pairs["expected"]) == ["spam", "ham", "ham", "spam"]
    assert list(pairs["answered"]) == ["spam", "spam", "spam", cd.NO_ANSWER]
    assert list(pairs["why"]) == ["", "expected 'ham', got 'spam'", "", ""]
    assert cd.answered_pairs(pd.DataFrame(), "b", EXPECTED, "label").empty


def test_the_table_puts_the_right_answers_on_its_diagonal() -> None:
    grid = cd.confusion(cd.answered_pairs(RES, "b", EXPECTED, "label"))
    assert list(grid.index) == ["ham", "spam"]
    assert list(grid.columns) == ["ham", "spam", cd.NO_ANSWER]
    assert grid.loc["ham"].tolist() == [0, 2, 0]
    assert grid.loc["spam"].tolist() == [0, 1, 1]


def test_mix_ups_come_most_frequent_first() -> None:
    pairs = cd.answered_pairs(RES, "b", EXPECTED, "label")
    assert cd.mix_ups(pairs) == [("ham", "spam", 2), ("spam", cd.NO_ANSWER, 1)]
    right = pairs[pairs["expected"] == pairs["answered"]]
    assert cd.mix_ups(right) == []


def test_only_closed_outputs_of_the_last_step_get_a_table() -> None:
    spec = {"pipeline": [
        {"fields": [{"name": "notes", "role": "output", "type": "str", "choices": []}]},
        {"fields": [
            {"name": "text", "role": "input", "type": "str", "choices": []},
            {"name": "label", "role": "output", "type": "str", "choices": ["spam", "ham"]},
            {"name": "urgent", "role": "output", "type": "bool", "choices": []},
            {"name": "reason", "role": "output", "type": "str", "choices": []},
        ]},
    ]}  # fmt: skip
    assert cd.choice_outputs(spec) == ["label", "urgent"]
    assert cd.choice_outputs({}) == []
