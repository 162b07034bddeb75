"""The tuned program on several models: a run's program (its best, or a candidate) scored on
the run's held-out rows with each model, fresh calls (no cache), against the first model on the
same rows: held-out score with the paired 95% range of the difference, cost and tokens per
1,000 rows, latency per row (p50, p95), and the rows without a usable answer, and each row's
answer and score (`model_answers`: the matrix across models). A board is kept with the run
(`save_leaderboard`, a "leaderboard" event) and read back (`saved_leaderboard`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import quantiles
from typing import Any

from engine.core import is_off_list, settings
from engine.evaluate import Evaluate
from engine.evaluate.statistics import mean_range, paired_by_id
from engine.lm.model_check import check_model
from engine.lm.usage import UsageLedger
from engine.optimizers.spine import example_id
from engine.runs.data import load_data
from engine.runs.export import program_state, rebuild, run_spec, stored_run
from engine.runs.pipeline import LMFactory, build_lm, build_metric, task_lm
from engine.runs.results._retune import on_model
from engine.runs.spec import ProjectSpec
from engine.runs.store import RunStore

Progress = Callable[[int, int, str], None]  # (models done, models in all, the next model)
BOARD = "leaderboard"  # the event type a kept board is stored as
ANSWER_CHARS = 2000  # a kept text at most: the board stays small whatever a model replies


@dataclass(frozen=True)
class Standing:
    """One model's result: `score_range` is its score's bootstrap 95% range (None on a board
    kept before it was counted), `versus` the paired comparison with the first model (None for
    the first); `dollars` per 1,000 rows is None when a call had no price; `answers` are its
    rows (example id, index, inputs, outputs, score, feedback, error), texts cut short."""

    model: str
    score: float
    n: int
    versus: dict[str, Any] | None
    calls: int
    tokens_per_1000: float
    dollars_per_1000: float | None
    p50: float
    p95: float
    failed: int
    off_list: int
    score_range: tuple[float, float] | None = None
    answers: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_rows(spec: ProjectSpec, program: Any, rows: list[Any], lm_factory: LMFactory | None,
               threads: int | None = None, fresh: bool = True,
               ) -> tuple[dict[str, float], Any, UsageLedger]:  # fmt: skip
    """{example id: score}, the evaluation and its calls: `program` on `rows` with the spec's
    task model (`fresh`: no cache, so a model's cost and latency are its own)."""
    lm = task_lm(spec, lm_factory)
    if fresh and hasattr(lm, "cache"):
        lm.cache = False  # the run's own answers would cost nothing and take no time
    ledger = UsageLedger()
    with settings.context(lm=lm, usage_trackers=(*settings.usage_trackers, ledger)):
        result = Evaluate(devset=rows, metric=build_metric(spec), num_threads=threads,
                          max_errors=len(rows))(program)  # a row that fails scores 0  # fmt: skip
    scores = {example_id(rows[r.index]): r.score for r in result.rows}
    return scores, result, ledger


def _clipped(value: Any) -> Any:
    """`value` as JSON keeps it, a text at most ANSWER_CHARS long."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:ANSWER_CHARS]


def _answers(rows: list[Any], result: Any) -> tuple[dict[str, Any], ...]:
    """Each scored row as the store keeps a candidate's (`model_answers` reads them)."""
    return tuple({
        "example_id": example_id(rows[r.index]), "idx": r.index,
        "inputs": {k: _clipped(v) for k, v in r.inputs.items()},
        "outputs": {k: _clipped(v) for k, v in (r.outputs or {}).items()} or None,
        "score": r.score, "feedback": _clipped(r.feedback), "error": _clipped(r.error),
    } for r in result.rows)  # fmt: skip


def model_answers(standings: Sequence[Standing]) -> list[dict[str, Any]]:
    """Every model's rows as a candidate's results, its candidate "on <model>" (a column of
    the matrix beside the run's candidates)."""
    return [{**a, "candidate": f"on {s.model}"} for s in standings for a in s.answers]


def _keyed(api_key: str) -> LMFactory:
    """Build the task LM with `api_key` in memory (the embedded model takes none)."""

    def build(spec: ProjectSpec) -> Any:
        task = spec.models.task
        extras = {} if task.model.startswith("local/") else {"api_key": api_key}
        return build_lm(task, **extras)

    return build


def leaderboard(
    run_id: str,
    models: Sequence[str],
    *,
    db_path: str | Path | None = None,
    api_base: str | None = None,
    subset: str = "test",
    candidate: str | None = None,
    lm_factory: LMFactory | None = None,
    threads: int | None = None,
    api_key: str | None = None,
    progress: Progress | None = None,
    retuned: Mapping[str, str] | None = None,
) -> list[Standing]:
    """The program on the run's own task model first, then on each of `models` (`api_base`
    for the ones that are not embedded, `api_key` in memory for the hosted ones, else the
    environment's); after a model in `retuned` ({model: run}), the best program of the run that
    tuned the task again on it, as "<model> (re-tuned)". Every model is checked before any call
    (a missing key, an unknown provider or an unreachable server raises, naming it)."""
    run = stored_run(run_id, db_path)
    spec = run_spec(run)
    names = list(dict.fromkeys([spec.models.task.model, *models]))
    specs = [spec if m == spec.models.task.model else on_model(spec, m, api_base) for m in names]
    if lm_factory is None:
        for each in specs:
            task = each.models.task
            check_model(task.model, api_base=task.api_base, api_key=api_key)
        lm_factory = _keyed(api_key) if api_key else None
    split = load_data(spec)
    rows = {"test": split.test, "val": split.val}.get(subset) or []
    if not rows:
        raise ValueError(f"run {run_id} has no {subset} rows to score the models on")
    program = rebuild(spec, program_state(run_id, db_path, candidate))
    entries = [(model, each, program) for model, each in zip(names, specs)]
    for model, each in zip(names, specs):
        if model in (retuned or {}):
            tuned = run_spec(stored_run(retuned[model], db_path))
            state = program_state(retuned[model], db_path, None)
            entries.append((f"{model} (re-tuned)", each, rebuild(tuned, state)))
    entries.sort(key=lambda e: names.index(e[0].removesuffix(" (re-tuned)")))
    standings: list[Standing] = []
    first: dict[str, float] | None = None
    for done, (model, each, chosen) in enumerate(entries):
        if progress is not None:
            progress(done, len(entries), model)
        scores, result, ledger = score_rows(each, chosen.deepcopy(), rows, lm_factory, threads)
        fresh = [r for r in ledger.records if not r.cache_hit]
        latency = sorted(r.latency for r in result.rows) or [0.0]
        cuts = quantiles(latency, n=20, method="inclusive") if len(latency) > 1 else latency * 19
        priced = bool(fresh) and all(r.cost is not None for r in fresh)
        standings.append(Standing(
            model=model, score=result.mean, n=len(result.rows),
            versus=None if first is None else paired_by_id(first, scores),
            calls=len(fresh),
            tokens_per_1000=1000 * sum(r.total_tokens for r in fresh) / len(rows),
            dollars_per_1000=1000 * sum(r.cost or 0 for r in fresh) / len(rows) if priced else None,
            p50=cuts[9], p95=cuts[18], failed=result.errors,
            off_list=sum(is_off_list(r.error) for r in result.rows),
            score_range=mean_range([scores[i] for i in sorted(scores)]),  # in id order: stable
            answers=_answers(rows, result),
        ))  # fmt: skip
        first = scores if first is None else first
    return standings


def _pair(kept: Any) -> tuple[float, float] | None:
    """A range read back from the store (a JSON list), None when the board has none."""
    return (float(kept[0]), float(kept[1])) if kept else None


def save_leaderboard(run_id: str, standings: Sequence[Standing], subset: str,
                     candidate: str | None, db_path: str | Path | None = None) -> None:  # fmt: skip
    """Keep a board with the run, after its other events (read back by `saved_leaderboard`)."""
    rows = [s.to_dict() for s in standings]
    with RunStore(db_path) as store:
        store.append_event(run_id, BOARD, {"subset": subset, "candidate": candidate,
                                           "standings": rows})  # fmt: skip


def saved_leaderboard(
    run_id: str, db_path: str | Path | None = None
) -> tuple[list[Standing], dict[str, Any]] | None:
    """The run's last kept board and its event data (subset, candidate, time), or None."""
    with RunStore(db_path) as store:
        boards = store.events(run_id, types=[BOARD])
    if not boards:
        return None
    data = boards[-1].get("data") or {}
    standings = [Standing(**{**row, "answers": tuple(row.get("answers") or ()),
                             "score_range": _pair(row.get("score_range"))})
                 for row in data.get("standings") or []]  # fmt: skip
    return standings, {**data, "time": boards[-1].get("time")}
