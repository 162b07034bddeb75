"""Prompt versions for the pages: the project a page is about, who is signed in, and which
program labels and exports by default (the version in use; else the finished run with the best
held-out score, never merely the newest run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard import home, hosts, state
from engine.runs import THIS_MACHINE, Version, list_versions, version_in_use


def made_by() -> str:
    """Who puts a prompt in use: the signed-in person's email when the dashboard is served to
    a team, else "this machine"."""
    if hosts.is_loopback(st.get_option("server.address")) or not st.user.get("is_logged_in"):
        return THIS_MACHINE
    return str(st.user.get("email") or st.user.get("name") or THIS_MACHINE)


def project_of(runs: list[dict[str, Any]]) -> str | None:
    """The open project's name when it has runs, else the newest run's project."""
    names = [r["name"] for r in runs]
    if state.has_project() and state.draft().get("name") in names:
        return state.draft()["name"]
    return names[0] if names else None


def held_out_first(run: dict[str, Any]) -> tuple[bool, float, float]:
    """Sort key: a run with a held-out score first, then the higher score."""
    test, val = run.get("test_best"), run.get("best_score")
    return (test is not None, test if test is not None else val or 0.0, run.get("created_at") or 0)


def best_run(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The finished run with the best held-out score (else validation score), not the newest."""
    finished = [r for r in runs if r["status"] == "finished"] or runs
    return max(finished, key=held_out_first) if finished else None


@dataclass(frozen=True)
class Default:
    """What a page labels or exports with when the person has not picked anything."""

    run_id: str
    candidate: str | None  # None: the run's best program
    version: Version | None  # the version in use, when the project has one
    note: str  # one plain line when there is no version in use


def default_program(runs: list[dict[str, Any]]) -> Default | None:
    """The project's version in use (its run still stored), else the best finished run."""
    project = project_of(runs)
    if project is None:
        return None
    ids = {r["id"] for r in runs}
    used = version_in_use(project, home.db_path())
    if used is not None and not used.run_gone and used.run_id in ids:
        return Default(used.run_id, used.program_candidate, used, "")
    mine = [r for r in runs if r["name"] == project]
    best = best_run(mine) or best_run(runs)
    why = (
        f"The version in use, v{used.number}, came from a run that was deleted"
        if used is not None
        else f"No prompt of “{project}” is in use yet"
    )
    return Default(best["id"], None, None, f"{why}: showing the finished run with the best "
                   "held-out score. Put a prompt in use on the Run or Compare page.")  # fmt: skip


def versions_of(project: str | None) -> list[Version]:
    return list_versions(project, home.db_path()) if project else []
