"""Training in its own process: a job runs in a child (`_training_child`, started with
`python -m`), reports its steps over a pipe, and writes the model under a temporary name that
it renames to the final one only when complete, so no half-written file has the final name.

The parent (the run's worker) relays each step to its callback and polls for a cancel between
messages: a cancel kills the child and removes its temporary files. If the parent dies (kill
-9), the child notices within a second and exits; the next attempt removes the temporary files
left by processes no longer alive (`clear_partials`) and trains again.

A job is a module-level function `job(partial: Path, report: Callable[[TrainStep], None],
**kwargs)` that writes the model at `partial`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from engine.core import TunesmithError
from engine.optimizers.finetune._llama_train import TrainStep

CHILD_MODULE = "engine.optimizers.finetune._training_child"
PARTIAL = "partial"  # temporary files are named "<final name>.<pid>.partial[...]"
POLL_SECONDS = 0.2
Job = Callable[..., None]


class TrainingFailed(TunesmithError):
    """The training process failed or died; the message says how."""


class TrainingCancelled(TunesmithError):
    """The training was cancelled; nothing was left under the final name."""


def partial_path(final: Path, pid: int | None = None) -> Path:
    """The temporary name a process `pid` writes `final` under."""
    return final.with_name(f"{final.name}.{pid or os.getpid()}.{PARTIAL}")


def owner_pid(path: Path) -> int | None:
    """The pid in a temporary file's name ("x.gguf.123.partial", "x.gguf.123.partial.4.f32"),
    or None when the name is not one."""
    parts = path.name.split(".")
    for index, part in enumerate(parts[:-1]):
        if parts[index + 1] == PARTIAL and part.isdigit():
            return int(part)
    return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_partials(folder: Path) -> list[Path]:
    """Remove the temporary files in `folder` whose writing process is gone; returns them."""
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        pid = owner_pid(path)
        if pid is not None and (pid == os.getpid() or not pid_alive(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def run_training(
    job: Job,
    kwargs: Mapping[str, Any],
    final: Path,
    *,
    on_step: Callable[[TrainStep], bool | None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Path:
    """Run `job(partial, report, **kwargs)` in a child process and return `final` once the
    child has renamed its complete file to it. `on_step` sees each step (False: cancel);
    `should_stop` is polled between steps too. A cancel raises TrainingCancelled, a failure
    TrainingFailed; either way the child is gone and its temporary files removed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    clear_partials(final.parent)
    read_end, write_end = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    child = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
        [sys.executable, "-m", CHILD_MODULE, str(write_end)],
        stdin=subprocess.PIPE, pass_fds=(write_end,), env=env,
    )  # fmt: skip
    os.close(write_end)
    receiver = Connection(read_end)
    outcome: tuple[str, Any] | None = None
    try:
        assert child.stdin is not None
        child.stdin.write(pickle.dumps((job, dict(kwargs), final, os.getpid())))
        child.stdin.close()
        while outcome is None:
            if should_stop is not None and should_stop():
                raise TrainingCancelled("training cancelled")
            if receiver.poll(POLL_SECONDS):
                try:
                    kind, payload = receiver.recv()
                except EOFError:  # the child is gone without a word
                    raise TrainingFailed(_death(child.wait(10))) from None
                if kind == "step":
                    if on_step is not None and on_step(TrainStep(**payload)) is False:
                        raise TrainingCancelled("training cancelled")
                else:
                    outcome = (kind, payload)
            elif child.poll() is not None:
                raise TrainingFailed(_death(child.returncode))
        child.wait(30)
        if outcome[0] == "error":
            raise TrainingFailed(f"training failed: {outcome[1]}")
        if not final.is_file():
            raise TrainingFailed(f"training ended but {final} is missing")
        return final
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        receiver.close()
        for path in final.parent.glob(f"{final.name}.{child.pid}.{PARTIAL}*"):
            path.unlink(missing_ok=True)


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        return f"the training process was killed by signal {-code}"
    return f"the training process ended without a result (exit code {code})"


def child_main(sender: Connection, job: Job, kwargs: dict[str, Any], final: Path,
                parent: int) -> None:  # fmt: skip
    """In the child: watch the parent, run the job into a temporary file, rename it."""
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    partial = partial_path(final)

    def report(step: TrainStep) -> None:
        sender.send(("step", {k: getattr(step, k) for k in TrainStep.__dataclass_fields__}))

    try:
        job(partial, report, **kwargs)
        if not partial.is_file():
            raise FileNotFoundError(f"the training job wrote no file at {partial}")
        os.replace(partial, final)
        sender.send(("done", str(final)))
    except BaseException as exc:  # noqa: BLE001 - the parent hears of every failure
        partial.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            sender.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()


def _exit_when_orphaned(parent: int) -> None:
    """A child whose parent died (kill -9) stops at once: its work has no one to report to."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)

