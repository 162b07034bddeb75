"""Retrieval: `Retrieve` (the module), the retrievers `BM25` (default, offline, lexical) and
`Embeddings` (cosine search over an `Embedder`), `ColBERTv2` (a client of a ColBERT server),
and the passages they return.

Loaded lazily: `engine.Retrieve` does not import numpy or bm25s until a retriever is built.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BM25": "bm25", "light_stem": "bm25", "Embeddings": "embeddings",
    "EmbeddingsWithScores": "embeddings",
    "ColBERTv2": "colbertv2", "ColBERTv2Error": "colbertv2",
    "Passage": "passages", "Passages": "passages",
    "NoRetrieverError": "retrieve", "Retrieve": "retrieve",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"engine.retrievers.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'engine.retrievers' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
