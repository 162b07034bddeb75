"""Where the dashboard keeps things: the run store, the projects folder, the sample projects.

Everything lives under `$TUNESMITH_HOME/tunesmith_data/` (or `./tunesmith_data/` without it),
beside the run store the worker writes: `runs.db`, `logs/`, `projects/<slug>/`; with
`TUNESMITH_STORE` set to a team's PostgreSQL URL the runs live there and the rest stays here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.runs import load_spec, local_dir, resolve_path, store_location

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = ROOT / "sample_data"
DASHBOARD_SAMPLES = Path(__file__).resolve().parent / "samples"


def db_path() -> Any:
    """The run store: $TUNESMITH_STORE (a team's PostgreSQL URL), else the SQLite file under
    tunesmith_data/."""

    return store_location()


def data_dir() -> Path:
    """This machine's tunesmith_data/ folder (projects, logs, LM cache)."""

    return local_dir()


def projects_dir() -> Path:
    path = data_dir() / "projects"
    path.mkdir(parents=True, exist_ok=True)
    return path


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:48] or "project"


@dataclass(frozen=True)
class Sample:
    """A ready project to start from: a spec file whose CSV sits beside it."""

    key: str
    title: str
    blurb: str
    spec_path: Path
    icon: str


def samples() -> list[Sample]:
    """The sample projects whose data is present (the tour's first choice comes first)."""
    candidates = [
        Sample(
            "support_tickets",
            "Support ticket routing",
            "Send each customer ticket to the billing, technical or shipping team. "
            "60 labelled tickets, 3 teams.",
            SAMPLE_DATA / "support_tickets.yaml",
            ":material/support_agent:",
        ),
        Sample(
            "reviews",
            "Review sentiment",
            "Decide whether a product or service review is positive or negative. "
            "60 labelled reviews.",
            DASHBOARD_SAMPLES / "reviews.yaml",
            ":material/reviews:",
        ),
        Sample(
            "tidewell_rag",
            "Handbook questions (RAG)",
            "Answer questions about a kettle maker from its 43-passage handbook: "
            "search, then answer. 34 questions.",
            SAMPLE_DATA / "tidewell_rag.yaml",
            ":material/menu_book:",
        ),
        Sample(
            "tidewell_agent",
            "Product agent (tools)",
            "An agent looks products up in a 12-row table to answer. 20 questions.",
            SAMPLE_DATA / "tidewell_agent.yaml",
            ":material/smart_toy:",
        ),
        Sample(
            "banking77",
            "Banking intents (6)",
            "Classify a bank customer's message into one of six intents. Real data "
            "(Banking77); needs the shared benchmark folder.",
            SAMPLE_DATA / "banking77.yaml",
            ":material/account_balance:",
        ),
    ]
    out = []
    for sample in candidates:
        if not sample.spec_path.is_file():
            continue
        try:

            spec = load_spec(sample.spec_path)
            if resolve_path(spec, spec.data.csv, allow_outside=True).is_file():  # ours
                out.append(sample)
        except Exception:  # noqa: BLE001  (a broken sample is simply not offered)
            continue
    return out
