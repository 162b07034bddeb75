"""DSPy's `EmbeddingsWithScores`: the passages, their indices and similarity scores."""

from __future__ import annotations

import numpy as np

import engine as dspy

CORPUS = ["cats purr", "dogs bark", "cats and dogs"]


def embed(texts):
    return np.array([[t.count("cat"), t.count("dog"), 1.0] for t in texts], dtype=float)


def test_results_carry_passages_indices_and_scores():
    search = dspy.EmbeddingsWithScores(corpus=CORPUS, embedder=embed, k=2)
    result = search("cat")
    assert result.passages[0] == "cats purr" and result.indices[0] == 0
    assert len(result.scores) == 2 and result.scores[0] >= result.scores[1]
    assert isinstance(search, dspy.retrievers.Embeddings)
    assert dspy.retrievers.EmbeddingsWithScores is dspy.EmbeddingsWithScores
