"""The tuned program on several models (`leaderboard`): the run's own model first, each other
model against it on the same held-out rows with fresh calls, and a model that cannot be used
refused before any call."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from scripted_lms import oracle_lm

from engine.core import LMConfigError, ProviderUnreachableError
from engine.lm.scripted import ScriptedLM
from engine.runs import create_run, load_spec
from engine.runs.export import matrix_csv, run_spec, stored_run
from engine.runs.process.worker import run_worker
from engine.runs.results import (
    leaderboard,
    model_answers,
    note_retune,
    retune_spec,
    retunes,
    save_leaderboard,
    saved_leaderboard,
)
from engine.runs.results._leaderboard import ANSWER_CHARS
from engine.runs.spec import spec_from_dict


@pytest.fixture
def finished(db_path: Path, project: Path) -> str:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=6, test_size=8)
    spec["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 3},
                         "budget": {"max_calls": 301, "max_minutes": 10}}  # fmt: skip
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    return run_id


def by_model(spec: Any) -> ScriptedLM:
    """The oracle for the run's own model; for "scripted/gardener" a label outside the list."""
    if spec.models.task.model == "scripted/gardener":
        field = spec.pipeline[-1].outputs[0].name
        return ScriptedLM(answers=[{field: "gardening"}], cycle=True, name="gardener")
    if spec.models.task.model == "scripted/verbose":
        field = spec.pipeline[-1].outputs[0].name
        return ScriptedLM(answers=[{field: "gardening " * 1000}], cycle=True, name="verbose")
    return oracle_lm(spec)


def test_each_model_against_the_runs_own_on_the_same_rows(finished: str, db_path: Path) -> None:
    first, other = leaderboard(finished, ["scripted/gardener"], db_path=db_path,
                               lm_factory=by_model)  # fmt: skip
    assert first.model == "local/smollm2-135m" and first.versus is None
    assert first.score == 1.0 and first.n == other.n == 8
    assert first.calls == 8  # fresh calls: none of the run's answers came from the cache
    assert other.model == "scripted/gardener" and other.score == 0.0
    assert other.versus["diff"] == -1.0 and other.versus["ci_high"] < 0
    assert other.failed == other.off_list == 8
    assert first.score_range == (1.0, 1.0) and other.score_range == (0.0, 0.0)  # 8 of 8, 0 of 8
    assert 0 <= first.p50 <= first.p95 and first.dollars_per_1000 == 0.0  # scripted: free


def test_each_rows_answer_is_kept_with_the_board_as_matrix_columns(
    finished: str, db_path: Path
) -> None:
    models = ["scripted/gardener", "scripted/verbose"]
    standings = leaderboard(finished, models, db_path=db_path, lm_factory=by_model)
    save_leaderboard(finished, standings, "test", None, db_path)
    kept, _ = saved_leaderboard(finished, db_path)
    assert [len(s.answers) for s in kept] == [8, 8, 8]  # every held-out row, per model
    assert [s.score_range for s in kept] == [s.score_range for s in standings]  # read back
    assert all(a["outputs"] is None and "'gardening' is not one of" in a["error"]
               for a in kept[1].answers)  # its reply kept with why it was refused  # fmt: skip
    assert {len(a["error"]) for a in kept[2].answers} == {ANSWER_CHARS}  # a long reply, cut
    assert [a["example_id"] for a in kept[0].answers] == [a["example_id"] for a in kept[1].answers]
    text = matrix_csv(finished, db_path, subset="test", extra=model_answers(kept))
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert [c for c in header if c.startswith("on ")] == [
        f"on {m}: {part}" for m in ["local/smollm2-135m", *models]
        for part in ("answer", "score", "why")
    ]  # fmt: skip
    assert len(rows) == 8
    own, gardener = header.index("on local/smollm2-135m: score"), header.index(
        "on scripted/gardener: score")  # fmt: skip
    assert {row[own] for row in rows} == {"1.0"} and {row[gardener] for row in rows} == {"0.0"}


def test_a_model_without_a_key_is_refused_before_any_call(
    finished: str, db_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LMConfigError, match="OPENAI_API_KEY"):
        leaderboard(finished, ["openai/gpt-4o-mini"], db_path=db_path)


def test_an_unreachable_server_is_refused_before_any_call(finished: str, db_path: Path) -> None:
    with pytest.raises(ProviderUnreachableError, match="127.0.0.1:9"):
        leaderboard(finished, ["openai/served"], db_path=db_path,
                    api_base="http://127.0.0.1:9/v1")  # fmt: skip


def test_a_retune_takes_a_share_of_each_limit_and_is_scored_after_its_model(
    finished: str, db_path: Path
) -> None:
    spec = retune_spec(finished, "scripted/gardener", share=0.5, db_path=db_path)
    original = run_spec(stored_run(finished, db_path))
    assert spec.models.task.model == "scripted/gardener" and spec.name == original.name
    before, after = original.optimizer.budget, spec.optimizer.budget
    assert (before.max_calls, before.max_minutes) == (301, 10)
    assert (after.max_calls, after.max_minutes) == (151, 5)  # a call is not cut in half
    assert (after.max_tokens, after.max_cost) == (None, None)  # unset stays unset
    assert "from run " + finished in spec.description
    again = create_run(spec, db_path)
    assert run_worker(again, db_path, lm_factory=by_model) == "finished"
    note_retune(finished, "scripted/gardener", again, 0.5, db_path)
    [noted] = retunes(finished, db_path)
    assert (noted["run"], noted["share"], noted["status"]) == (again, 0.5, "finished")
    board = leaderboard(finished, ["scripted/gardener"], db_path=db_path, lm_factory=by_model,
                        retuned={"scripted/gardener": again})  # fmt: skip
    assert [s.model for s in board] == [
        "local/smollm2-135m", "scripted/gardener", "scripted/gardener (re-tuned)",
    ]  # fmt: skip
    assert board[2].n == board[0].n and board[2].versus is not None


@pytest.mark.parametrize("share", [0, 1.5, -0.1])
def test_a_share_outside_zero_to_one_is_refused(finished: str, db_path: Path, share) -> None:
    with pytest.raises(ValueError, match="above 0 and at most 1"):
        retune_spec(finished, "scripted/gardener", share=share, db_path=db_path)
