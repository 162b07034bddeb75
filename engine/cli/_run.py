"""`run` and `resume`: start or continue a run and follow it with a live progress line."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from engine.cli._common import no_run, print_report, print_summary
from engine.cli._format import Progress
from engine.core import TunesmithError
from engine.runs import load_spec, validate_spec_against_data
from engine.runs.export import run_spec
from engine.runs.process import create_run, is_alive, launch_run, pid_alive
from engine.runs.store import RunStore, shown, store_location


def cmd_run(args: argparse.Namespace) -> int:
    """Validate a spec, create a run, then run it here, in a followed worker or detached."""
    spec = load_spec(args.spec)
    report = validate_spec_against_data(spec)  # every problem stops here, before any LM call
    print_report(report)
    run_id = create_run(spec, args.db, report)
    print(f"run {run_id} created (store: {shown(store_location(args.db))})", file=sys.stderr)
    if args.detach:
        pid = launch_run(run_id, store_location(args.db), inline=False)
        where = f"pid {pid}" if pid is not None else "on a machine of the Ray cluster"
        print(
            f"worker started ({where}); follow with `python -m engine show {run_id}`",
            file=sys.stderr,
        )
        print(run_id)
        return 0
    return _follow(args, run_id, spec.optimizer.budget.max_calls, in_process=not args.worker)


def cmd_resume(args: argparse.Namespace) -> int:
    """Start a stored run's worker again and follow it."""
    with RunStore(args.db) as store:
        run = store.get_run(args.run_id)
    if run is None:
        raise TunesmithError(no_run(args, args.run_id))
    return _follow(
        args, args.run_id, run_spec(run).optimizer.budget.max_calls, in_process=not args.worker
    )


def _follow(args: argparse.Namespace, run_id: str, max_calls: int | None, in_process: bool) -> int:
    """Run (in a thread, or a detached worker) and draw progress from the store until it ends."""
    db = store_location(args.db)
    failure: list[BaseException] = []
    thread, supervisor = None, None
    if in_process:

        def work() -> None:
            try:
                launch_run(run_id, db, inline=True)
            except BaseException as exc:  # noqa: BLE001  (reported below)
                failure.append(exc)

        thread = threading.Thread(target=work, name=f"run-{run_id}", daemon=True)
        thread.start()
    else:
        supervisor = launch_run(run_id, db, inline=False)
    progress = Progress(sys.stderr, max_calls)
    interrupted = False
    with RunStore(args.db) as store:
        while True:
            try:
                run = store.get_run(run_id)
                progress.feed(store.events(run_id, after_seq=progress.last_seq))
                progress.draw(store.usage(run_id)["calls"])
                done = thread is not None and not thread.is_alive()
                if done or (thread is None and run["status"] not in ("queued", "running")):
                    break
                # the worker this command started is followed by its supervisor's process: the
                # store may still show the killed worker before, or a stale heartbeat
                started_here = supervisor is not None  # else on a machine of the Ray cluster
                if thread is None and started_here and not pid_alive(supervisor):
                    time.sleep(0.5)
                    if not is_alive(store.get_run(run_id)):
                        break
                time.sleep(0.3)
            except KeyboardInterrupt:
                if interrupted:
                    progress.close()
                    print(
                        f"\nleft run {run_id} behind; cancel with "
                        f"`python -m engine cancel {run_id}`",
                        file=sys.stderr,
                    )
                    return 130
                interrupted = True
                store.request_cancel(run_id)
                print(
                    "\ncancelling after the current trial (Ctrl-C again to stop waiting)...",
                    file=sys.stderr,
                )
        progress.close()
    if failure:
        print(f"error: {failure[0]}", file=sys.stderr)
    return print_summary(args, run_id)
