"""How long a run will take and how many calls it will likely make, from what this store saw.

The optimizers' estimates count calls and tokens (some as an upper bound). The forecast turns
them into a plan: the **speed** (seconds per estimated token of the task model, measured on
this store's earlier runs of it, else a typical figure) and, for an upper bound, the **share**
of it earlier runs spent, with the range they spanned (docs/design/forecast.md).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from engine.core import StoreError
from engine.lm.local import MAX_THREADS, default_weights_name, machine_read_speed
from engine.optimizers import registry
from engine.runs.store import RunStore, StoreAt, is_url, store_location

MIN_CALLS = 12  # runs with fewer uncached calls than this say nothing of speed
MIN_RUNS = 2  # finished runs of an optimizer needed before their share replaces the typical one
RECENT_RUNS = 10  # the newest finished runs the speed and the share are read from
# the figures below were measured as docs/design/forecast.md tells (its "First run on a new
# machine" and "What watching costs"): seconds of wall time per estimated token with nothing
# measured here, the probe's read speed they were measured at, what the live Run page costs
TYPICAL_SECONDS_PER_TOKEN = {"local": 0.44 / 590, "hosted": 1.2 / 590}
REFERENCE_READ_SPEED = 214.0
WATCHED_PAGE_CORES = 0.07
SLOWDOWN_PER_BUSY_CORE = 0.22 / 0.3
MIN_SPREAD = 0.2  # a range is at least this share of the point either side (one run says little)
OWN_RANGE_RUNS = 3  # until this many runs of its own set a range, it also holds the typical one


@dataclass(frozen=True)
class Share:
    """The share of an upper-bound estimate a run will likely spend, the range earlier runs
    spanned, and where the figures came from (in words)."""

    point: float
    low: float
    high: float
    source: str


def _share_of(point: float, seen: list[float]) -> tuple[float, float]:
    low, high = min([point, *seen]), max([point, *seen])
    return max(0.0, min(low, point * (1 - MIN_SPREAD))), min(
        1.0, max(high, point * (1 + MIN_SPREAD))
    )


@dataclass(frozen=True)
class Speed:
    """Seconds per estimated token of a model: a call's time is its estimated tokens times
    this (longer prompts, e.g. with demos, take longer), measured on this store's runs."""

    per_token: float
    source: str  # in words: "measured on 3 runs of this model here" / "typical for ..."

    def seconds(self, tokens: float) -> float:
        return max(0.0, tokens * self.per_token)


def watched_slowdown(cores: int | None = None) -> float:
    """How much slower the embedded model's calls go while the dashboard's Run page follows the
    run on this machine: 1.0 when its threads leave a core spare for the page and browser."""
    if (cores or os.cpu_count() or 1) > MAX_THREADS:
        return 1.0
    return 1.0 + SLOWDOWN_PER_BUSY_CORE * WATCHED_PAGE_CORES


def _finished_runs(
    db_path: StoreAt | None, where: str, args: dict[str, Any], statuses: tuple[str, ...]
) -> list[Any]:
    """The newest runs with one of `statuses` matching `where` (:named `args`); [] when the
    store cannot be read (a forecast is never worth an error)."""
    marks = ", ".join(f":status{i}" for i in range(len(statuses)))
    query = (
        "SELECT id, name, optimizer, estimate, usage, sizes, started_at, finished_at FROM runs"
        f" WHERE status IN ({marks}) AND {where} ORDER BY created_at DESC LIMIT :recent"
    )
    params = {**args, **{f"status{i}": s for i, s in enumerate(statuses)}, "recent": RECENT_RUNS}
    return read_store(db_path, query, params)


def read_store(db_path: StoreAt | None, query: str, params: dict[str, Any]) -> list[Any]:
    """The rows of a read-only query on the store (a SQLite file opened read-only, so a store
    that does not exist yet is not made; or a postgresql:// URL); [] when the store cannot be
    read (a forecast is never worth an error)."""
    if db_path is None:
        return []
    where_at = store_location(db_path)
    if is_url(where_at):
        try:
            with RunStore(where_at) as store:
                return store.db.rows(query, params)
        except (StoreError, psycopg.Error):
            return []
    if not Path(where_at).is_file():
        return []
    conn = sqlite3.connect(f"file:{where_at}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query, params).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def typical_speed(model: str) -> Speed:
    """The speed a forecast assumes before any run of `model` was measured in the store: the
    embedded model's is scaled to this machine by how fast its runtime probe read a prompt."""
    kind = "local" if model.startswith("local/") else "hosted"
    if kind == "hosted":
        return Speed(TYPICAL_SECONDS_PER_TOKEN[kind], "typical for a hosted model; nothing "
                     "measured here yet")  # fmt: skip
    read = machine_read_speed()
    weights = default_weights_name()
    reference = REFERENCE_READ_SPEED if read and weights and read[1] == weights else None
    if read is None or reference is None:
        return Speed(
            TYPICAL_SECONDS_PER_TOKEN[kind],
            "typical for the embedded model on a 2-core machine; nothing measured here yet",
        )
    return Speed(
        TYPICAL_SECONDS_PER_TOKEN[kind] * reference / read[0],
        f"typical for the embedded model, scaled to this machine's prompt reading ({read[0]:.0f} "
        f"tokens/s on one core against {reference:.0f} where it was measured); no run measured "
        "here yet",
    )


def measured_speed(model: str, db_path: StoreAt | None) -> Speed | None:
    """Seconds per estimated token over this store's newest ended runs of `model`: each run's
    wall time (the model's calls and everything around them: loading, scoring, storing) over
    the tokens its estimate gives the calls it made."""
    seconds = tokens = 0.0
    runs = 0
    ended = ("finished", "stopped: budget")  # a budget stop still says how fast calls were
    for row in _finished_runs(db_path, "usage LIKE :model", {"model": f'%"{model}"%'}, ended):
        estimate, usage = _decode(row["estimate"]), _decode(row["usage"])
        calls = ((usage.get("by_model") or {}).get(model) or {}).get("uncached_calls") or 0
        planned, planned_tokens = estimate.get("total_calls") or 0, estimate.get("tokens") or 0
        if estimate.get("at_most") is not None and calls >= MIN_CALLS:
            # a call target: its minutes follow the target's calls it did (and the held-out
            # scoring's, two passes over the test rows), not those it paid for, with the demos
            # its teachers read again (docs/design/forecast.md)
            done = float(estimate.get("done_share") or 1.0)
            calls = round(planned * done) + 2 * int(_decode(row["sizes"]).get("test") or 0)
            read_again = done * float(estimate.get("read_again") or 0)
        else:
            read_again = 0.0
        wall = (row["finished_at"] or 0) - (row["started_at"] or 0)
        if calls < MIN_CALLS or not planned or not planned_tokens or wall <= 0:
            continue
        seconds += wall
        tokens += max(0.0, calls * planned_tokens / planned + read_again)
        runs += 1
    if not runs or tokens <= 0:
        return None
    return Speed(seconds / tokens, f"measured on {runs} earlier run(s) of this model here")


def spent_share(optimizer: str, db_path: StoreAt | None, project: str | None = None) -> Share:
    """The share of an upper-bound estimate that `optimizer`'s runs spend: this store's finished
    runs of the same project (one is enough: the same data races alike), else of the same
    optimizer (two or more), else our benchmarks, else 1.0 (the bound itself)."""
    # runs a budget stopped say only that the share was larger: left out
    runs = _finished_runs(db_path, "optimizer = :o", {"o": optimizer}, ("finished",))
    shares = [
        (row["name"], s)
        for row in runs
        if (s := _share(row["estimate"], row["usage"], row["sizes"])) is not None
    ]
    same = [s for name, s in shares if project and name == project]
    entry = registry.get(optimizer)
    measured = entry.typical_share if entry is not None else None
    typical = list(measured[1:]) if measured else []
    if same:
        point = statistics.median(same)
        seen = same if len(same) >= OWN_RANGE_RUNS else same + typical
        return Share(
            point, *_share_of(point, seen), f"as in this project's last {len(same)} such run(s)"
        )
    if len(shares) >= MIN_RUNS:
        seen = [s for _, s in shares]
        point, source = statistics.median(seen), f"as in this store's last {len(seen)} such runs"
        if len(seen) < OWN_RANGE_RUNS:
            seen += typical
        return Share(point, *_share_of(point, seen), source)
    if measured:
        return Share(measured[0], *_share_of(measured[0], typical), "as measured on our benchmarks")
    return Share(1.0, 1.0, 1.0, "")


def _decode(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text or "null")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _share(estimate_json: Any, usage_json: Any, sizes_json: Any) -> float | None:
    """The search's task calls over its estimate (the held-out scoring, two passes over the
    test rows, taken off: the estimate does not count it)."""
    estimate, usage = _decode(estimate_json), _decode(usage_json)
    if estimate.get("at_most") is not None:  # a call target, not a bound: says nothing of one
        return None
    planned = (estimate.get("calls") or {}).get("task") or 0
    spent = ((usage.get("by_role") or {}).get("task") or {}).get("calls")
    if not planned or spent is None:
        return None
    search = float(spent) - 2 * float(_decode(sizes_json).get("test") or 0)
    return min(1.0, max(0.0, search / float(planned)))


def forecast(
    plan: dict[str, Any],
    model: str,
    upper_bound: bool,
    db_path: StoreAt | None,
    project: str | None = None,
    watched: bool = False,
) -> dict[str, Any]:
    """What the run will likely spend: {"calls" (search, likely), "calls_range" (low, high),
    "calls_at_most", "test_calls", "seconds" (search + held-out scoring + a weight optimizer's
    training), "seconds_range", "speed" (its source in words), "speed_measured" (False: a
    typical figure), "share_source", "targeted" (True: the search spends a call target, the
    estimate's `calls`, so the forecast is that target, not a share of a bound),
    "cached_calls" (the plan's calls the LM cache already answers: left out of the calls and
    the test calls)}. `watched`: the dashboard's Run page will follow the run, which slows the
    embedded model on a machine with no spare core (`watched_slowdown`)."""
    estimate = plan["estimate"]
    planned = int(estimate.get("total_calls") or 0)
    targeted = estimate.get("at_most") is not None  # a search that spends a call target
    at_most = int(estimate["at_most"]) if targeted else planned
    share = (
        spent_share(plan["optimizer"], db_path, project)
        if upper_bound and not targeted
        else Share(1.0, 1.0, 1.0, "")
    )
    calls, low, high = (round(planned * s) for s in (share.point, share.low, share.high))
    if targeted:  # near its target: half the way to its bound either side
        high = min(at_most, planned + (at_most - planned) // 2)
        low = max(0, 2 * planned - high)
    # calls the run's LM cache already answers (the program as given, `scored_before`) cost
    # nothing: the search still counts them as work, so they come off what it pays for
    cached = plan.get("cached_calls") or {}
    search_cached, test_cached = int(cached.get("search") or 0), int(cached.get("test") or 0)
    calls, low, high = (max(0, n - search_cached) for n in (calls, low, high))
    tokens_per_call = (estimate.get("tokens") or 0) / planned if planned else 0.0
    test_calls = max(0, int(plan.get("test_calls") or 0) - test_cached)
    measured = measured_speed(model, db_path) if db_path is not None else None
    speed = measured or typical_speed(model)
    slower = watched_slowdown() if watched and model.startswith("local/") else 1.0
    if measured is None and slower > 1.0:  # a store's measured speed has its own watching in it
        speed = Speed(
            speed.per_token * slower,
            f"{speed.source}; watching the run in the dashboard adds about "
            f"{100 * (slower - 1):.0f}% on this machine",
        )
    training = 60 * float((estimate.get("training") or {}).get("minutes") or 0)

    read_again = float(estimate.get("read_again") or 0)  # the teachers' demos read again

    def seconds(n: int) -> float:  # the calls, plus a weight optimizer's training at its speed
        tokens = max(0.0, (n + test_calls) * tokens_per_call + read_again)
        return round(speed.seconds(tokens) + training, 1)

    return {
        "calls": calls,
        "calls_range": [low, high],
        "calls_at_most": at_most,
        "test_calls": test_calls,
        "seconds": seconds(calls),
        "seconds_range": [seconds(low), seconds(high)],
        "speed": speed.source,
        "speed_measured": measured is not None,
        "share_source": share.source if not targeted else "the search's call target",
        "targeted": targeted,
        "cached_calls": search_cached + test_cached,
    }
