"""The run worker: `python -m engine.runs.process.worker RUN_ID [--db PATH]` runs one stored run.

Detached-safe: it heartbeats, stops between trials when the run's cancel flag is set (or on
SIGTERM), writes every event and LM call to the store as it happens, and when started again
after a crash it resumes: trials and example results already stored are replayed, not redone,
and LM calls already made come back from the disk cache (`$TUNESMITH_CACHE_DIR`, by default
`lm_cache/` beside the store). After the optimization it scores the baseline and the best
program on the held-out test split and stores the paired comparison.

The optimizer and the task LM come from `engine.runs.pipeline` (shared with the estimate);
from Python, pass `lm_factory=` to `run_worker` to choose the task LM.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import json
import logging
import os
import signal
import sys
import traceback as tb
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from engine.core import SpecError, TunesmithError, settings
from engine.lm.usage import UsageLedger
from engine.optimizers import Budget, EventRecorder, RunCancelled, RunContext, Trial
from engine.optimizers.spine import IN_FLIGHT, step_of
from engine.runs.cluster import close_run_pool, ray_address, start_run_pool
from engine.runs.data import load_data
from engine.runs.pipeline import (
    STRUCTURE,
    LMFactory,
    build_metric,
    build_program,
    choose_shape,
    make_optimizer,
    shape_rows,
    task_lm,
    use_run_cache,
)
from engine.runs.process._heartbeat import Heartbeat
from engine.runs.process._held_out import evaluate_on_test
from engine.runs.process._liveness import is_alive
from engine.runs.process.supervisor import in_flight_path
from engine.runs.spec import ProjectSpec, redact_std_streams, spec_from_dict
from engine.runs.store import (
    ACTIVE,
    TERMINAL,
    RunStore,
    StoreAt,
    is_url,
    local_dir,
    shown,
    store_location,
    study_url,
)

logger = logging.getLogger(__name__)


def _budget(spec: ProjectSpec) -> Any:
    """The spec's limits (maybe none); its breaker stops a run whose LM calls keep failing."""
    b = spec.optimizer.budget
    seconds = None if b.max_minutes is None else b.max_minutes * 60
    return Budget(
        max_calls=b.max_calls, max_tokens=b.max_tokens, max_cost=b.max_cost, max_seconds=seconds
    )


def _run_context(
    store: RunStore,
    run_id: str,
    spec: ProjectSpec,
    should_cancel: Callable[[], bool],
    attempt: int,
    sinks: Iterable[Callable[[Any], None]],
) -> Any:
    """A RunContext prefilled from the store (resume) and wired to write back to it."""
    ledger = UsageLedger()
    for record in store.known_call_records(run_id):  # earlier attempts count toward the budget
        ledger.record(record)
    ledger.subscribe(store.call_listener(run_id, attempt))
    recorder = EventRecorder([store.sink(run_id), *sinks], start_seq=store.last_seq(run_id))
    store.db.on_wait(lambda seconds, tries: recorder.log(
        f"The run store could not be reached for {seconds:.0f} s ({tries} tries); the run "
        "waited for it and went on. Nothing was lost.", "warning"))  # fmt: skip
    return RunContext(
        recorder=recorder, ledger=ledger, budget=_budget(spec), should_cancel=should_cancel,
        known_results=store.known_results(run_id),
        known_trials=[Trial.from_dict(t) for t in store.trials(run_id)],
        seed=spec.data.seed, known_candidates={c["hash"] for c in store.candidates(run_id)},
        known_steps=known_steps(store.events(run_id)), keep_start=spec.optimizer.keep_start,
        stop_when_flat=spec.optimizer.stop_when_flat,
        stop_when_out_of_reach=spec.optimizer.stop_when_out_of_reach,
        workdir=run_workdir(store.path, run_id), run_name=run_id,
        study_storage=study_url(store.path) if is_url(store.path) else None,
    )  # fmt: skip


def known_steps(events: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(type, step) of the search-step events a run stored (see RunContext.known_steps)."""
    steps = {(e["type"], step_of(e["type"], e.get("data") or {})) for e in events}
    return {(kind, step) for kind, step in steps if step is not None}


def run_workdir(db_path: StoreAt, run_id: str) -> Path:
    """The run's own folder on this machine, beside a SQLite store, else under tunesmith_data/
    (MIPROv2 keeps its Optuna study there unless the store is PostgreSQL)."""
    return local_dir(db_path) / "runs" / run_id


def run_worker(
    run_id: str,
    db_path: StoreAt | None = None,
    *,
    lm_factory: LMFactory | None = None,
    sinks: Iterable[Callable[[Any], None]] = (),
) -> str:
    """Run (or resume) a stored run to its end; returns the final status.

    Final statuses: "finished", "stopped: budget", "cancelled", "failed" (with reason and, for
    unexpected errors, the traceback). A run already finished is left alone; a run whose worker
    is still alive is not started twice.
    """
    db_path = store_location(db_path)
    use_run_cache(db_path)
    store = RunStore(db_path)
    try:
        with store.exclusive():  # check and claim in one write transaction: one worker wins
            run = store.get_run(run_id)
            if run is None:
                raise TunesmithError(f"no run {run_id!r} in {shown(db_path)}")
            if run["status"] in TERMINAL and run["status"] != "failed":
                return run["status"]
            pid = run.get("pid")
            mine = (None, os.getpid(), os.getppid())  # the supervisor that started us
            if run["status"] in ACTIVE and pid not in mine and is_alive(run):
                raise TunesmithError(
                    f"run {run_id} is already running (pid {pid}); not starting a second "
                    f"worker. Cancel it first, or wait for it to end."
                )
            attempt = store.mark_started(run_id, os.getpid())
        beat = Heartbeat(db_path, run_id)
        beat.start()
        try:
            return _execute(store, run_id, run, attempt, beat, lm_factory, sinks)
        finally:
            beat.stop()
    finally:
        store.close()


def _execute(
    store: RunStore,
    run_id: str,
    run: dict[str, Any],
    attempt: int,
    beat: Heartbeat,
    lm_factory: LMFactory | None,
    sinks: Iterable[Callable[[Any], None]],
) -> str:
    context = None
    stack = contextlib.ExitStack()
    try:
        spec = spec_from_dict(run["spec"], run.get("base_dir"))
        data = load_data(spec)
        program, metric = build_program(spec), build_metric(spec)
        optimizer, name, reason, used = make_optimizer(spec, len(data.train), metric)
        store.update_run(run_id, optimizer=name, optimizer_reason=reason, sizes=data.sizes(),
                         settings=used)  # fmt: skip
        lm = task_lm(spec, lm_factory)
        with settings.context(lm=lm):  # the checks may read the model (can it be fine-tuned?)
            refused = optimizer.check_settings(data.train, data.val or None, student=program)
        if refused:  # before any LM call; a resume cannot fix it (the estimate shows it too)
            raise SpecError(f"optimizer.params: {'; '.join(refused)}")
        context = _run_context(store, run_id, spec, beat.cancelled, attempt, sinks)
        rows = shape_rows(optimizer, data.train, data.val or None)
        spec, program = _shaped(store, run_id, spec, (data.train, rows, metric), context, lm,
                                program)  # fmt: skip
        stack.callback(IN_FLIGHT.subscribe(_in_flight_writer(store.path, run_id)))
        address = ray_address()
        if address is not None:  # rows on Ray actors; budget and rate limit shared there
            pool = start_run_pool(address, run_id, run, context, lm, lm_factory)
            stack.callback(close_run_pool, pool)
        with settings.context(lm=lm):
            compiled = optimizer.compile(
                program, trainset=data.train, valset=data.val or None, run=context
            )
            result = compiled.result
            extras: dict[str, Any] = {"program": compiled.dump_state(), "baseline_candidate": None}
            status = result.status
            breaker = getattr(context.budget, "breaker", None)
            if breaker is not None and breaker.tripped:  # the LM kept failing: no test scoring
                store.finish_run(run_id, "failed", reason=breaker.reason,
                                 usage=store.usage(run_id), **extras)  # fmt: skip
                return "failed"
            if status != "cancelled" and data.test:
                try:
                    extras.update(
                        evaluate_on_test(context, metric, program, compiled, data.test, optimizer)
                    )
                except RunCancelled:
                    status = "cancelled"
        store.finish_run(
            run_id, status, reason=_reason(status, context), usage=store.usage(run_id), **extras
        )
        return status
    except BaseException as exc:  # noqa: BLE001  (a worker records every failure, then exits)
        reason = (
            f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, KeyboardInterrupt)
            else "interrupted"
        )
        trace = None if isinstance(exc, TunesmithError) else tb.format_exc()
        if context is not None and not context.recorder.of_type("run_failed"):
            context.recorder.emit("run_failed", error=reason, traceback=trace or "")
        store.finish_run(
            run_id, "failed", reason=reason, traceback=trace, usage=store.usage(run_id)
        )
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        logger.debug("run %s failed", run_id, exc_info=True)
        return "failed"
    finally:
        stack.close()


def _shaped(
    store: RunStore, run_id: str, spec: ProjectSpec, train_rows_metric: tuple[Any, Any, Any],
    context: Any, lm: Any, program: Any,
) -> tuple[ProjectSpec, Any]:  # fmt: skip
    """The spec and program the search tunes: the structure stage's choice, kept as the run's
    spec (so its pages and exports are of that shape); a resumed run takes the stored choice."""
    done = store.events(run_id, types=[STRUCTURE])
    if done:
        chosen = spec_from_dict(done[-1]["data"]["spec"], spec.base_dir)
    else:
        with settings.context(lm=lm):
            chosen = choose_shape(spec, *train_rows_metric, context)
    if chosen == spec:
        return spec, program
    store.update_run(run_id, spec=chosen.to_dict())
    return chosen, build_program(chosen)


def _in_flight_writer(db_path: StoreAt, run_id: str) -> Callable[[list[Any]], None]:
    """A listener that keeps the rows being evaluated in the run folder (atomically replaced),
    where the supervisor reads them if this process dies by a signal."""
    path = in_flight_path(db_path, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")

    def write(rows: list[Any]) -> None:
        try:
            tmp.write_text(json.dumps({"pid": os.getpid(), "rows": rows}))
            os.replace(tmp, path)
        except OSError:  # only the crash report would lack its rows
            logger.debug("could not write %s", path, exc_info=True)

    return write


def _reason(status: str, context: Any) -> str | None:
    if status == "finished":  # a search that stopped early (either rule) says why
        settled = context.recorder.of_type("search_settled")
        return settled[-1].data.get("message") if settled else None
    logs = [
        e.data.get("message", "")
        for e in context.recorder.of_type("log")
        if e.data.get("level") == "warning"
    ]
    return logs[-1] if logs else status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine.runs.process.worker",
        description="Run (or resume) one stored Tunesmith run. Started detached by the dashboard "
        "and the CLI; safe to start again after a crash: it continues where the store left off.",
    )
    parser.add_argument("run_id", help="id of a run in the store")
    parser.add_argument(
        "--db", help="the run store's SQLite file (default: $TUNESMITH_STORE, else "
        "$TUNESMITH_HOME/tunesmith_data/runs.db)"
    )
    args = parser.parse_args(argv)
    redact_std_streams()  # the log file never holds a key, whatever prints or logs it
    faulthandler.enable()  # a native crash still leaves the Python stack in the log
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    signal.signal(signal.SIGTERM, lambda *_: Heartbeat.request_local_cancel())
    try:
        status = run_worker(args.run_id, args.db)
    except TunesmithError as exc:  # refused (already running, no such run): say why, no traceback
        logger.error("%s", exc)
        return 2
    logger.info("run %s ended: %s", args.run_id, status)
    return 0 if status != "failed" else 1


if __name__ == "__main__":
    sys.exit(main())
