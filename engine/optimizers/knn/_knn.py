"""`KNN(k, trainset, vectorizer=None)`: the k training examples nearest to some inputs.

With a vectorizer (an `engine.Embedder` or any function list[str] -> vectors), nearness is the
cosine similarity of embeddings, as in DSPy (which uses the dot product of the raw vectors).
Without one, the offline default: BM25 over the examples' input text, no model and no download;
when fewer than k examples share a word with the query, the rest are filled in trainset order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.retrievers.bm25 import BM25
from engine.retrievers.embeddings import Embeddings


def example_text(values: dict[str, Any]) -> str:
    """'key: value | key: value', the text DSPy's KNN embeds for an example's inputs."""
    return " | ".join(f"{key}: {value}" for key, value in values.items())


class KNN:
    """`KNN(k, trainset)(**inputs)` -> the k nearest training examples, nearest first."""

    def __init__(
        self,
        k: int,
        trainset: Sequence[Any],
        vectorizer: Callable[[list[str]], Any] | None = None,
    ) -> None:
        self.k = k
        self.trainset = list(trainset)
        self.vectorizer = vectorizer
        texts = [example_text(dict(ex.inputs().items())) for ex in self.trainset]
        if vectorizer is None:
            self._index: Any = BM25(texts, k=k)
        else:
            self._index = Embeddings(texts, vectorizer, k=k)

    def indices(self, **inputs: Any) -> list[int]:
        """Positions in the trainset of the k examples nearest to `inputs`."""
        if not self.trainset or self.k <= 0:
            return []
        found = list(self._index(example_text(inputs), k=self.k).indices)
        if len(found) < min(self.k, len(self.trainset)):
            rest = [i for i in range(len(self.trainset)) if i not in found]
            found += rest[: self.k - len(found)]
        return found

    def __call__(self, **inputs: Any) -> list[Any]:
        return [self.trainset[i] for i in self.indices(**inputs)]
