"""`engine.ColBERTv2` against a fake ColBERTv2 server on 127.0.0.1 (tests/compat/conftest.py):
the request DSPy's client sends, the shape it returns, and use as `configure(rm=...)`.
Real dspy's client reads the same server the same way."""

from __future__ import annotations

import uuid

import pytest

import engine
from engine.retrievers import ColBERTv2Error


@pytest.fixture
def server(colbert_server):
    assert colbert_server.corpus[:2] == CORPUS
    return colbert_server.port, colbert_server.requests


CORPUS = [
    "David Gregory (physician) | David Gregory of Kinnairdy castle was a Scottish physician "
    "and inventor, born in 1625. He inherited Kinnairdy Castle in 1664.",
    "Kinnairdy Castle | A tower house in Aberdeenshire, Scotland.",
]  # the first two passages of the server's corpus (tests/compat/conftest.py)


def _q(text: str) -> str:
    """A query no earlier test asked (the client caches answers, as DSPy's does)."""
    return f"{text} {uuid.uuid4().hex[:6]}"


def test_get_request_and_result_shape(server):
    port, requests = server
    rm = engine.ColBERTv2(url=f"http://127.0.0.1:{port}/wiki17_abstracts")
    query = _q("David Gregory castle")
    results = rm(query, k=3)
    assert requests == [("GET", {"query": query, "k": "3"})]
    assert len(results) == 3
    top = results[0]
    assert top["text"] == top.long_text == top.text == CORPUS[0]
    assert top["pid"] == 0 and top.score == 10.0 and "rank" in top
    assert [x["text"] for x in results] == [r.long_text for r in results]  # the seed's search()
    assert rm(query, k=3, simplify=True) == [r["text"] for r in results]
    assert len(requests) == 1  # the same query again comes from the cache


def test_port_and_post_requests(server):
    port, requests = server
    rm = engine.ColBERTv2(url="http://127.0.0.1", port=port, post_requests=True)
    assert rm.url == f"http://127.0.0.1:{port}"
    query = _q("Aberdeen")
    assert len(rm(query, k=2)) == 2
    assert requests == [("POST", {"query": query, "k": 2})]


def test_server_errors_are_clear(server):
    port, _ = server
    rm = engine.ColBERTv2(url=f"http://127.0.0.1:{port}")
    with pytest.raises(ColBERTv2Error, match="index not loaded"):
        rm("fail", k=1)
    with pytest.raises(ValueError, match="unexpected response"):
        rm("odd", k=1)
    with pytest.raises(ColBERTv2Error, match="HTTP 404"):
        engine.ColBERTv2(url=f"http://127.0.0.1:{port}/missing")(_q("x"), k=1)
    with pytest.raises(ValueError, match="k <= 100"):
        rm("x", k=101)
    with pytest.raises(ValueError, match="url"):
        engine.ColBERTv2(url="")


def test_unreachable_server_says_so():
    with pytest.raises(ColBERTv2Error, match="unreachable"):
        engine.ColBERTv2(url="http://127.0.0.1:9")(_q("x"), k=1)


def test_as_the_configured_retriever(server):
    port, _ = server
    engine.configure(rm=engine.ColBERTv2(url=f"http://127.0.0.1:{port}"))
    passages = engine.Retrieve(k=2)(_q("Kinnairdy Castle tower")).passages
    assert passages == [CORPUS[1], CORPUS[0]]


def test_dspy_reads_the_same_server_the_same_way(server):
    dspy = pytest.importorskip("dspy")
    port, _ = server
    url = f"http://127.0.0.1:{port}/wiki17_abstracts"
    query = _q("David Gregory castle")
    theirs = dspy.ColBERTv2(url=url)(query, k=3)
    ours = engine.ColBERTv2(url=url)(query, k=3)
    assert [dict(x) for x in ours] == [dict(x) for x in theirs]
    with dspy.context(rm=dspy.ColBERTv2(url=url)):
        want = dspy.Retrieve(k=2)(query).passages
    engine.configure(rm=engine.ColBERTv2(url=url))
    assert engine.Retrieve(k=2)(query).passages == want
