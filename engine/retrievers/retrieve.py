"""`Retrieve(k=3)`: the module that asks the configured retriever (`configure(rm=...)`)."""

from __future__ import annotations

from typing import Any

from engine.core import Prediction, TunesmithError, record_trace, settings
from engine.modules.module import Module
from engine.retrievers.passages import passage_texts

NO_RM = (
    "Retrieve needs a retriever, and none is configured: call "
    "engine.configure(rm=engine.retrievers.BM25(corpus)) with your passages (a list of strings), "
    "or pass any function rm(query, k) -> passages."
)


class NoRetrieverError(TunesmithError, AssertionError):
    """`Retrieve` was called with no `rm` configured (an AssertionError, as in DSPy)."""


class Retrieve(Module):
    """`Retrieve(k=3)(query)` -> `Prediction(passages=[...])`, from `settings.rm(query, k)`.

    As in DSPy, k passages come back when the corpus holds k: a `BM25` rm is asked to pad
    with its next best passages even when they share no word with the query.

    Not learnable; its state is `{"k": k}`, saved with the program as DSPy saves it. Each call
    is recorded in the trace like a step (inputs: query and k; outputs: the passages).
    """

    name = "Search"
    input_variable = "query"
    desc = (
        "takes a search query and returns one or more potentially relevant passages from a corpus"
    )
    saves_own_state = True  # Module.dump_state() includes this module's dump_state()

    def __init__(self, k: int = 3, callbacks: list[Any] | None = None) -> None:
        self.k = k
        self.callbacks = list(callbacks or [])

    def reset(self) -> None:
        """Nothing to reset: a retriever has no demos."""

    def dump_state(self) -> dict[str, Any]:
        return {"k": self.k}

    def load_state(self, state: dict[str, Any]) -> Retrieve:
        self.k = int(state.get("k", self.k))
        return self

    def forward(self, query: str, k: int | None = None, **kwargs: Any) -> Prediction:
        rm = settings.rm
        if rm is None:
            raise NoRetrieverError(NO_RM)
        k = self.k if k is None else k
        if getattr(rm, "pads_on_request", False):  # BM25: k passages, as DSPy returns
            kwargs.setdefault("pad", True)
        passages = passage_texts(rm(str(query), k=k, **kwargs))
        prediction = Prediction(passages=passages)
        record_trace((self, {"query": query, "k": k}, prediction))
        return prediction

    def __repr__(self) -> str:
        return f"Retrieve(k={self.k})"
