"""What a finished run's result says, for every report of it: the Run, Compare and Export pages'
headline, the CLI summary and the stakeholder summary all read it from here.

The held-out test result leads (start -> best on the test rows with the verdict of
`engine.evaluate.statistics.verdict`); without test rows it says so and gives the validation
scores as validation. `change` names what the kept program changed against the start: "tuned"
(instructions or demos), "weights" (the same prompt on a fine-tuned model), "calibration" (only
choice calibration's offsets), "start kept" (the start as given), or "unknown" (no stored start
to compare with).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from engine.evaluate.statistics import Verdict, points, verdict
from engine.optimizers.calibration import CALIBRATION_ORIGINS
from engine.runs.store import RunStore
from engine.runs.versions import start_candidate

KEPT_START = ": kept the starting program"  # the spine's log line when keep_start applies


def is_calibration(origin: str | None) -> bool:
    """Whether a candidate's origin is a choice-calibration step (not a rewrite)."""
    return str(origin or "") in CALIBRATION_ORIGINS


def _whole(score: float) -> int:
    """A score as a whole percentage, halves up (57.5% -> 58%), as a person rounds."""
    return int(Decimal(repr(round(100 * score, 6))).quantize(Decimal(1), ROUND_HALF_UP))


def percent(score: float | None) -> str:
    return "—" if score is None else f"{_whole(score)}%"


def _shown_points(start: float | None, best: float | None, diff: float) -> str:
    """The gain in points as the two percentages beside it read (57.5% -> 80% shows 58% -> 80%
    and +22, not +23), when the gain is their difference; else the gain itself."""
    if start is None or best is None or abs((best - start) - diff) > 1e-9 or abs(diff) < 0.01:
        return points(diff)
    return f"{_whole(best) - _whole(start):+d}"


@dataclass(frozen=True)
class Outcome:
    """A run's result in words (see module)."""

    verdict: Verdict | None  # on the held-out test rows; None without them
    test_start: float | None
    test_best: float | None
    val_start: float | None
    val_best: float | None
    change: str
    kept_why: str | None = None
    test_rows: int = 0  # the run's test split (scored or not)

    @property
    def kind(self) -> str:
        """ "gain", "unclear", "loss" or "no test" (what colours the headline)."""
        return self.verdict.kind if self.verdict else "no test"

    @property
    def headline(self) -> str:
        """One sentence: the held-out result and its verdict, or that there is none."""
        if self.verdict is not None:
            v = self.verdict
            rows = f"Held-out test ({v.n} rows the optimizer never saw): "
            if self.change == "start kept" and v.diff == v.ci_low == v.ci_high == 0:
                return (  # one prompt scored twice: no range to give
                    f"{rows}{percent(self.test_start)} → {percent(self.test_best)}: the same "
                    "prompt both times, so the same answers"
                )
            shown = _shown_points(self.test_start, self.test_best, v.diff)
            return (
                f"{rows}{percent(self.test_start)} → {percent(self.test_best)}, {v.words}: "
                f"{shown} points ({v.range_text})"
            )
        val = (
            f" On the validation rows, which the optimizer used to choose its prompt (so they "
            f"flatter it): {percent(self.val_start)} → {percent(self.val_best)}."
            if self.val_start is not None and self.val_best is not None
            else ""
        )
        if self.test_rows:
            return (
                f"No held-out test score: the run ended before scoring its {self.test_rows} "
                f"test rows, so nothing checked it on rows the optimizer never saw.{val}"
            )
        return (
            "No held-out test: this run had no test rows, so nothing checked it on rows the "
            f"optimizer never saw.{val}"
        )

    @property
    def change_text(self) -> str | None:
        """What the kept program changed, when that is not an ordinary rewrite (else None)."""
        if self.change == "start kept":
            why = self.kept_why or "No candidate beat it clearly on validation"
            return f"The start was kept: the result is your prompt as given. {why}."
        if self.change == "weights":
            return (
                "The change is the model's weights: the same prompt as yours, answered by a "
                "copy of the model fine-tuned on your training rows."
            )
        if self.change == "calibration":
            return (
                "The change is choice calibration only: the same instruction and examples as "
                "your prompt, with the model's lean toward some answers taken off before it picks."
            )
        return None


def _prompt_parts(state: dict[str, Any] | None) -> dict[str, Any]:
    """Each predictor's instruction, fields and demos (what a rewrite changes)."""
    return {
        path: (part.get("signature"), part.get("demos") or [])
        for path, part in (state or {}).items()
        if isinstance(part, dict) and "signature" in part
    }


def _models(state: dict[str, Any] | None) -> dict[str, Any]:
    """Each predictor's own model, where it names one (a weight optimizer's tuned model)."""
    return {
        path: part["lm"].get("model")
        for path, part in (state or {}).items()
        if isinstance(part, dict) and isinstance(part.get("lm"), dict)
    }


def _offsets(state: dict[str, Any] | None) -> dict[str, Any]:
    return {
        path: part.get("choice_offsets")
        for path, part in (state or {}).items()
        if isinstance(part, dict) and part.get("choice_offsets")
    }


def kept_program_change(run: dict[str, Any], candidates: list[dict[str, Any]]) -> str:
    """ "tuned", "weights", "calibration", "start kept" or "unknown" (see module)."""
    best_hash = run.get("best_candidate")
    if best_hash and best_hash == run.get("baseline_candidate"):
        return "start kept"
    start = start_candidate(run, candidates)
    if start is None:
        return "unknown"
    if best_hash == start["hash"]:
        return "start kept"
    best = next((c for c in candidates if c["hash"] == run.get("best_candidate")), None)
    state = run.get("program") or (best or {}).get("state")
    if not state:
        return "unknown"
    if _prompt_parts(state) != _prompt_parts(start.get("state")):
        return "tuned"
    if _models(state) and _models(state) != _models(start.get("state")):
        return "weights"
    return "calibration" if _offsets(state) != _offsets(start.get("state")) else "start kept"


def kept_start_reason(log_messages: list[str]) -> str | None:
    """Why the run handed back the starting program, from its log (None when it did not)."""
    for message in reversed(log_messages):
        if message.endswith(KEPT_START):
            why = message[: -len(KEPT_START)]
            return why[:1].upper() + why[1:]
    return None


def outcome_of(
    run: dict[str, Any], candidates: list[dict[str, Any]], log_messages: list[str] | None = None
) -> Outcome:
    """The `Outcome` of a stored run, its candidates and its log lines (no store access)."""
    comp = run.get("comparison") or {}
    held_out = run.get("test_best") is not None and comp.get("ci_low") is not None
    return Outcome(
        verdict=verdict(comp) if held_out else None,
        test_start=run.get("test_baseline"),
        test_best=run.get("test_best"),
        val_start=run.get("baseline_score"),
        val_best=run.get("best_score"),
        change=kept_program_change(run, candidates),
        kept_why=kept_start_reason(log_messages or []),
        test_rows=int((run.get("sizes") or {}).get("test") or 0),
    )


def run_outcome(run_id: str, db_path: str | Path | None = None) -> Outcome:
    """The `Outcome` of run `run_id` as stored; a LookupError when there is no such run."""
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        if run is None:
            raise LookupError(f"no run {run_id!r} in the store")
        logs = [str((e.get("data") or {}).get("message", ""))
                for e in store.events(run_id, types=["log"])]  # fmt: skip
        return outcome_of(run, store.candidates(run_id), logs)
