"""Expected against answered: the pairs a candidate's rows give, their table and the mix-ups."""

from __future__ import annotations

import pandas as pd

from dashboard.run_data import mistakes as mk


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
    pairs = mk.answered_pairs(RES, "b", EXPECTED, "label")
    assert list(pairs["expected"]) == ["spam", "ham", "ham", "spam"]
    assert list(pairs["answered"]) == ["spam", "spam", "spam", mk.NO_ANSWER]
    assert list(pairs["why"]) == ["", "expected 'ham', got 'spam'", "", ""]
    assert mk.answered_pairs(pd.DataFrame(), "b", EXPECTED, "label").empty


def test_the_table_puts_the_right_answers_on_its_diagonal() -> None:
    grid = mk.confusion(mk.answered_pairs(RES, "b", EXPECTED, "label"))
    assert list(grid.index) == ["ham", "spam"]
    assert list(grid.columns) == ["ham", "spam", mk.NO_ANSWER]
    assert grid.loc["ham"].tolist() == [0, 2, 0]
    assert grid.loc["spam"].tolist() == [0, 1, 1]


def test_mix_ups_come_most_frequent_first() -> None:
    pairs = mk.answered_pairs(RES, "b", EXPECTED, "label")
    assert mk.mix_ups(pairs) == [("ham", "spam", 2), ("spam", mk.NO_ANSWER, 1)]
    right = pairs[pairs["expected"] == pairs["answered"]]
    assert mk.mix_ups(right) == []


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
    assert mk.choice_outputs(spec) == ["label", "urgent"]
    assert mk.choice_outputs({}) == []


def test_reasons_that_differ_only_in_the_rows_values_share_a_shape() -> None:
    a = mk.reason_shape("expected 'refund', got 'billing' (token F1 0.40)")
    b = mk.reason_shape("expected \"late delivery\", got 'shipping' (token F1 0.25)")
    assert a == b == frozenset({"expected", "got", "token", "f"})
    assert mk.reason_shape("The answer ignores the customer's question.") != a


def test_failing_rows_are_grouped_by_what_the_metric_said_largest_first() -> None:
    pairs = pd.DataFrame({
        "example": [f"row {i}" for i in range(7)],
        "expected": ["x"] * 7, "answered": ["y"] * 7,
        "why": ["expected 'a', got 'b'", "expected 'c', got 'd'", "expected 'e', got 'f'",
                "The reply is too long and repeats the question.",
                "The reply is too long and repeats the question twice.",
                "", "right"],
        "score": [0.0, 0.2, 0.0, 0.5, 0.0, 0.0, 1.0],
    })  # fmt: skip
    groups = mk.reason_groups(pairs)
    assert [n for _, n, _ in groups] == [3, 2, 1]  # the full-marks row is not a failure
    said, _, rows = groups[0]
    assert said.startswith("expected '") and list(rows["example"]) == ["row 0", "row 1", "row 2"]
    assert groups[1][0].startswith("The reply is too long")
    assert groups[2][0] == "(the metric gave no reason)"
    assert mk.reason_groups(pairs[pairs["score"] >= 1]) == []
