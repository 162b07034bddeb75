"""The overhead bench's verdict: the time above litellm's floor only where the floor is below."""

from __future__ import annotations

from bench.overhead.measure import FLOOR
from bench.overhead.report import verdict


def _rows(ours: float, dspy: float, floor: float) -> list[tuple[str, str, list[float]]]:
    scenario = "Predict, via litellm"
    return [
        (scenario, "Tunesmith", [ours] * 3),
        (scenario, "DSPy", [dspy] * 3),
        (scenario, FLOOR, [floor] * 3),
    ]


def test_the_time_above_the_floor_is_compared_when_the_floor_is_below_both() -> None:
    (line,) = verdict([], _rows(2400.0, 2800.0, 2000.0), [])
    assert "Tunesmith 400 µs vs DSPy 800 µs = 0.50×" in line


def test_a_floor_above_a_median_is_reported_as_not_measured() -> None:
    (line,) = verdict([], _rows(2600.0, 3200.0, 2900.0), [])
    assert "not measured" in line and "-" not in line.split("floor")[1]
