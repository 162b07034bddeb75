"""DSPy's `dspy.utils.dummies`: `DummyLM`, a scripted LM with DSPy's constructor, and
`dummy_rm`, a small character n-gram retriever over a list of passages, and `DummyVectorizer`,
an embedder without a model (for tests).

`DummyLM` is an `engine.lm.ScriptedLM`: history, usage and settings are the real LM's.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from engine.lm.scripted import ScriptedLM, message_text, render_fields

NO_MORE = "No more responses"


class DummyLM(ScriptedLM):
    """`DummyLM(answers, follow_examples=False, reasoning=False, adapter=None)`, as in DSPy.

    - a list of dicts: each call answers with the next dict's fields (then
      `{"answer": "No more responses"}` once the list is used up, as DSPy does);
    - a dict of dicts: the first key found in the last message picks the answer (else the
      text "No more responses");
    - `follow_examples=True`: answers as the demo whose inputs equal the call's inputs.

    Answers are written in the chat adapter's `[[ ## field ## ]]` format, or as a JSON object
    when `adapter` is a JSONAdapter. `reasoning` is accepted (DSPy adds a thinking part; a
    scripted answer has none).
    """

    def __init__(
        self,
        answers: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
        follow_examples: bool = False,
        reasoning: bool = False,
        adapter: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(answers, (Mapping, Sequence)) or isinstance(answers, str):
            raise TypeError(
                "DummyLM(answers): give a list of dicts ({field: value} per call) or a dict "
                f"of dicts (text found in the prompt -> fields), not {type(answers).__name__}"
            )
        self.follow_examples = bool(follow_examples)
        self.reasoning = bool(reasoning)
        self.adapter = adapter
        self._by_key = dict(answers) if isinstance(answers, Mapping) else None
        self._queue = list(answers) if not isinstance(answers, Mapping) else []
        self._queue_lock = threading.Lock()
        if self.follow_examples:
            kwargs.setdefault("default", {"answer": NO_MORE})
            super().__init__(follow_demos=True, name="dummy", **kwargs)
        else:
            super().__init__(by_input=self._scripted, name="dummy", **kwargs)

    def _render(self, fields: Mapping[str, Any]) -> str:
        if type(self.adapter).__name__ == "JSONAdapter":
            return json.dumps(dict(fields), ensure_ascii=False, default=str)
        return render_fields(fields)

    def _scripted(self, messages: list[dict[str, Any]]) -> str:
        if self._by_key is not None:
            last = message_text(messages[-1]) if messages else ""
            for key, fields in self._by_key.items():
                if key in last:
                    return self._render(fields)
            return NO_MORE
        with self._queue_lock:
            fields = self._queue.pop(0) if self._queue else {"answer": NO_MORE}
        return self._render(fields)

    def get_convo(self, index: int) -> tuple[list[dict[str, Any]], list[Any]]:
        """(messages, outputs) of the call at `index` of the history."""
        entry = self.history[index]
        return entry["messages"], entry["outputs"]


def _grams(text: str, n: int = 2) -> Counter[str]:
    return Counter(text[i : i + n] for i in range(max(0, len(text) - n + 1)))


def dummy_rm(passages: Iterable[str] = ()) -> Callable[..., list[dict[str, str]]]:
    """`dummy_rm(passages)(query, k=...)`: the k passages sharing the most character bigrams
    with the query, as dicts with `long_text` (DSPy's test retriever; scores differ)."""
    texts = list(passages)
    vectors = [_grams(t) for t in texts]

    def retrieve(query: str, *, k: int, **kwargs: Any) -> list[dict[str, str]]:
        if not texts:
            raise ValueError("No passages defined")
        if k > len(texts):
            raise ValueError(f"k={k} is more than the {len(texts)} passages given")
        q = _grams(str(query))
        scores = [sum(min(c, v[g]) for g, c in q.items()) for v in vectors]
        order = sorted(range(len(texts)), key=lambda i: (-scores[i], i))[:k]
        return [{"long_text": texts[i]} for i in order]

    return retrieve


class DummyVectorizer:
    """A test embedder with no model: each text becomes the counts of its character n-grams,
    hashed into `max_length` buckets, centred and scaled to unit length (a numpy array, one row
    per text). Similar texts get close vectors; `Embedder(DummyVectorizer())` wraps it."""

    def __init__(self, max_length: int = 100, n_gram: int = 2) -> None:
        if max_length < 1 or n_gram < 1:
            raise ValueError(f"max_length and n_gram must be positive, got {max_length}, {n_gram}")
        self.max_length = max_length
        self.n_gram = n_gram

    def __call__(self, texts: Sequence[str]) -> Any:
        import numpy as np  # numpy is loaded only when vectors are asked for

        rows = np.zeros((len(texts), self.max_length), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for gram, count in _grams(str(text), self.n_gram).items():
                row[zlib.crc32(gram.encode("utf-8")) % self.max_length] += count
        rows -= rows.mean(axis=1, keepdims=True)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True) + 1e-10
        return rows
