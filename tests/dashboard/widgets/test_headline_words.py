"""The result headline's words: "more test rows would tell" only where more rows could."""

from __future__ import annotations

from dashboard.widgets.kpi import headline_text
from engine.evaluate.statistics import verdict
from engine.runs.results import Outcome


def test_more_rows_are_suggested_for_an_unclear_gain_not_for_the_same_prompt_twice() -> None:
    same = verdict({"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 20})
    kept = Outcome(same, 0.55, 0.55, 0.6, 0.6, "start kept", test_rows=20)
    assert "More test rows" not in headline_text(kept)
    assert "The start was kept" in headline_text(kept)
    unclear = verdict({"diff": 0.05, "ci_low": -0.1, "ci_high": 0.2, "n": 20})
    tuned = Outcome(unclear, 0.5, 0.55, 0.5, 0.7, "tuned", test_rows=20)
    assert "More test rows would tell." in headline_text(tuned)
