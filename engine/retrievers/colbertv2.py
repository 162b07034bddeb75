"""`ColBERTv2(url, port=None, post_requests=False)`: a client of a ColBERTv2 retrieval server.

As DSPy's: `ColBERTv2(url)(query, k=10)` sends GET `url?query=...&k=...` (or a JSON POST with
`post_requests=True`), reads `{"topk": [{"text": ..., "pid": ..., "score": ...}, ...]}` and
returns the first k as dicts that also read as attributes (`r["text"]`, `r.long_text`), each
with `long_text` set to its text; `simplify=True` returns the texts alone. Answers are cached
in memory per (url, method, query, k). Usable as `engine.configure(rm=ColBERTv2(url))`.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from typing import Any

TIMEOUT = 10.0
MAX_GET_K = 100
CACHE_SIZE = 1024


class ColBERTv2Error(ValueError):
    """The server could not be reached, or answered with an error or an unexpected shape."""


class Hit(dict):
    """One result: a dict whose keys also read as attributes (DSPy's `dotdict`)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"this result has no {key!r}; it has {list(self)}") from None


_cache: OrderedDict[tuple[str, str, str, int], list[dict[str, Any]]] = OrderedDict()
_cache_lock = threading.Lock()


def _read(request: urllib.request.Request, url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise ColBERTv2Error(f"ColBERTv2 server at {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ColBERTv2Error(f"ColBERTv2 server at {url} is unreachable: {exc}") from None
    try:
        data = json.loads(body)
    except ValueError:
        raise ColBERTv2Error(f"ColBERTv2 server at {url} did not answer JSON") from None
    if not isinstance(data, dict):
        raise ColBERTv2Error(f"ColBERTv2 server returned an unexpected response: {data!r}")
    if data.get("error"):
        raise ColBERTv2Error(
            f"ColBERTv2 server returned an error: {data.get('message', 'Unknown error')}"
        )
    if "topk" not in data:
        raise ColBERTv2Error(f"ColBERTv2 server returned an unexpected response: {data}")
    return data


def _request(url: str, query: str, k: int, post: bool) -> list[dict[str, Any]]:
    key = (url, "POST" if post else "GET", query, k)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if post:
        payload = json.dumps({"query": query, "k": k}).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    else:
        sep = "&" if urllib.parse.urlsplit(url).query else "?"
        full = url + sep + urllib.parse.urlencode({"query": query, "k": k})
        request = urllib.request.Request(full, method="GET")
    topk = _read(request, url)["topk"][:k]
    hits = [{**d, "long_text": d.get("text")} for d in topk if isinstance(d, dict)]
    with _cache_lock:
        _cache[key] = hits
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return hits


class ColBERTv2:
    """A ColBERTv2 server's client; call it with `(query, k=10, simplify=False)`."""

    def __init__(
        self,
        url: str = "http://127.0.0.1",  # DSPy: the any-address; a client means this machine
        port: str | int | None = None,
        post_requests: bool = False,
    ) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError(f"ColBERTv2 needs the server's url, not {url!r}")
        self.post_requests = bool(post_requests)
        self.url = f"{url}:{port}" if port else url

    def __call__(self, query: str, k: int = 10, simplify: bool = False) -> list[Any]:
        k = int(k)
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        if not self.post_requests and k > MAX_GET_K:
            raise ValueError(f"Only k <= {MAX_GET_K} is supported by a ColBERTv2 server, not {k}")
        hits = _request(self.url, str(query), k, self.post_requests)
        if simplify:
            return [h["long_text"] for h in hits]
        return [Hit(h) for h in hits]

    def __repr__(self) -> str:
        return f"ColBERTv2(url={self.url!r}, post_requests={self.post_requests})"
