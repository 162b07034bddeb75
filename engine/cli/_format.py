"""Text for the CLI: the live progress line, the run summary, the runs table (no printing here)."""

from __future__ import annotations

import re
import time
from typing import Any, TextIO

from engine.evaluate.statistics import points, verdict
from engine.runs.results import Outcome, ended_words, outcome_of, percent


def duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "-"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


STAGE_STEP = re.compile(r"^(?:round|trial) \d+ of \d+")


class Progress:
    """Folds store events into a one-line status, redrawn in place on a terminal."""

    def __init__(self, stream: TextIO, max_calls: int | None = None) -> None:
        self.stream, self.max_calls = stream, max_calls
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.phase, self.trials, self.best, self.last_seq = "starting", 0, None, 0
        self.started = time.time()
        self._last_line = ""
        self._last_state: tuple[Any, ...] | None = None

    def feed(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.last_seq = max(self.last_seq, event["seq"])
            data = event.get("data") or {}
            if event["type"] == "phase":
                self.phase = data.get("name", self.phase)
                step = STAGE_STEP.match(str(data.get("detail") or ""))
                if step:  # e.g. MIPROv2's "searching (trial 4 of 10)"
                    self.phase += f" ({step.group(0)})"
            elif event["type"] == "trial":
                self.trials += 1
            elif event["type"] == "best_changed":
                self.best = data.get("score")
            elif event["type"] == "log" and data.get("level") == "warning" and not self.tty:
                self.stream.write(f"  ! {data.get('message')}\n")

    def line(self, calls: int) -> str:
        budget = f"/{self.max_calls}" if self.max_calls else ""
        return (
            f"[{duration(time.time() - self.started)}] {self.phase} | trials {self.trials} | "
            f"best {score(self.best)} | LM calls {calls}{budget}"
        )

    def draw(self, calls: int) -> None:
        """Redraw in place on a terminal; elsewhere (logs, pipes) one line per phase/trial/best."""
        line = self.line(calls)
        if self.tty:  # the carriage return is ours: past TerminalSafe, which shows the store's
            getattr(self.stream, "target", self.stream).write("\r")
            self.stream.write(line.ljust(len(self._last_line)))
        else:
            state = (self.phase, self.trials, self.best)
            if state == self._last_state:
                return
            self._last_state = state
            self.stream.write(line + "\n")
        self._last_line = line
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._last_line:
            self.stream.write("\n")
            self.stream.flush()


def summary(
    run: dict[str, Any],
    usage: dict[str, Any],
    n_trials: int,
    n_candidates: int,
    outcome: Outcome | None = None,
) -> str:
    """The end-of-run report: the held-out verdict first, baseline -> best on val and test,
    what the kept program changed, usage. `outcome` defaults to one read from `run` alone."""
    outcome = outcome or outcome_of(run, [])
    took = (run.get("finished_at") or time.time()) - (
        run.get("started_at") or run.get("created_at") or time.time()
    )
    lines = [f"Run {run['id']} ({run.get('name')}): {run['status']} in {duration(took)}"]
    if run["status"] == "stopped: budget":
        lines.append(f"  {ended_words(run['status'], run.get('reason'))}")
    if run["status"] != "failed":
        lines.append(f"  {outcome.headline}")
        if outcome.change_text:
            lines.append(f"  {outcome.change_text}")
    if run.get("reason"):
        lines.append(f"  reason: {run['reason']}")
    lines.append(
        f"  optimizer: {run.get('optimizer')}"
        + (f" - {run['optimizer_reason']}" if run.get("optimizer_reason") else "")
    )
    sizes = run.get("sizes") or {}
    if sizes:
        lines.append("  data: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    lines += [
        "",
        f"  {'':10}{'val':>9}{'test':>9}",
        f"  {'baseline':10}{score(run.get('baseline_score')):>9}"
        f"{score(run.get('test_baseline')):>9}",
        f"  {'best':10}{score(run.get('best_score')):>9}{score(run.get('test_best')):>9}",
    ]
    cost = f"${usage.get('cost', 0):.4f}" + (
        "" if usage.get("priced", True) else " (some calls unpriced)"
    )
    lines += [
        "",
        f"  LM calls {usage.get('calls', 0)} ({usage.get('cache_hits', 0)} cached), "
        f"tokens {usage.get('total_tokens', 0):,}, cost {cost}; "
        f"trials {n_trials}, candidates {n_candidates}",
    ]
    if run["status"] != "failed":
        lines.append(
            f"  export: python -m engine export {run['id']} --format json|py|prompt|spec|csv"
        )
    return "\n".join(lines)


def runs_table(runs: list[dict[str, Any]]) -> str:
    """One line per run: id, status, name, optimizer, val and test baseline->best, the test
    verdict, when."""
    if not runs:
        return "no runs yet: start one with `python -m engine run SPEC`"
    header = ["id", "status", "name", "optimizer", "val", "test", "verdict", "created", "took"]
    rows = []
    for r in runs:
        comp = r.get("comparison") or {}
        took = (r.get("finished_at") or time.time()) - (
            r.get("started_at") or r.get("created_at") or time.time()
        )
        rows.append([
            r["id"], r["status"], (r.get("name") or "")[:28], r.get("optimizer") or "",
            f"{score(r.get('baseline_score'))}->{score(r.get('best_score'))}",
            f"{score(r.get('test_baseline'))}->{score(r.get('test_best'))}",
            verdict(comp).words if comp.get("ci_low") is not None else "-",
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.get("created_at") or 0)),
            duration(took) if r.get("started_at") else "-",
        ])  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
        + [fmt.format(*r) for r in rows]
    )


def leaderboard_table(standings: list[Any], subset: str) -> str:
    """The leaderboard as a text table: the first model, then each other against it."""
    where = "held-out" if subset == "test" else "validation"
    lines = [f"{'model':<32} {where + ' score':>16} {'95% range':>10}  "
             f"{'vs first (95% range)':<26} {'tokens/1k rows':>14} {'$/1k rows':>10} "
             f"{'p50 s':>6} {'p95 s':>6} {'no answer':>9}"]
    for s in standings:
        versus = "—" if s.versus is None else (
            f"{points(s.versus['diff'])} ({points(s.versus['ci_low'])} to "
            f"{points(s.versus['ci_high'])})")
        dollars = "—" if s.dollars_per_1000 is None else f"{s.dollars_per_1000:.3f}"
        missing = f"{s.failed}" + (f" ({s.off_list} off list)" if s.off_list else "")
        low, high = s.score_range or (None, None)
        own = "—" if low is None else f"{100 * low:.0f}-{100 * high:.0f}%"
        lines.append(
            f"{s.model[:32]:<32} {percent(s.score) + f' of {s.n}':>16} {own:>10}  "
            f"{versus:<26} {s.tokens_per_1000:>14,.0f} {dollars:>10} {s.p50:>6.2f} "
            f"{s.p95:>6.2f} {missing:>9}"
        )
    return "\n".join(lines)
