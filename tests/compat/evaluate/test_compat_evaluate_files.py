"""`Evaluate(save_as_json=..., save_as_csv=...)`: one record per example (its fields, the
outputs, the score under the metric's name), pydantic values as their data (issue 39)."""

from __future__ import annotations

import csv
import json

import engine as dspy
from engine.evaluate import answer_exact_match
from engine.lm.scripted import ScriptedLM


def test_results_are_saved_as_json_and_csv(tmp_path):
    dspy.configure(lm=ScriptedLM([{"answer": "2"}, {"answer": "5"}]))
    history = dspy.History(messages=[{"question": "Q0", "answer": "A0"}])
    devset = [
        dspy.Example(question="1+1?", answer="2", history=history).with_inputs("question"),
        dspy.Example(question="2+2?", answer="4", history=history).with_inputs("question"),
    ]
    json_path, csv_path = tmp_path / "r.json", tmp_path / "r.csv"
    result = dspy.Evaluate(devset=devset, metric=answer_exact_match, num_threads=1,
                           save_as_json=str(json_path), save_as_csv=str(csv_path))(
        dspy.Predict("question -> answer")
    )  # fmt: skip
    assert result.score == 50.0
    records = json.loads(json_path.read_text())
    assert [r["answer_exact_match"] for r in records] == [1.0, 0.0]
    assert records[1]["answer"] == "5"  # the program's output (over the example's label)
    assert records[0]["history"] == {"messages": [{"question": "Q0", "answer": "A0"}]}
    rows = list(csv.DictReader(csv_path.open()))
    assert len(rows) == 2 and json.loads(rows[0]["history"])["messages"][0]["answer"] == "A0"


def test_a_call_can_name_its_own_files_as_in_dspy(tmp_path):
    """DSPy's `evaluate(program, save_as_json=..., save_as_csv=...)` overrides the ones the
    Evaluate was built with, for that call."""
    dspy.configure(lm=ScriptedLM([{"answer": "2"}]))
    devset = [dspy.Example(question="1+1?", answer="2").with_inputs("question")]
    built, called = tmp_path / "built.json", tmp_path / "called.json"
    evaluate = dspy.Evaluate(devset=devset, metric=answer_exact_match, save_as_json=str(built))
    evaluate(dspy.Predict("question -> answer"), save_as_json=str(called), display_progress=True)
    assert [r["answer_exact_match"] for r in json.loads(called.read_text())] == [1.0]
    assert not built.exists()
