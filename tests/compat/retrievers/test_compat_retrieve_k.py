"""`Retrieve(k)` returns k passages, as DSPy's does (issue 39, item 13): with BM25 the k places
are filled by the next best passages even when they share no word with the query."""

from __future__ import annotations

import pytest

import engine
from engine.retrievers import BM25

CORPUS = [
    "Refunds are issued within five business days.",
    "Track your parcel with the tracking number in your email.",
    "Reset your password from the login page.",
    "Our office is closed on public holidays.",
]


def test_retrieve_returns_k_even_when_only_one_passage_matches():
    engine.configure(rm=BM25(CORPUS))
    passages = engine.Retrieve(k=3)("refund").passages
    assert len(passages) == 3 and passages[0] == CORPUS[0]
    assert len(engine.Retrieve(k=2)("zebra quantum").passages) == 2  # nothing matches at all
    assert len(engine.Retrieve(k=10)("refund").passages) == len(CORPUS)  # never more than exist


def test_bm25_called_directly_keeps_matching_passages_only():
    rm = BM25(CORPUS)
    assert len(rm("refund", k=3)) == 1
    assert len(rm("refund", k=3, pad=True)) == 3


def test_any_other_rm_is_called_as_before():
    seen = []

    def rm(query, k):
        seen.append((query, k))
        return ["one"]

    engine.configure(rm=rm)
    assert engine.Retrieve(k=3)("q").passages == ["one"] and seen == [("q", 3)]


def test_dspy_retrieve_returns_what_its_rm_returns_k_of():
    dspy = pytest.importorskip("dspy")
    from dspy.utils.dummies import dummy_rm

    with dspy.context(rm=dummy_rm(CORPUS)):
        assert len(dspy.Retrieve(k=3)("refund").passages) == 3
    engine.configure(rm=engine.utils.dummy_rm(CORPUS))
    assert len(engine.Retrieve(k=3)("refund").passages) == 3
