"""`engine.ColBERTv2` against a fake ColBERTv2 server on 127.0.0.1 (http.server in a thread):
the request DSPy's client sends, the shape it returns, and use as `configure(rm=...)`.
Real dspy's client reads the same server the same way."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

import engine
from engine.retrievers import ColBERTv2Error

CORPUS = [
    "David Gregory (physician) | David Gregory inherited Kinnairdy Castle in 1664.",
    "Kinnairdy Castle | A tower house in Aberdeenshire, Scotland.",
    "Gregory family | A family of Scottish academics.",
    "Aberdeen | A city in the north east of Scotland.",
]


class _Handler(BaseHTTPRequestHandler):
    requests: list[tuple[str, dict]] = []

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _answer(self, query: str, k: int) -> None:
        if query == "fail":
            body = {"error": True, "message": "index not loaded"}
        elif query == "odd":
            body = {"results": []}
        else:
            words = set(query.lower().split())
            ranked = sorted(
                range(len(CORPUS)), key=lambda i: -len(words & set(CORPUS[i].lower().split()))
            )
            body = {
                "topk": [
                    {"text": CORPUS[i], "pid": i, "rank": r + 1, "score": 10.0 - r,
                     "prob": 0.5 / (r + 1)}
                    for r, i in enumerate(ranked)
                ][:k + 1],  # one more than asked: the client cuts to k
                "latency": 1.0,
            }  # fmt: skip
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        self.requests.append(("GET", params))
        if urlsplit(self.path).path.endswith("/missing"):
            self.send_error(404)
            return
        self._answer(params.get("query", ""), int(params.get("k", 10)))

    def do_POST(self):  # noqa: N802
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("POST", payload))
        self._answer(payload["query"], int(payload["k"]))


@pytest.fixture
def server():
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], _Handler.requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


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
