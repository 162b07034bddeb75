"""The index a Retrieve step or a `search` tool ranks its corpus with (its `rm`): BM25, or
embeddings by the step's embedder (the choice and its checks: retriever_choice.py).

The corpus is embedded on the first search, not when the program is built, so the pre-flight
makes no call; embedding requests go to the usage ledger under role "embed".
"""

from __future__ import annotations

import threading
from typing import Any

from engine.lm.embedder import Embedder
from engine.retrievers import BM25, Embeddings
from engine.runs.data import load_corpus
from engine.runs.spec import CorpusSpec, ProjectSpec, check_embedder, embedder_model


class LazyEmbeddings:
    """`Embeddings(passages, Embedder(model))`, built on the first search (thread-safe)."""

    def __init__(self, passages: list[str], model: str) -> None:
        self.passages = passages
        self.model = model
        self._index: Any = None
        self._lock = threading.Lock()

    def __call__(self, query: str, k: int | None = None, **kwargs: Any) -> Any:
        with self._lock:
            if self._index is None:
                self._index = Embeddings(self.passages, Embedder(self.model))
        return self._index(query, k=k, **kwargs)


def corpus_index(
    spec: ProjectSpec, corpus: CorpusSpec, retriever: str | None, embedder: str | None, key: str
) -> Any:
    """The `rm` of the corpus at spec key `key` (its file read now): BM25, or embeddings by the
    named embedder (checked now, before any call)."""
    passages = load_corpus(spec, corpus, f"{key}.corpus")
    if embedder:
        check_embedder(embedder, f"{key}.embedder")
    if retriever == "embeddings" and embedder:
        return LazyEmbeddings(passages, embedder_model(embedder))
    return BM25(passages)
