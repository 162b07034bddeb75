"""`Embeddings(corpus, embedder, k=5)`: the k passages nearest to a query by cosine similarity.

Brute force over the corpus embeddings (one matrix product per query, numpy): exact, and fast
enough for the corpora a project uploads (10k passages x 576 dims: a few ms per query).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.retrievers.bm25 import top_indices
from engine.retrievers.passages import Passage, Passages, corpus_texts, item_meta


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-10)


class Embeddings:
    """`Embeddings(corpus, embedder, k=5)`; `retriever(query, k=None)` -> Passages (with
    `.passages`, `.indices` and `.scores`, as DSPy's Prediction has). `embedder` is an
    `engine.Embedder` or any function list[str] -> vectors. Usable as `configure(rm=...)`."""

    def __init__(
        self,
        corpus: Sequence[Any],
        embedder: Callable[[list[str]], Any],
        k: int = 5,
        callbacks: list[Any] | None = None,
        cache: bool = False,
        brute_force_threshold: int = 20_000,
        normalize: bool = True,
    ) -> None:
        self.corpus = list(corpus)
        self.texts = corpus_texts(self.corpus)
        self.embedder = embedder
        self.k = k
        self.normalize = normalize
        self.callbacks = list(callbacks or [])
        self.corpus_embeddings = self._embed(self.texts) if self.texts else np.zeros((0, 0))

    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.embedder(texts), dtype=np.float32)
        if vectors.ndim == 1:
            vectors = vectors[None, :]
        return _normalize(vectors) if self.normalize else vectors

    def __call__(self, query: str, k: int | None = None, **kwargs: Any) -> Passages:
        """The k passages most similar to `query`, best first."""
        k = self.k if k is None else int(k)
        if k <= 0 or not self.texts:
            return Passages()
        scores = self.corpus_embeddings @ self._embed([str(query)])[0]
        return Passages(
            Passage(self.texts[i], float(scores[i]), i, item_meta(self.corpus[i]))
            for i in top_indices(scores, k)
        )

    forward = __call__

    def save(self, path: str | Path) -> None:
        """Write the corpus, k and the corpus embeddings to a folder (no re-embedding on load)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        config = {"k": self.k, "normalize": self.normalize, "corpus": self.corpus}
        (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False))
        np.save(folder / "corpus_embeddings.npy", self.corpus_embeddings)

    def load(self, path: str | Path, embedder: Callable[[list[str]], Any]) -> Embeddings:
        folder = Path(path)
        config = json.loads((folder / "config.json").read_text())
        self.k, self.normalize = config["k"], config["normalize"]
        self.corpus = list(config["corpus"])
        self.texts = corpus_texts(self.corpus)
        self.embedder = embedder
        self.callbacks = []
        self.corpus_embeddings = np.load(folder / "corpus_embeddings.npy")
        return self

    @classmethod
    def from_saved(cls, path: str | Path, embedder: Callable[[list[str]], Any]) -> Embeddings:
        return cls.__new__(cls).load(path, embedder)

    def __repr__(self) -> str:
        return f"Embeddings({len(self.texts)} passages, k={self.k})"


class EmbeddingsWithScores(Embeddings):
    """DSPy's name for an `Embeddings` whose results carry similarity scores: every engine
    `Embeddings` result does (`.passages`, `.indices`, `.scores`), so this is the same search."""
