"""One wording for what a paired comparison says (issue 40 item 2): `verdict`."""

from __future__ import annotations

import pytest

from engine.evaluate.statistics import paired_by_id, paired_comparison, points, verdict


def test_a_range_above_zero_is_a_clear_gain() -> None:
    said = verdict(paired_comparison([0] * 12 + [1] * 8, [1] * 20))
    assert said.kind == "gain" and said.words == "clear gain" and said.n == 20
    assert said.text.startswith("clear gain: +60 points (95% range +")
    assert said.text.endswith(" points, 20 rows)")


def test_a_range_below_zero_is_a_clear_loss() -> None:
    said = verdict({"diff": -0.3, "ci_low": -0.5, "ci_high": -0.1, "n": 30})
    assert (said.kind, said.words) == ("loss", "clear loss")
    assert said.text == "clear loss: -30 points (95% range -50 to -10 points, 30 rows)"


def test_a_range_that_includes_zero_is_no_clear_difference() -> None:
    # the log once said "significant" here while the pages said "not clear"
    said = verdict({"diff": 0.1, "ci_low": -0.033, "ci_high": 0.233, "p_value": 0.07, "n": 30})
    assert (said.kind, said.words) == ("unclear", "no clear difference")
    assert said.range_text == "95% range -3 to +23 points"
    edge = verdict({"diff": 0.1, "ci_low": 0.0, "ci_high": 0.2, "n": 1})
    assert edge.kind == "unclear" and edge.text.endswith("1 row)")


def test_points_never_round_a_nonzero_bound_to_zero() -> None:
    assert points(0.004) == "+0.4" and points(-0.001) == "-0.1" and points(0) == "0"
    assert points(0.125) == "+12" and points(-1.0) == "-100"
    assert verdict({"diff": 0.01, "ci_low": 0.002, "ci_high": 0.02}).range_text == (
        "95% range +0.2 to +2 points"
    )


def test_a_comparison_without_its_numbers_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="a comparison needs ci_low, ci_high"):
        verdict({"diff": 0.1})


def test_paired_by_id_gives_one_range_whatever_the_order_the_rows_come_in() -> None:
    """Compare, the headline and the keep-start rule read rows in different orders; the
    bootstrap's draws depend on the order, so they once showed two ranges for the same two."""
    base = {f"ex{i:02d}": float(i % 3 == 0) for i in range(30)}
    cand = {f"ex{i:02d}": float(i % 2 == 0) for i in range(30)}
    shuffled = dict(reversed(list(cand.items())))
    one, two = paired_by_id(base, cand), paired_by_id(dict(reversed(base.items())), shuffled)
    assert one == two and one["n"] == 30
    assert paired_by_id(base, {"other": 1.0}) is None
    # only the rows both were scored on count
    assert paired_by_id(base, {"ex00": 1.0, "ex01": 0.0})["n"] == 2
