"""The same work in Tunesmith and DSPy against a server (llama.cpp's, or the fake one): an
Evaluate, a random search.

Imported by bench/hosted/__main__.py after
`bench.core.common.isolate_caches()`; import it the same way elsewhere.
Each runner returns a `ClientRun`: what the client saw (calls, retries, unanswered rows, score,
and DSPy's replies it could not parse).
"""

from __future__ import annotations

import contextlib
import csv
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dspy

import engine as ts
from bench.core.parsing import parse_delta
from bench.core.peer import DEFAULT, configured, framework_name, install_parse_tally

FAKE_MODEL = "openai/fake-model"
LABELS = "one of: billing, shipping, technical"
DOC = "Classify the support ticket."


@dataclass
class ClientRun:
    """One framework's run of one work item, as the client saw it."""

    framework: str
    work: str
    calls: int  # LM calls the client made (after retries)
    retries: int | None  # failed attempts it retried (None: the client does not count them)
    unanswered: int  # rows (or calls) left without an answer
    score: float  # accuracy on the rows evaluated (or best validation score), percent
    error: str | None = None  # the run's crash, if it crashed
    replies_unparsed: int | None = None  # DSPy: task replies that did not parse (None: Tunesmith)
    json_retries: int | None = None  # DSPy: ChatAdapter's JSON retries after a parse failure
    off_list: int | None = None  # Tunesmith's Evaluate: rows answered with no label of the set


@dataclass(frozen=True)
class Endpoint:
    """Where both frameworks send their calls, through litellm's `openai/` provider."""

    model: str
    api_base: str
    api_key: str
    max_tokens: int | None = None  # None: the server's default


@dataclass
class Tickets:
    """The data and the splits used by both frameworks, and the label set."""

    rows: list[dict[str, str]]
    eval_rows: list[dict[str, str]]
    train: list[dict[str, str]]
    val: list[dict[str, str]]
    labels: list[str]


def load_tickets(
    path: Path, n_eval: int, n_train: int = 20, n_val: int = 20, shuffle: bool = False
) -> Tickets:
    """Rows of `path` (ticket or text, category); `n_eval` of them for the Evaluate (cycled if
    more; `shuffle`: drawn in a seeded order, for a file sorted by label), and a seeded
    train/val split for the optimizer."""
    with path.open(newline="") as handle:
        rows = [{"ticket": r.get("ticket", r.get("text", "")), "category": r["category"]}
                for r in csv.DictReader(handle)]  # fmt: skip
    shuffled = list(rows)
    random.Random(0).shuffle(shuffled)
    pool = shuffled if shuffle else rows
    eval_rows = [pool[i % len(pool)] for i in range(n_eval)]
    labels = sorted({r["category"] for r in rows})
    return Tickets(rows, eval_rows, shuffled[:n_train], shuffled[n_train : n_train + n_val],
                   labels)  # fmt: skip


def on_list(prediction: Any, labels: list[str]) -> bool:
    """Whether a prediction's (or an Evaluate row's outputs') category is one of `labels`
    (no answer: not)."""
    value = prediction.get("category") if isinstance(prediction, dict) else (
        getattr(prediction, "category", None))  # fmt: skip
    return str(value or "").strip().lower() in labels


def exact_match(example: Any, prediction: Any, trace: Any = None) -> bool:
    """The label, compared case- and space-insensitively."""
    got = str(getattr(prediction, "category", "") or "").strip().lower()
    return got == str(example.category).strip().lower()


class TsTicket(ts.Signature):
    """Classify the support ticket."""

    ticket: str = ts.InputField()
    category: str = ts.OutputField(desc=LABELS)


class DspyTicket(dspy.Signature):
    """Classify the support ticket."""

    ticket: str = dspy.InputField()
    category: str = dspy.OutputField(desc=LABELS)


def ticket_signature(labels: list[str]) -> type[ts.Signature]:
    """TsTicket, or for another label set (banking77's intents) the same task on those."""
    if LABELS == "one of: " + ", ".join(labels):
        return TsTicket
    described = TsTicket.with_updated_fields("category", desc="one of: " + ", ".join(labels))
    return described.with_instructions("Classify the customer's message.")


def _examples(module: Any, rows: list[dict[str, str]]) -> list[Any]:
    return [module.Example(**row).with_inputs("ticket") for row in rows]


# Tunesmith's reply formats (`--replies`): on the server, the reply's JSON schema with the chat
# prompt (the default), today's text format without it, the schema with the JSON adapter's
# prompt; or the embedded model in this process (its reply hints)
REPLIES = ("schema", "text", "json", "embedded")
EMBEDDED_MODEL = "local/smollm2-135m"


class TextReplies(ts.LM):
    """A served model asked for no structured reply: the chat format's text, as before."""

    @property
    def supports_response_schema(self) -> bool:
        return False


class TunesmithRunner:
    """Tunesmith against the server: LM cache off, litellm, `threads` workers, replies in the
    format `replies` (one of REPLIES)."""

    def __init__(
        self, endpoint: Endpoint, threads: int, candidates: int, engine: str | None = None,
        replies: str = "schema",
    ) -> None:  # fmt: skip
        if replies == "embedded":
            self.lm = ts.LM(EMBEDDED_MODEL, temperature=0.0, cache=False, **limit(endpoint))
        else:
            kind = TextReplies if replies == "text" else ts.LM
            self.lm = kind(
                endpoint.model, api_base=endpoint.api_base, api_key=endpoint.api_key,
                temperature=0.0, cache=False, **limit(endpoint),
            )  # fmt: skip
        adapter = ts.JSONAdapter() if replies == "json" else ts.ChatAdapter()
        ts.configure(lm=self.lm, num_threads=threads, adapter=adapter)
        self.threads, self.candidates = threads, candidates
        self.name = "Tunesmith" if replies == "schema" else f"Tunesmith ({replies})"

    def _client_run(self, work: str, mark: int, unanswered: int, score: float) -> ClientRun:
        records = self.lm.ledger.records[mark:]
        retries = sum(r.retries for r in records)
        return ClientRun(self.name, work, len(records), retries, unanswered, score)

    def evaluate(self, data: Tickets) -> ClientRun:
        mark = len(self.lm.ledger.records)
        evaluator = ts.Evaluate(
            devset=_examples(ts, data.eval_rows), metric=exact_match, num_threads=self.threads
        )
        result = evaluator(ts.Predict(ticket_signature(data.labels)))
        run = self._client_run("evaluate", mark, result.errors, float(result.score))
        run.off_list = sum(not on_list(out, data.labels) for _, out, _ in result.results)
        return run

    def random_search(self, data: Tickets) -> ClientRun:
        mark = len(self.lm.ledger.records)
        optimizer = ts.BootstrapFewShotWithRandomSearch(
            metric=exact_match,
            max_bootstrapped_demos=3,
            max_labeled_demos=5,
            num_candidate_programs=self.candidates,
            num_threads=self.threads,
        )
        program = optimizer.compile(
            ts.Predict(TsTicket), trainset=_examples(ts, data.train), valset=_examples(ts, data.val)
        )
        failed = sum(1 for r in self.lm.ledger.records[mark:] if r.error)
        best = program.result.best_score
        return self._client_run("random_search", mark, failed, 100 * (best or 0.0))


def limit(endpoint: Endpoint) -> dict[str, int]:
    return {} if endpoint.max_tokens is None else {"max_tokens": endpoint.max_tokens}


class DspyRunner:
    """DSPy 3.4.1 against the server: LM cache off, litellm, `threads` workers, its calls in
    the adapter configuration `config` (bench/core/peer.py)."""

    def __init__(
        self, endpoint: Endpoint, threads: int, candidates: int,
        engine: str | None = "litellm", config: str = DEFAULT,
    ) -> None:  # fmt: skip
        options = {"engine": engine} if engine else {}  # None: DSPy's default (vendored lm15)
        self.lm = dspy.LM(
            endpoint.model, api_base=endpoint.api_base, api_key=endpoint.api_key,
            temperature=0.0, cache=False, **limit(endpoint), **options,
        )  # fmt: skip
        dspy.configure(lm=self.lm)
        self.threads, self.candidates, self.config = threads, candidates, config
        self.tally = install_parse_tally()
        self.name = framework_name("DSPy 3.4.1", config)

    def parsed(self, run: ClientRun, before: dict[str, Any]) -> ClientRun:
        """`run` with the task replies that did not parse since `before` (a tally reading)."""
        task = parse_delta(self.tally.read(), before).get("task")
        run.replies_unparsed = task.failed_replies if task else 0
        run.json_retries = task.retries if task else 0
        return run

    def evaluate(self, data: Tickets) -> ClientRun:
        mark, before = len(self.lm.history), self.tally.read()
        evaluator = dspy.Evaluate(
            devset=_examples(dspy, data.eval_rows),
            metric=exact_match,
            num_threads=self.threads,
            display_progress=False,
            max_errors=len(data.eval_rows),
        )
        with contextlib.redirect_stdout(sys.stderr), configured(self.config):
            result = evaluator(dspy.Predict(DspyTicket))
        unanswered = sum(1 for _, pred, _ in result.results if not getattr(pred, "category", None))
        calls = len(self.lm.history) - mark
        run = ClientRun(self.name, "evaluate", calls, None, unanswered, float(result.score))
        return self.parsed(run, before)

    def random_search(self, data: Tickets) -> ClientRun:
        mark, before = len(self.lm.history), self.tally.read()
        optimizer = dspy.BootstrapFewShotWithRandomSearch(
            metric=exact_match,
            max_bootstrapped_demos=3,
            max_labeled_demos=5,
            num_candidate_programs=self.candidates,
            num_threads=self.threads,
            max_errors=len(data.train) + len(data.val),
        )
        error, best = None, 0.0
        try:
            with contextlib.redirect_stdout(sys.stderr), configured(self.config):
                program = optimizer.compile(
                    dspy.Predict(DspyTicket),
                    trainset=_examples(dspy, data.train),
                    valset=_examples(dspy, data.val),
                )
            scores = [c["score"] for c in getattr(program, "candidate_programs", [])]
            best = max(scores) if scores else 0.0
        except Exception as exc:  # noqa: BLE001 - a crash is a result to report
            error = f"{type(exc).__name__}: {exc}"[:200]
        calls = len(self.lm.history) - mark
        run = ClientRun(self.name, "random_search", calls, None, 0, float(best), error)
        return self.parsed(run, before)


def timed(server: Any, run: Any) -> tuple[Any, float, float]:
    """Run `run()`, returning its result and its window on the server's clock."""
    begin = server.now()
    start = time.perf_counter()
    result = run()
    return result, begin, begin + (time.perf_counter() - start)
