"""What retrievers return: `Passage` (text, score, corpus index) and `Passages`, a list of them.

`Passages` reads like DSPy's results in every shape they come in: iterate it for passages with
`.long_text` (what `dspy.Retrieve` reads from an rm), index a passage like ColBERT's dicts
(`p["text"]`), or read `.passages` / `.indices` / `.scores` as on the Prediction that
`dspy.retrievers.Embeddings` returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TEXT_KEYS = ("text", "long_text", "content", "passage")


@dataclass(frozen=True)
class Passage:
    """One retrieved passage: its text, score and position in the corpus (`pid`)."""

    text: str
    score: float
    index: int
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def long_text(self) -> str:
        return self.text

    @property
    def pid(self) -> int:
        return self.index

    def __getitem__(self, key: str) -> Any:
        if key in ("text", "long_text"):
            return self.text
        if key == "score":
            return self.score
        if key in ("pid", "index"):
            return self.index
        return self.meta[key]

    def __str__(self) -> str:
        return self.text


class Passages(list):
    """The top passages of one query, best first."""

    @property
    def passages(self) -> list[str]:
        return [p.text for p in self]

    @property
    def indices(self) -> list[int]:
        return [p.index for p in self]

    @property
    def scores(self) -> list[float]:
        return [p.score for p in self]


def item_text(item: Any) -> str:
    """The text of one corpus item: a string, or a dict with a text/long_text/content key."""
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        for key in TEXT_KEYS:
            if key in item and item[key] is not None:
                return str(item[key])
        raise ValueError(
            f"corpus item {dict(item)!r} has none of the keys {TEXT_KEYS} holding its text"
        )
    text = getattr(item, "long_text", None) or getattr(item, "text", None)
    if text is not None:
        return str(text)
    raise TypeError(f"corpus items must be strings or dicts with a 'text' key, not {item!r}")


def corpus_texts(corpus: Iterable[Any]) -> list[str]:
    """Every item's text, in order (see `item_text`)."""
    return [item_text(item) for item in corpus]


def item_meta(item: Any) -> dict[str, Any]:
    """The other keys of a dict item (kept on its passages), else {}."""
    if isinstance(item, Mapping):
        return {k: v for k, v in item.items() if k not in TEXT_KEYS}
    return {}


def passage_texts(result: Any) -> list[str]:
    """The passage texts of whatever a retriever returned (see the module docstring)."""
    if result is None:
        return []
    if isinstance(result, str):
        return [result]
    if not isinstance(result, (list, tuple)) and hasattr(result, "passages"):
        return [str(p) for p in result.passages]
    if isinstance(result, Mapping) and "passages" in result:
        return [str(p) for p in result["passages"]]
    if not isinstance(result, Iterable):
        result = [result]
    return [item_text(item) for item in result]
