"""The training process's entry point (`_process.run_training` starts it): the job comes
pickled on stdin from the parent, its messages go back on the file descriptor in argv."""

from __future__ import annotations

import pickle
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from engine.optimizers.finetune._process import child_main


def main(fd: int) -> None:
    job, kwargs, final, parent = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - our parent
    child_main(Connection(fd), job, kwargs, Path(final), parent)


if __name__ == "__main__":
    main(int(sys.argv[1]))
