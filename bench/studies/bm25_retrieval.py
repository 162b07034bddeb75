"""BM25 retrieval on 10k generated passages: `engine.retrievers.BM25` (bm25s) against plain-Python
BM25 (an inverted index, and a full scan per query), latency and recall@k.

The corpus is generated, deterministic: each passage states one attribute of one made-up entity
("The harbour of Velmora Quint is in the north...") with filler sentences drawn from shared word
lists, so many passages share most words. A query asks for one entity's attribute in other words
than its passage ("Where is the harbour of Velmora Quint?"); its one relevant passage is known.
All three rank with the same tokenizer and the same BM25 (Lucene idf, k1=1.5, b=0.75).

    python -m bench.studies.bm25_retrieval            # print the tables
    python -m bench.studies.bm25_retrieval --write    # and replace bench/results/bm25.md's section
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import time
from collections import Counter, defaultdict

from bench.core.common import (
    command_line,
    isolate_caches,
    machine,
    markdown_table,
    quantile,
    ran_at,
    results_file,
    today,
    write_section,
)

isolate_caches()

from engine.retrievers import BM25  # noqa: E402

FIRST = "vel mor qua ten sil bra dun ka lo ri ves tam gor fen ul".split()
SECOND = "mora quint dale wick ford holm stead ton by mere wyn thorpe".split()
ATTRIBUTES = {
    "harbour": ("is in the {v} part of town", "where is the harbour of {e}"),
    "founder": ("was founded by {v}", "who founded {e}"),
    "river": ("runs along the {v} valley", "which valley does the river of {e} run along"),
    "market": ("opens every {v}", "what day does the market of {e} open"),
    "bridge": ("is built from {v}", "what material is the bridge of {e} made of"),
}
VALUES = "north south east west granite oak limestone monday friday sunday amber cobalt".split()
FILLER = (
    "visitors often arrive by train in the early morning",
    "the local council keeps records of every event",
    "many families have lived there for generations",
    "the weather is mild for most of the year",
    "a small museum tells the story of the region",
    "the roads were rebuilt after the great flood",
)


def entity(rng: random.Random) -> str:
    return (rng.choice(FIRST) + rng.choice(FIRST)).capitalize() + " " + rng.choice(SECOND).title()


def make_corpus(n: int, queries: int, seed: int = 0) -> tuple[list[str], list[tuple[str, int]]]:
    """n passages and (query, index of its relevant passage) pairs, deterministic."""
    rng = random.Random(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n // len(ATTRIBUTES) + 1:
        name = entity(rng)
        if name not in seen:
            seen.add(name)
            names.append(name)
    passages, asks = [], []
    for i in range(n):
        name, attribute = names[i // len(ATTRIBUTES)], list(ATTRIBUTES)[i % len(ATTRIBUTES)]
        statement, question = ATTRIBUTES[attribute]
        fillers = rng.sample(FILLER, 2)
        passages.append(
            f"The {attribute} of {name} {statement.format(v=rng.choice(VALUES))}. "
            f"In {name}, {fillers[0]}; {fillers[1]}."
        )
        asks.append((question.format(e=name) + "?", i))
    return passages, rng.sample(asks, queries)


class PlainBM25:
    """BM25 in plain Python: an inverted index (term -> {doc: tf}), scored term by term."""

    def __init__(self, docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b, self.n = k1, b, len(docs)
        self.lengths = [len(d) for d in docs]
        self.avg = sum(self.lengths) / max(1, self.n)
        self.postings: dict[str, dict[int, int]] = defaultdict(dict)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                self.postings[term][i] = tf
        self.idf = {
            t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }

    def term_score(self, term: str, doc: int, tf: int) -> float:
        norm = self.k1 * (1 - self.b + self.b * self.lengths[doc] / self.avg)
        return self.idf[term] * tf * (self.k1 + 1) / (tf + norm)

    def top(self, query: list[str], k: int) -> list[int]:
        scores: dict[int, float] = defaultdict(float)
        for term in query:
            for doc, tf in self.postings.get(term, {}).items():
                scores[doc] += self.term_score(term, doc, tf)
        return [d for d, _ in heapq.nlargest(k, scores.items(), key=lambda x: (x[1], -x[0]))]

    def top_by_scan(self, query: list[str], k: int) -> list[int]:
        """Score every document (what a naive implementation does per query)."""
        scores = []
        for doc in range(self.n):
            s = 0.0
            for term in query:
                tf = self.postings.get(term, {}).get(doc)
                if tf:
                    s += self.term_score(term, doc, tf)
            scores.append((s, -doc))
        return [-d for _, d in heapq.nlargest(k, scores)]


def timed(fn, queries):
    out, times = [], []
    for q in queries:
        start = time.perf_counter()
        out.append(fn(q))
        times.append(time.perf_counter() - start)
    return out, times


def recall(results: list[list[int]], gold: list[int], k: int) -> float:
    return sum(g in r[:k] for r, g in zip(results, gold)) / len(gold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--scan-queries", type=int, default=50, help="queries for the full scan")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code, before any run
    passages, asks = make_corpus(args.passages, args.queries)
    queries, gold = [q for q, _ in asks], [g for _, g in asks]

    start = time.perf_counter()
    ours = BM25(passages, k=10)
    build_ours = time.perf_counter() - start
    start = time.perf_counter()
    plain = PlainBM25([ours.tokenize(p) for p in passages])
    build_plain = time.perf_counter() - start

    ours_out, ours_t = timed(lambda q: ours(q, k=10).indices, queries)
    plain_out, plain_t = timed(lambda q: plain.top(ours.tokenize(q), 10), queries)
    few = queries[: args.scan_queries]
    scan_out, scan_t = timed(lambda q: plain.top_by_scan(ours.tokenize(q), 10), few)
    same_top = sum(a[:1] == b[:1] for a, b in zip(ours_out, plain_out)) / len(queries)

    def row(name, build, times, out, golds):
        ms = [t * 1000 for t in times]
        return [
            name, f"{build:.2f} s", f"{quantile(ms, 0.5):.2f}", f"{quantile(ms, 0.95):.2f}",
            *(f"{recall(out, golds, k):.3f}" for k in (1, 3, 10)),
        ]  # fmt: skip

    header = ["retriever", "index build", "ms/query p50", "ms/query p95", "R@1", "R@3", "R@10"]
    rows = [
        row("engine BM25 (bm25s)", build_ours, ours_t, ours_out, gold),
        row("plain Python, inverted index", build_plain, plain_t, plain_out, gold),
        row(f"plain Python, full scan ({len(few)} queries)", build_plain, scan_t, scan_out,
            gold[: len(few)]),
    ]  # fmt: skip
    speedup = quantile(plain_t, 0.5) / quantile(ours_t, 0.5)
    body = "\n\n".join(
        [
            f"`{command_line()}` — {today()}, {machine()}",
            f"{len(passages)} generated passages (5 attributes x {len(passages) // 5} made-up "
            f"entities, shared filler words), {len(queries)} questions worded unlike their "
            "passage, one relevant passage each. Same tokenizer (lower-case words, English "
            "stopwords, light stemmer) and the same BM25 for all rows; latency includes "
            "tokenizing the query and picking the top 10.",
            markdown_table(header, rows),
            f"bm25s is {speedup:.1f}x faster per query than the plain inverted index at p50; "
            f"both rank the same passage first for {same_top:.1%} of the questions (ties may "
            "order differently), so recall is the same up to ties.",
        ]
    )
    print(body)
    if args.write:
        title = "BM25 retrieval: bm25s vs plain Python (10k passages)"
        write_section("bm25", title, body, results_file("bm25"))


if __name__ == "__main__":
    main()
