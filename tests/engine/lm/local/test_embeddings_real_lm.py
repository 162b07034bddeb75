"""Embedder over the embedded SmolLM2 GGUF (llama-cpp-python, embedding=True) and Embeddings
retrieval on a tiny corpus. Bounded: 4 passages and 4 queries, well under a minute."""

from __future__ import annotations

import numpy as np
import pytest
from local_lm_helpers import REAL_LM

import engine as dspy
from engine.retrievers import Embeddings

pytestmark = [*REAL_LM, pytest.mark.timeout(120)]

CORPUS = [
    "To reset your password, open the login page and click 'forgot password'.",
    "Refunds for a double charge on your credit card take five business days.",
    "Parcels ship within two days and the tracking number arrives by email.",
    "Our office is closed on public holidays.",
]
QUERIES = [
    ("How do I reset my password on the login page?", 0),
    ("I want a refund for the double charge on my credit card", 1),
    ("When do parcels ship and where is the tracking number?", 2),
    ("Is the office closed on public holidays?", 3),
]


def test_local_gguf_embeddings_give_sensible_neighbours():
    from engine.lm.usage import UsageLedger

    embedder = dspy.Embedder("local/smollm2-135m", batch_size=8, caching=False)
    ledger = UsageLedger()
    with dspy.context(usage_trackers=(ledger,)):
        vectors = embedder(CORPUS)
    (record,) = ledger.records  # one request under role "embed", its tokens counted, free
    assert record.role == "embed" and record.cost == 0.0 and not record.cache_hit
    assert 4 * 8 <= record.prompt_tokens <= 4 * 40, record.prompt_tokens
    embedder = dspy.Embedder("local/smollm2-135m", batch_size=8)
    vectors = embedder(CORPUS)
    assert vectors.shape[0] == 4 and vectors.shape[1] > 100
    assert np.isfinite(vectors).all() and np.linalg.norm(vectors, axis=1).min() > 0
    assert np.allclose(embedder(CORPUS[0]), vectors[0], atol=1e-4)  # deterministic (and cached)

    retriever = Embeddings(CORPUS, embedder, k=1)
    for text_index, text in enumerate(CORPUS):  # a passage is its own nearest neighbour
        assert retriever(text).indices == [text_index]
    hits = [retriever(query).indices[0] == target for query, target in QUERIES]
    # SmolLM2-135M is a chat model, not an embedding model: mean-pooled vectors still put
    # close paraphrases next to their passage; measured 4 of 4 here
    assert sum(hits) >= 3, hits
