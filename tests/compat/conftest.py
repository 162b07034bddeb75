"""Fixtures of the DSPy-compatibility suite: a fake ColBERTv2 server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest

COLBERT_CORPUS = [
    "David Gregory (physician) | David Gregory of Kinnairdy castle was a Scottish physician "
    "and inventor, born in 1625. He inherited Kinnairdy Castle in 1664.",
    "Kinnairdy Castle | A tower house in Aberdeenshire, Scotland.",
    "Gregory family | A family of Scottish academics.",
    "Aberdeen | A city in the north east of Scotland.",
]


class _ColBERTHandler(BaseHTTPRequestHandler):
    """Answers as a ColBERTv2 server: {"topk": [{"text", "pid", "rank", "score", "prob"}]},
    ranked by words shared with the query; one more than asked (clients cut to k). The query
    "fail" gets an error body, "odd" a body without "topk", the path /missing a 404."""

    requests: list[tuple[str, dict]] = []

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def _answer(self, query: str, k: int) -> None:
        if query == "fail":
            body: dict = {"error": True, "message": "index not loaded"}
        elif query == "odd":
            body = {"results": []}
        else:
            words = set(query.lower().split())
            ranked = sorted(
                range(len(COLBERT_CORPUS)),
                key=lambda i: -len(words & set(COLBERT_CORPUS[i].lower().split())),
            )
            body = {
                "topk": [
                    {"text": COLBERT_CORPUS[i], "pid": i, "rank": r + 1, "score": 10.0 - r,
                     "prob": 0.5 / (r + 1)}
                    for r, i in enumerate(ranked)
                ][: k + 1],
                "latency": 1.0,
            }  # fmt: skip
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        self.requests.append(("GET", params))
        if urlsplit(self.path).path.endswith("/missing"):
            self.send_error(404)
            return
        self._answer(params.get("query", ""), int(params.get("k", 10)))

    def do_POST(self) -> None:  # noqa: N802
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("POST", payload))
        self._answer(payload["query"], int(payload["k"]))


class ColBERTServer(NamedTuple):
    port: int
    requests: list[tuple[str, dict]]  # (method, query parameters or JSON body), in order
    corpus: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def colbert_server() -> Iterator[ColBERTServer]:
    """A fake ColBERTv2 server on 127.0.0.1 over COLBERT_CORPUS."""
    _ColBERTHandler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ColBERTHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield ColBERTServer(httpd.server_address[1], _ColBERTHandler.requests, COLBERT_CORPUS)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
