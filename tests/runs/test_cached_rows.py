"""Rows the LM cache already answers come off the forecast (issue 40 item 3: a second run over
the same rows paid 8-13% fewer calls than forecast, because its baseline rows were cached)."""

from __future__ import annotations

from pathlib import Path

import engine as dspy
from engine.lm import ScriptedLM
from engine.runs import create_run, forecast_line, preflight
from engine.runs.cached_rows import cached_rows
from engine.runs.worker import run_worker


def rows(n: int, start: int = 0) -> list[dspy.Example]:
    return [dspy.Example(question=f"q{i}", answer=f"a{i}").with_inputs("question")
            for i in range(start, start + n)]  # fmt: skip


def echo(messages):
    return {"answer": "x", "summary": "y"}


def test_only_rows_every_call_of_which_is_cached_count(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    lm = ScriptedLM(by_input=echo, cache=True)
    program = dspy.Predict("question -> answer")
    with dspy.context(lm=lm):
        for example in rows(5):
            program(**example.inputs())
    paid = lm.calls_made
    assert cached_rows(program, rows(10), lm) == 5
    assert lm.calls_made == paid  # the probe paid for nothing

    class TwoSteps(dspy.Module):
        def __init__(self):
            super().__init__()
            self.first = dspy.Predict("question -> answer")
            self.second = dspy.Predict("answer -> summary")

        def forward(self, question):
            return self.second(answer=self.first(question=question).answer)

    # the first step's calls are cached, the second's are not: no row counts
    assert cached_rows(TwoSteps(), rows(5), lm) == 0
    assert cached_rows(program, rows(5), ScriptedLM(by_input=echo, cache=False)) == 0


def test_a_second_run_over_the_same_rows_is_forecast_without_its_cached_calls(
    db_path: Path, tickets_spec, monkeypatch
):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:cached_oracle_lm")
    spec = tickets_spec
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 20, 8, 6
    first = preflight(spec, db_path=db_path)
    assert first["cached_calls"] == {"search": 0, "test": 0}
    assert run_worker(create_run(spec, db_path), db_path) == "finished"
    second = preflight(spec, db_path=db_path)
    # the same split: the baseline's 8 validation rows and 6 held-out rows are all cached
    assert second["cached_calls"] == {"search": 8, "test": 6}
    assert second["forecast"]["cached_calls"] == 14
    assert second["forecast"]["test_calls"] == first["forecast"]["test_calls"] - 6
    assert second["forecast"]["calls"] == first["forecast"]["calls"] - 8
    assert "14 more answered by the cache of earlier runs" in forecast_line(second["forecast"])
