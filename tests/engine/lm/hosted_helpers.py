"""Shared by the hosted-path tests: the bench's fake OpenAI-compatible server (127.0.0.1, no
model), support tickets it labels deterministically, and an LM pointed at it."""

from __future__ import annotations

import engine as ts
from bench.core.fake_openai_server import FakeOpenAI, label_for

__all__ = ["TICKETS", "FakeOpenAI", "Ticket", "fake_lm", "ticket_rows"]

TICKETS = [
    "I was charged twice for my subscription this month.",
    "My package has not arrived and it's been two weeks.",
    "The app crashes every time I open the settings page.",
    "Why is there a late fee on my invoice?",
    "The courier left my package at the wrong house.",
    "I can't log in even after resetting my password.",
    "Please refund the duplicate payment on my card.",
    "Tracking says delivered but nothing is here.",
    "The website shows an error when I upload a file.",
    "My invoice lists a plan I never ordered.",
]


class Ticket(ts.Signature):
    """Classify the support ticket."""

    ticket: str = ts.InputField()
    category: str = ts.OutputField(desc="one of: billing, shipping, technical")


def ticket_rows(texts: list[str]) -> list[ts.Example]:
    """Examples of `texts` with the server's own label as the answer."""
    return [ts.Example(ticket=t, category=label_for(t)).with_inputs("ticket") for t in texts]


def fake_lm(server: FakeOpenAI) -> ts.LM:
    """An uncached LM on the fake server."""
    return ts.LM("openai/fake-model", api_base=server.api_base, api_key="fake", cache=False)
