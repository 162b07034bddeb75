"""Does this machine's own speed drift from minute to minute? (issue 40: four default runs of the
same work took 0.41, 0.53, 0.76 and 0.34 s a call with nothing else running in the VM.)

Every round times the same fixed work, so any change comes from the machine, not the project:
a float32 matrix product on one thread (numpy, 512 x 512), and the embedded model answering short
classification prompts with 1 and 2 threads pinned and with the thread count the engine picks.
It also reads the CPU time the hypervisor gave to others (steal) and other processes' CPU use.

    python -m bench.studies.machine_drift [--minutes 10] [--calls 6] [--out FILE.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench.studies.llama_finetune import matmul_gflops  # noqa: E402
from engine.lm.calls import cpu_share  # noqa: E402
from engine.lm.local._model import THREADS_ENV  # noqa: E402

TICKET = "Ticket {n}: I was charged twice for my subscription this month, order {n}."


def _stat() -> list[int]:
    with open("/proc/stat", encoding="ascii") as handle:
        return [int(v) for v in handle.readline().split()[1:]]


def timed_calls(predict: object, threads: str | None, numbers: list[int]) -> float:
    """Median seconds a call with `threads` pinned (None: the engine picks)."""
    if threads is None:
        os.environ.pop(THREADS_ENV, None)
    else:
        os.environ[THREADS_ENV] = threads
    times = []
    for n in numbers:
        start = time.perf_counter()
        predict(ticket=TICKET.format(n=n))  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    import engine as dspy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    dspy.configure(lm=dspy.LM("local/smollm2-135m", cache=False))
    predict = dspy.Predict("ticket -> category")
    predict(ticket="warm up")
    stop_at = time.monotonic() + args.minutes * 60
    n = 0
    out = args.out.open("a", encoding="utf-8") if args.out else None
    while time.monotonic() < stop_at:
        before, t0 = _stat(), time.monotonic()
        gflops = matmul_gflops(512, 5)
        row: dict[str, float | str] = {"t": round(time.time(), 1), "gflops_1t": round(gflops, 1)}
        for label, threads in (("s_1t", "1"), ("s_2t", "2"), ("s_auto", None)):
            numbers = list(range(n, n + args.calls))
            n += args.calls
            row[label] = round(timed_calls(predict, threads, numbers), 4)
        after, t1 = _stat(), time.monotonic()
        ticks = os.sysconf("SC_CLK_TCK") * (t1 - t0)
        row["steal_cores"] = round((after[7] - before[7]) / ticks, 3)
        row["others_cores"] = round(cpu_share.meter.cores_used(), 2)
        line = json.dumps(row)
        if out:
            out.write(line + "\n")
            out.flush()
        logging_line = " ".join(f"{k}={v}" for k, v in row.items())
        os.write(1, (logging_line + "\n").encode())
    if out:
        out.close()


if __name__ == "__main__":
    main()
