"""Rows the LM cache already answers: what a forecast should not count as calls to pay for.

A run scores the program as given on the validation rows (its baseline) and on the held-out
rows; when an earlier run in the same store scored the same program on the same rows with the
same task model (a second run of a project, another seed over the same CSV), those replies come
from the store's LM cache and cost nothing. `scored_before` counts those rows from the store's
per-row results, so the pre-flight still runs nothing and calls nothing (no model, retriever or
tool).
"""

from __future__ import annotations

from typing import Any

from engine.optimizers.spine import Candidate, example_id
from engine.runs.estimate._forecast import _decode, read_store
from engine.runs.store import StoreAt


def scored_before(
    program: Any, rows: list[Any], task_model: dict[str, Any], db_path: StoreAt | None
) -> int:
    """How many of `rows` an earlier run in the store scored, without an error, with `program`
    as given and the same task model (`task_model`: the spec's `models.task`, as stored), its
    calls made to that model; 0 when that model's cache is off."""
    if not rows or not task_model.get("cache", True):
        return 0
    candidate = Candidate.from_program(program).hash
    # runs whose calls went to that model (a test's scripted LM stands in under its own name)
    runs = read_store(
        db_path, "SELECT id, spec FROM runs WHERE baseline_candidate = :c AND usage LIKE :m",
        {"c": candidate, "m": f'%"{task_model.get("model")}"%'},
    )  # fmt: skip
    same = [row["id"] for row in runs if _task_model(row["spec"]) == task_model]
    if not same:
        return 0
    marks = {f"r{i}": run_id for i, run_id in enumerate(same)}
    query = (
        "SELECT DISTINCT example_id FROM example_results WHERE candidate = :c AND error IS NULL"
        f" AND run_id IN ({', '.join(':' + name for name in marks)})"
    )
    seen = {row["example_id"] for row in read_store(db_path, query, {"c": candidate, **marks})}
    return sum(1 for example in rows if example_id(example) in seen)


def _task_model(spec_json: Any) -> Any:
    models = _decode(spec_json).get("models")
    return models.get("task") if isinstance(models, dict) else None
