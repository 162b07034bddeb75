"""A project's prompt versions: v1 as written, then a run's best or any candidate a person
accepts; exactly one is in use, and the pages and the CLI label with it (never silently with the
latest run). A version points at a stored candidate of a run; a project is the spec's `name`,
as runs name it. Who made a version is a name the caller gives (an email, "this machine"),
never a secret.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.core import TunesmithError
from engine.runs.store import ACTIVE, RunStore

AS_WRITTEN = "as written"
THIS_MACHINE = "this machine"
BASELINE_ORIGIN = "baseline"  # the spine's origin of the start's candidate


class VersionError(TunesmithError, ValueError):
    """A version asked for that cannot be made or used; nothing was changed."""


@dataclass(frozen=True)
class Version:
    """One stored version (`run_best`: the run's own best candidate; `run_gone`: its run was
    deleted, so it can no longer label)."""

    project: str
    number: int
    run_id: str
    candidate: str | None
    origin: str
    made_by: str
    created_at: float
    test_score: float | None
    val_score: float | None
    optimizer: str
    in_use: bool
    used_at: float | None = None
    run_best: str | None = None
    run_gone: bool = False

    @property
    def program_candidate(self) -> str | None:
        """What `predict_table(candidate=...)` takes: None for the run's best program."""
        return None if self.candidate in (None, self.run_best) else self.candidate

    @property
    def score(self) -> float | None:
        """The held-out score when known, else the validation score."""
        return self.test_score if self.test_score is not None else self.val_score

    def score_words(self) -> str:
        """'held-out 87.5%', else 'validation 80.0%', else 'not scored'."""
        if self.test_score is not None:
            return f"held-out {100 * self.test_score:.1f}%"
        if self.val_score is not None:
            return f"validation {100 * self.val_score:.1f}%"
        return "not scored"

    def label(self) -> str:
        """'v2 · IN USE · held-out 87.5% · best of run … · GEPA' for menus (the number, the
        mark and the score first: a narrow menu cuts the end)."""
        mark = ["IN USE"] if self.in_use else []
        parts = [f"v{self.number}", *mark, self.score_words(), self.origin, self.optimizer or "?"]
        return " · ".join(parts)


def start_candidate(run: dict[str, Any], candidates: list[dict[str, Any]]) -> dict | None:
    """The stored candidate of the student as given (None when it was never scored)."""
    for cand in candidates:
        if str(cand.get("origin") or "").startswith(BASELINE_ORIGIN):
            return cand
    wanted = run.get("baseline_candidate")
    return next((c for c in candidates if c["hash"] == wanted), None)


_SELECT = (
    "SELECT v.*, r.best_candidate AS run_best, r.id AS run_there FROM versions v"
    " LEFT JOIN runs r ON r.id = v.run_id"
)


def _version(row: dict[str, Any]) -> Version:
    return Version(
        project=row["project"], number=int(row["number"]), run_id=row["run_id"],
        candidate=row["candidate"], origin=row["origin"] or "", made_by=row["made_by"] or "",
        created_at=row["created_at"] or 0.0, test_score=row["test_score"],
        val_score=row["val_score"], optimizer=row["optimizer"] or "",
        in_use=bool(row["in_use"]), used_at=row["used_at"], run_best=row["run_best"],
        run_gone=row["run_there"] is None,
    )  # fmt: skip


def _read(store: RunStore, project: str) -> list[Version]:
    rows = store.db.rows(_SELECT + " WHERE v.project = :p ORDER BY v.number", {"p": project})
    return [_version(r) for r in rows]


def list_versions(project: str, db_path: str | Path | None = None) -> list[Version]:
    """The project's versions, v1 first (an empty list for a project without any)."""
    with RunStore(db_path) as store:
        return store.db.retrying(lambda: _read(store, project))


def version_in_use(project: str, db_path: str | Path | None = None) -> Version | None:
    """The project's version in use, or None when none was put in use yet."""
    return next((v for v in list_versions(project, db_path) if v.in_use), None)


def _scores(store: RunStore, run: dict[str, Any], candidate: str | None) -> tuple[Any, Any]:
    """(held-out score, validation score) of a run's candidate, None where not measured."""
    comp = run.get("comparison") or {}
    if candidate in (None, comp.get("best_candidate")) and run.get("test_best") is not None:
        test = run["test_best"]
    elif candidate == comp.get("baseline_candidate") and run.get("test_baseline") is not None:
        test = run["test_baseline"]
    else:
        rows = store.example_results(run["id"], candidate=candidate, subset="test")
        scores = [r["score"] or 0.0 for r in rows]
        test = sum(scores) / len(scores) if scores else None
    if candidate in (None, run.get("best_candidate")) and run.get("best_score") is not None:
        return test, run["best_score"]
    val = [t for t in store.trials(run["id"], subset="val") if t["candidate"] == candidate]
    return test, (max(val, key=lambda t: t["n"] or 0)["score"] if val else None)


def _insert(
    store: RunStore, project: str, run: dict[str, Any], candidate: str | None, origin: str,
    made_by: str,
) -> None:
    test, val = _scores(store, run, candidate)
    number = 1 + int(store.db.rows(
        "SELECT COALESCE(MAX(number), 0) AS n FROM versions WHERE project = :p", {"p": project}
    )[0]["n"])  # fmt: skip
    store.db.insert("versions", {
        "project": project, "number": number, "run_id": run["id"], "candidate": candidate,
        "origin": origin, "made_by": made_by, "optimizer": run.get("optimizer") or "",
        "created_at": time.time(), "test_score": test, "val_score": val, "in_use": 0,
    })  # fmt: skip


def _put_in_use(store: RunStore, project: str, number: int) -> None:
    store.db.execute("UPDATE versions SET in_use = 0 WHERE project = :p", {"p": project})
    store.db.execute(
        "UPDATE versions SET in_use = 1, used_at = :t WHERE project = :p AND number = :n",
        {"p": project, "n": number, "t": time.time()},
    )


def _checked_run(store: RunStore, run_id: str, candidate: str | None) -> tuple[dict, Any, list]:
    run = store.get_run(run_id)
    if run is None:
        raise VersionError(f"There is no run {run_id!r} in the store; nothing was changed.")
    if run["status"] in ACTIVE:
        raise VersionError(f"Run {run_id} is still going: put its prompt in use once it ends.")
    cands = store.candidates(run_id)
    chosen = candidate or run.get("best_candidate")
    if chosen is None and not run.get("program"):
        raise VersionError(f"Run {run_id} ended before it produced a prompt; nothing was changed.")
    if candidate is not None and candidate not in {c["hash"] for c in cands}:
        raise VersionError(f"Run {run_id} has no candidate {candidate!r}; nothing was changed.")
    return run, chosen, cands


def add_version(
    run_id: str, candidate: str | None = None, *, origin: str | None = None,
    made_by: str = THIS_MACHINE, use: bool = True, db_path: str | Path | None = None,
) -> Version:
    """Record a run's candidate (its best when None) as the project's next version and, with
    `use`, put it in use. The same run and candidate again gives back the version already
    stored. A project's first version is preceded by the run's start ("as written", v1), so
    there is always one to roll back to."""
    with RunStore(db_path) as store, store.exclusive():
        run, chosen, cands = _checked_run(store, run_id, candidate)
        project = run["name"]
        start = start_candidate(run, cands)
        known = _read(store, project)
        if not known and start is not None and start["hash"] != chosen:
            _insert(store, project, run, start["hash"], AS_WRITTEN, made_by)
        if origin is None:
            best = chosen == run.get("best_candidate")
            is_start = start is not None and chosen == start["hash"]
            origin = AS_WRITTEN if is_start else f"best of run {run_id}" if best else (
                f"candidate {str(chosen)[:8]} of run {run_id}")  # fmt: skip
        same = [v for v in _read(store, project) if (v.run_id, v.candidate) == (run_id, chosen)]
        if not same:
            _insert(store, project, run, chosen, origin, made_by)
        version = same[0] if same else _read(store, project)[-1]
        if use:
            _put_in_use(store, project, version.number)
        return next(v for v in _read(store, project) if v.number == version.number)


def use_version(project: str, number: int, db_path: str | Path | None = None) -> Version:
    """Put version `number` of `project` in use (roll back, or forward again)."""
    with RunStore(db_path) as store, store.exclusive():
        known = _read(store, project)
        if not known:
            names = [r["project"] for r in store.db.rows("SELECT DISTINCT project FROM versions")]
            have = ", ".join(repr(n) for n in sorted(names)) or "none yet"
            raise VersionError(
                f"The project {project!r} has no prompt versions (projects with versions: "
                f"{have}); nothing was changed."
            )
        wanted = next((v for v in known if v.number == number), None)
        if wanted is None:
            raise VersionError(
                f"{project!r} has no version {number} (it has v1 to v{known[-1].number}); "
                "nothing was changed."
            )
        if wanted.run_gone:
            raise VersionError(
                f"Version {number} of {project!r} came from run {wanted.run_id}, which was "
                "deleted, so it cannot label any more; nothing was changed."
            )
        _put_in_use(store, project, number)
        return next(v for v in _read(store, project) if v.number == number)
