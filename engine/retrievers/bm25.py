"""`BM25(corpus, k=3)`: lexical retrieval over a list of passages, on the `bm25s` library.

Offline and in-process: the index is built in memory from the corpus (no download, no server).
Tokens are lower-cased words of two or more letters/digits, English stopwords removed, with a
light suffix stemmer (plural and -ing/-ed endings) so that "charges" finds "charged".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from engine.retrievers.passages import Passage, Passages, corpus_texts, item_meta

TOKEN = re.compile(r"(?u)\b\w\w+\b")
Stemmer = Callable[[str], str]


def light_stem(word: str) -> str:
    """Strip common English inflections (ies -> y, (s|x|z|ch|sh)es, s, ing, ed; stems of 3+
    letters), then a final silent e, so charge / charges / charged / charging share "charg"."""
    stem = _strip_suffix(word)
    return stem[:-1] if len(stem) > 3 and stem.endswith("e") else stem


def _strip_suffix(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]  # "stopped" -> "stop"
            return stem
    return word


def _stopwords(stopwords: str | Iterable[str] | None) -> frozenset[str]:
    if stopwords is None:
        return frozenset()
    if isinstance(stopwords, str):
        if stopwords.lower() not in ("en", "english"):
            raise ValueError(f"unknown stopword list {stopwords!r}: use 'en', None or a list")
        from bm25s.stopwords import STOPWORDS_EN

        return frozenset(STOPWORDS_EN)
    return frozenset(w.lower() for w in stopwords)


def top_indices(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k highest scores, best first (equal scores: lower index first)."""
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(len(scores))
    return [int(i) for i in part[np.lexsort((part, -scores[part]))]]


class BM25:
    """`BM25(corpus, k=3)`; `bm25(query, k=None)` returns the top passages with their scores.

    `corpus` is a list of strings or of dicts with a "text" key (other keys ride along on each
    passage's `meta`). Passages that share no word with the query are not returned, so a result
    may hold fewer than k passages, unless `pad=True`: then the k best are returned even at
    score zero (as `bm25s` and DSPy's BM25 retrieval do; `engine.Retrieve` asks for this).
    `stemmer` is "light" (default), None, or a function word -> stem. Use it as
    `engine.configure(rm=BM25(corpus))` for `engine.Retrieve`.
    """

    pads_on_request = True  # takes `pad=True` (see `engine.retrievers.retrieve`)

    def __init__(
        self,
        corpus: Sequence[Any],
        k: int = 3,
        *,
        stopwords: str | Iterable[str] | None = "en",
        stemmer: str | Stemmer | None = "light",
        k1: float = 1.5,
        b: float = 0.75,
        method: str = "lucene",
    ) -> None:
        import bm25s

        self.corpus = list(corpus)
        self.texts = corpus_texts(self.corpus)
        self.k = k
        self._stop = _stopwords(stopwords)
        self._stem: Stemmer | None = light_stem if stemmer == "light" else stemmer  # type: ignore[assignment]
        if isinstance(self._stem, str):
            raise ValueError(f"unknown stemmer {stemmer!r}: use 'light', None or a function")
        self._index = bm25s.BM25(k1=k1, b=b, method=method)
        if self.texts:
            self._index.index([self.tokenize(t) for t in self.texts], show_progress=False)

    def tokenize(self, text: str) -> list[str]:
        """The index terms of a text."""
        words = [w for w in TOKEN.findall(text.lower()) if w not in self._stop]
        return [self._stem(w) for w in words] if self._stem else words

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every corpus passage for `query`."""
        ids = self._index.get_tokens_ids(self.tokenize(query)) if self.texts else []
        if not ids:
            return np.zeros(len(self.texts), dtype=np.float32)
        return self._index.get_scores_from_ids(ids)

    def __call__(
        self, query: str, k: int | None = None, *, pad: bool = False, **kwargs: Any
    ) -> Passages:
        """The (up to) k best passages for `query`, best first; ties keep corpus order. With
        `pad=True`, passages that share no word with the query fill the k places too."""
        k = self.k if k is None else int(k)
        scores = self.scores(str(query))
        if k <= 0 or not len(scores):
            return Passages()
        top = top_indices(scores, k)
        return Passages(
            Passage(self.texts[i], float(scores[i]), int(i), item_meta(self.corpus[i]))
            for i in top
            if pad or scores[i] > 0
        )

    forward = __call__

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        return f"BM25({len(self.texts)} passages, k={self.k})"
