"""Retrieval: `Retrieve` (the module), the retrievers `BM25` (default, offline, lexical) and
`Embeddings` (cosine search over an `Embedder`), `ColBERTv2` (a client of a ColBERT server),
and the passages they return. `bm25s` loads when a BM25 index is first built.
"""

from engine.retrievers.bm25 import BM25, light_stem
from engine.retrievers.colbertv2 import ColBERTv2, ColBERTv2Error
from engine.retrievers.embeddings import Embeddings, EmbeddingsWithScores
from engine.retrievers.passages import Passage, Passages
from engine.retrievers.retrieve import NoRetrieverError, Retrieve

__all__ = [
    "BM25", "ColBERTv2", "ColBERTv2Error", "Embeddings", "EmbeddingsWithScores",
    "NoRetrieverError", "Passage", "Passages", "Retrieve", "light_stem",
]  # fmt: skip
