"""`python -m crash_worker RUN_ID --db PATH`: the real worker, which kills itself with SIGKILL at
a chosen point, so that each cell of the crash matrix dies exactly where it should (no timing).

- CRASH_PHASE=<name>[|<detail substring>] and CRASH_AFTER_CALLS=n: kill -9 once n LM calls
  were stored after that phase began (calls of other threads are then in flight).
- CRASH_AT_CALL=n: kill -9 once the run stored its n-th uncached LM call, whatever the phase
  (the optimizer contract tests kill every optimizer this way, halfway through).
- CRASH_PAUSE_WRITE=<marker file>: pause *inside* the store's write transaction of the
  CRASH_AFTER_TRIALS-th trial (its rows written, not committed) and write the marker; the test
  then kills the worker from outside with kill -9.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


def install() -> None:
    from engine.runs.store._store import RunStore

    phase = os.environ.get("CRASH_PHASE", "")
    name, _, detail = phase.partition("|")
    after_calls = int(os.environ.get("CRASH_AFTER_CALLS", "3"))
    marker = os.environ.get("CRASH_PAUSE_WRITE", "")
    after_trials = int(os.environ.get("CRASH_AFTER_TRIALS", "2"))
    at_call = int(os.environ.get("CRASH_AT_CALL", "0"))
    state = {"armed": False, "calls": 0, "trials": 0, "uncached": 0}
    lock = threading.Lock()
    record_event, record_call, on_trial = (
        RunStore.record_event, RunStore.record_call, RunStore._on_trial,
    )  # fmt: skip

    def event_hook(self: RunStore, run_id: str, event: Any) -> None:
        record_event(self, run_id, event)
        data = event.data
        if name and event.type == "phase" and data.get("name") == name:
            if detail in str(data.get("detail", "")):
                state["armed"] = True

    def call_hook(self: RunStore, run_id: str, record: Any, attempt: int = 1) -> None:
        record_call(self, run_id, record, attempt)
        with lock:
            state["uncached"] += not record.cache_hit
            if at_call and state["uncached"] >= at_call:
                os.kill(os.getpid(), signal.SIGKILL)
            if state["armed"] and not record.cache_hit:
                state["calls"] += 1
                if state["calls"] >= after_calls:
                    os.kill(os.getpid(), signal.SIGKILL)

    def trial_hook(self: RunStore, run_id: str, event: Any, data: dict) -> None:
        on_trial(self, run_id, event, data)
        state["trials"] += 1
        if state["trials"] == after_trials:
            Path(marker).write_text(str(data.get("number")))
            time.sleep(120)  # inside the open transaction, until killed

    RunStore.record_event = event_hook  # type: ignore[method-assign]
    RunStore.record_call = call_hook  # type: ignore[method-assign]
    if marker:
        RunStore._on_trial = trial_hook  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from engine.runs.process.worker import main

    sys.exit(main())
