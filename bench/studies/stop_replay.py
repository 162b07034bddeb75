"""Early stops replayed on runs that went to their budget: where `stop_when_flat` (a wait of W
scorings) or `stop_when_out_of_reach` (a chance c) would have ended each run, the model calls it
would have spent, and the held-out answers of the program it would have handed back.

A stop only ends a search: the candidates before it, their order and their scores are the same
with the rule on or off. So one full run answers every setting, and a wait can be chosen on
many data sets for the model time of one run each (`lever_ab` runs the search again per
setting). The replay walks the run's scorings in the order the run met them, with the engine's
own rules: a validation scoring that does not beat the best, or a raced-out candidate, counts
towards the wait; the out-of-reach chance is `engine.optimizers.spine.out_of_reach`. At a stop
the program handed back is the best so far, or the start where the spec's keep-start rule says
so (`start_kept_reason`). Its held-out answers are the run's own when the run scored it on its
test rows, else it is scored once on them with the run's task model (fresh calls). Calls at a
stop: the run's uncached model calls made up to that scoring, plus the held-out scoring of the
start and of the program handed back, as a run that stops does them. Approximate where a run
builds the next candidate while one is scored: those calls count as made before the stop. Not
replayed: the run's last step (choice calibration) on the program a stop hands back; where it
changes that program the live answers can differ by a row or two (bench/results/plateau.md).

    python -m bench.studies.stop_replay --sms-seeds 2 3 4 --waits 4 8 12 --chances 0.05
    python -m bench.studies.stop_replay RUNS.db [RUNS.db ...] --waits 4 8 12

`--sms-seeds` runs the generated message sets' default run once each (as `lever_ab`'s first
run: 90 rows, 30/30/30, split seed 0, a process and a home of its own) and replays it; a
`runs.db` given holds one finished run.

Which data sets are tuning data and which unseen: bench/DATA.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.optimizers.spine import Trial, out_of_reach, start_kept_reason  # noqa: E402
from engine.optimizers.spine._trial import BEST_SUBSETS, PARTIAL_SUBSET  # noqa: E402
from engine.runs.store import RunStore  # noqa: E402


@dataclass(frozen=True)
class Stop:
    """Where a rule ended the search (`at`: the index of the scoring; None: it did not) and
    the program it hands back (`kept`, a candidate hash); `calls`: uncached calls by then."""

    at: int | None
    kept: str
    calls: int


def walk(trials: list[Trial], calls: list[int], budget: int | None, keep_start: str,
         wait: int | None = None, chance: float | None = None) -> Stop:  # fmt: skip
    """Replay the search's scorings (`trials` in the order the run met them, `calls[i]` the
    uncached calls made by the end of trial i) with a wait and/or an out-of-reach chance."""
    best: Trial | None = None
    baseline: Trial | None = None
    seen: list[Trial] = []
    flat, at = 0, None
    for i, trial in enumerate(trials):
        if trial.subset not in (*BEST_SUBSETS, PARTIAL_SUBSET):
            continue
        seen.append(trial)
        if trial.subset in BEST_SUBSETS and (best is None or trial.score > best.score):
            best, flat = trial, 0
            baseline = baseline or trial
            continue
        if best is None:
            continue
        flat += 1
        left = None if budget is None else budget - calls[i]
        if wait is not None and flat >= wait:
            at = i
        elif chance is not None:
            reach = out_of_reach(best, seen, left)
            at = i if reach is not None and reach.chance < chance else None
        if at is not None:
            break
    if best is None:
        raise ValueError("the run has no validation scoring to replay")
    kept = baseline if start_kept_reason(baseline, best, keep_start) else best
    return Stop(at=at, kept=kept.candidate, calls=calls[at] if at is not None else calls[-1])


def run_trials(store: RunStore, run_id: str) -> tuple[list[Trial], list[int]]:
    """The run's trials in the order it met them, and the uncached calls made by each one's end."""
    rows = sorted(store.trials(run_id), key=lambda r: r["seq"])
    stamps = sorted(c["timestamp"] for c in store.lm_calls(run_id) if not c["cache_hit"])
    calls = [sum(1 for s in stamps if s <= r["time"]) for r in rows]
    return [Trial.from_dict(r) for r in rows], calls


def replay(db: Path, waits: list[int], chances: list[float],
           score: Callable[[str, Path, str], tuple[int, int]]) -> list[dict]:  # fmt: skip
    """One row per setting (None: as the run went) for the one run in `db`: calls, held-out
    right of n, where it stopped. `score(run_id, db, candidate)` -> (right, n) on test rows."""
    with RunStore(db) as store:
        (listed,) = store.list_runs()
        run = store.get_run(listed["id"])
        trials, calls = run_trials(store, run["id"])
    budget = ((run["spec"]["optimizer"].get("budget") or {}).get("max_calls"))
    keep = run["spec"]["optimizer"].get("keep_start", "worse")
    tested = {t.candidate: (round(t.score * t.n), t.n) for t in trials if t.subset == "test"}
    start = next(t.candidate for t in trials if t.subset in BEST_SUBSETS)
    settings = [(None, None), *((w, None) for w in waits), *((None, c) for c in chances)]
    out = []
    for wait, chance in settings:
        stop = walk(trials, calls, budget, keep, wait, chance)
        if stop.kept not in tested:
            tested[stop.kept] = score(run["id"], db, stop.kept)
        right, n = tested[stop.kept]
        heldout = n * (1 if stop.kept == start else 2)  # the start and the program, scored once
        spent = calls[-1] if stop.at is None else stop.calls + heldout
        label = "as run" if wait is None and chance is None else (
            f"wait {wait}" if wait is not None else f"chance {chance:g}")
        out.append({"setting": label, "calls": spent, "right": right, "n": n,
                    "stopped_at": None if stop.at is None else stop.at + 1})  # fmt: skip
    return out


def score_on_test(run_id: str, db: Path, candidate: str) -> tuple[int, int]:
    """A candidate's held-out right answers with the run's task model (fresh calls)."""
    from engine.runs.results import leaderboard

    (standing,) = leaderboard(run_id, [], db_path=db, candidate=candidate)
    return round(standing.score * standing.n), standing.n


def full_run(seed: int) -> Path:
    """The default run on generator seed `seed`'s messages, as `lever_ab` runs it; its store."""
    import tempfile

    from bench.studies.keep_start_rule import sms_project
    from bench.studies.lever_ab import one_run

    folder = Path(tempfile.mkdtemp(prefix=f"stop-replay-sms{seed}-"))
    outcome = one_run(sms_project(folder, seed), [], 0, folder / "as-is-0", "as-is")
    print(f"seed {seed}: {outcome}", file=sys.stderr, flush=True)
    return folder / "as-is-0" / "tunesmith_data" / "runs.db"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stores", type=Path, nargs="*", help="runs.db of one finished run each")
    parser.add_argument("--sms-seeds", type=int, nargs="*", default=[],
                        help="generator seeds of message sets to run the default on first")
    parser.add_argument("--waits", type=int, nargs="*", default=[4, 6, 8, 12])
    parser.add_argument("--chances", type=float, nargs="*", default=[0.05])
    args = parser.parse_args()
    stores = [*args.stores, *(full_run(seed) for seed in args.sms_seeds)]
    if not stores:
        parser.error("give a runs.db or --sms-seeds")
    table = {db: replay(db, args.waits, args.chances, score_on_test) for db in stores}
    print("| run | setting | calls | held-out right | stopped at scoring |\n|---|---|---|---|---|")
    for db, rows in table.items():
        for r in rows:
            print(f"| {db.parent.parent.parent.name} | {r['setting']} | {r['calls']} | "
                  f"{r['right']}/{r['n']} | {r['stopped_at'] or '-'} |")  # fmt: skip
    print("\nPooled:")
    for i, first in enumerate(next(iter(table.values()))):
        calls = sum(rows[i]["calls"] for rows in table.values())
        right = sum(rows[i]["right"] for rows in table.values())
        n = sum(rows[i]["n"] for rows in table.values())
        print(f"- {first['setting']}: calls {calls}, held-out right {right}/{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
