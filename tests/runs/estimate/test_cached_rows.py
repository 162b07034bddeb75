"""Rows the LM cache already answers come off the forecast (issue 40 item 3: a second run over
the same rows paid 8-13% fewer calls than forecast, because its baseline rows were cached);
the pre-flight reads them from the store and still runs nothing."""

from __future__ import annotations

from pathlib import Path

from engine.runs import create_run, preflight
from engine.runs.data._load import load_data
from engine.runs.estimate import forecast_line
from engine.runs.estimate._cached_rows import scored_before
from engine.runs.pipeline._program import build_program
from engine.runs.process.worker import run_worker

CACHED_ORACLE = "scripted/cached-oracle"  # the name `cached_oracle_lm`'s calls are recorded under


def test_only_rows_an_earlier_run_scored_with_the_same_program_and_model_count(
    db_path: Path, tickets_spec, monkeypatch
):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:cached_oracle_lm")
    spec = tickets_spec
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 20, 8, 6
    spec.models.task.model = CACHED_ORACLE  # the model the run's calls go to
    task = spec.to_dict()["models"]["task"]
    data, program = load_data(spec), build_program(spec)
    assert scored_before(program, data.val, task, db_path) == 0  # nothing run yet
    assert run_worker(create_run(spec, db_path), db_path) == "finished"
    assert scored_before(program, data.val + data.test, task, db_path) == 14
    assert scored_before(program, data.train, task, db_path) == 0  # never scored as given
    other = {**task, "max_tokens": (task.get("max_tokens") or 64) + 1}
    assert scored_before(program, data.val, other, db_path) == 0  # another model setting
    assert scored_before(program, data.val, {**task, "cache": False}, db_path) == 0
    changed = build_program(spec)
    changed.predictors()[0].signature = changed.predictors()[0].signature.with_instructions("x")
    assert scored_before(changed, data.val, task, db_path) == 0  # another program
    # the spec names another model than the one the run's calls went to: nothing is cached
    assert scored_before(program, data.val, {**task, "model": "local/smollm2-135m"}, db_path) == 0


def test_a_second_run_over_the_same_rows_is_forecast_without_its_cached_calls(
    db_path: Path, tickets_spec, monkeypatch
):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "scripted_lms:cached_oracle_lm")
    spec = tickets_spec
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 20, 8, 6
    spec.models.task.model = CACHED_ORACLE
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
