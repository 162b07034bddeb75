"""When should the embedded model drop to one thread? Seconds per call with 1 and 2 threads
while a neighbour process keeps part of a core busy (issue 40: the default run went 0.57 s a
call watched in the browser against 0.44 on the CLI; the page and Chromium cost ~0.16 of a core
on average, in bursts, and `engine.lm.local` picks 1 thread whenever other processes used half
a core or more over the last second).

The neighbour burns `duty` of each 100 ms on one core (0 = idle, 1 = a whole core). For each
duty the model answers the same short classification prompts with 1 and with 2 threads,
interleaved so the machine's drift falls on both. Run it on an otherwise idle machine:

    python -m bench.studies.thread_choice [--calls 16] [--duties 0 0.15 0.3 0.5 0.75 1] [--demos 8]

`--demos N` puts N worked examples from sample_data/support_tickets.csv in the prompt (a tuned
program's prompt: ~600 tokens, most of it a prefix the model keeps between calls).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import statistics
import time
from pathlib import Path

from engine.lm.local._model import THREADS_ENV

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "support_tickets.csv"

TICKET = "Ticket {n}: I was charged twice for my subscription this month, order {n}."


def burn(duty: float, stop: multiprocessing.synchronize.Event) -> None:
    """Keep one core busy for `duty` of every 100 ms until `stop` is set."""
    period = 0.1
    while not stop.is_set():
        start = time.monotonic()
        while time.monotonic() - start < duty * period:
            pass
        rest = period - (time.monotonic() - start)
        if rest > 0:
            time.sleep(rest)


def timed_calls(predict: object, threads: int, numbers: list[int]) -> list[float]:
    """Seconds of each call with `threads` pinned (new inputs: no cache hit)."""
    os.environ[THREADS_ENV] = str(threads)
    times = []
    for n in numbers:
        start = time.perf_counter()
        predict(ticket=TICKET.format(n=n))  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    import engine as dspy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=16, help="calls per thread count and duty")
    parser.add_argument("--duties", type=float, nargs="+", default=[0, 0.15, 0.3, 0.5, 0.75, 1])
    parser.add_argument("--demos", type=int, default=0, help="worked examples in the prompt")
    args = parser.parse_args()
    lm = dspy.LM("local/smollm2-135m", cache=False, max_tokens=16)
    predict = dspy.Predict("ticket -> category")
    predict.lm = lm
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[: args.demos]
    predict.demos = [dspy.Example(ticket=r["ticket"], category=r["category"]) for r in rows]
    predict(ticket="warm-up")  # load the model
    print("| neighbour (share of a core) | 1 thread, s/call | 2 threads, s/call | 2 vs 1 |")
    print("|---|---:|---:|---:|")
    counter = 0
    for duty in args.duties:
        stop = multiprocessing.Event()
        neighbour = multiprocessing.Process(target=burn, args=(duty, stop), daemon=True)
        if duty > 0:
            neighbour.start()
        time.sleep(0.5)
        one: list[float] = []
        two: list[float] = []
        for _ in range(args.calls // 4):  # interleaved blocks of 4 calls each
            one += timed_calls(predict, 1, list(range(counter, counter + 4)))
            two += timed_calls(predict, 2, list(range(counter + 4, counter + 8)))
            counter += 8
        stop.set()
        if duty > 0:
            neighbour.join()
        a, b = statistics.median(one), statistics.median(two)
        print(f"| {duty:.2f} | {a:.3f} | {b:.3f} | {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
