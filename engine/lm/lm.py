"""`LM`: one language model behind litellm, with cache, usage ledger, budget check and retries.

Subclasses change only `_complete(messages, params)` (the provider call); caching, ledgers,
budgets, retries, error mapping and history stay the same for every kind of LM.
"""

from __future__ import annotations

import copy as _copy
import functools
import hashlib
import logging
import os
import threading
import time
from typing import Any

from engine.core import (
    LMConfigError,
    TunesmithError,
    call_slot,
    endpoint_problem,
    has_content,
    reply_extras,
    settings,
    text_problem,
    with_callbacks,
)
from engine.lm import choice_scores
from engine.lm._litellm import get_litellm
from engine.lm._structured import complete_structured
from engine.lm.cache import CacheEntry, get_cache, request_key
from engine.lm.calls import retry
from engine.lm.calls.error_map import MODEL_NAME_HINT, fault_kind, to_lm_error
from engine.lm.calls.limiter import ConcurrencyLimiter
from engine.lm.calls.reply_faults import bounded, reply_issue
from engine.lm.history_view import render_history
from engine.lm.lm_state import lm_from_state, record_module_history, run_in_thread
from engine.lm.provider import litellm_complete
from engine.lm.usage import CallRecord, UsageLedger

logger = logging.getLogger(__name__)

HISTORY_SIZE = 200
DEFAULT_MODEL = "local/smollm2-135m"

Usage = dict[str, Any]  # {"prompt_tokens": int, "completion_tokens": int, "cost": float | None}

_limiter_lock = threading.Lock()  # creates a limiter for an LM that skipped __init__

_SECRET_KEYS = frozenset({"api_key", "api_base", "base_url", "headers", "extra_headers"})
# DSPy's LM options that are not sampling parameters (accepted, kept, never sent)
_DSPY_ONLY = frozenset(
    {"provider", "finetuning_model", "launch_kwargs", "train_kwargs", "use_developer_role",
     "engine", "async_engine", "prompt_cache"}
)  # fmt: skip
LM_CLASS_STATE_KEY = "_dspy_lm_class"  # DSPy's key naming an LM subclass in a saved state
DSPY_LM_PATH = "dspy.clients.lm.LM"  # DSPy's own LM class: the engine's LM loads from it


@functools.lru_cache(maxsize=256)
def _litellm_says(model: str, check: str) -> bool:
    """litellm's tables on `model`, asked once per model (a call asks on every request):
    `check` is one of litellm's `supports_*` functions, or "top_logprobs" for whether its
    provider takes that parameter. The embedded model, an unknown model or provider: False."""
    if model.startswith("local/"):
        return False
    litellm = get_litellm()
    try:
        if check == "top_logprobs":
            return check in (litellm.get_supported_openai_params(model) or ())
        return bool(getattr(litellm, check)(model=model))
    except Exception:  # noqa: BLE001 - an unknown model or provider: no such feature
        return False


def _check_endpoints(settings: dict[str, Any]) -> None:
    """Refuse an endpoint URL (api_base, base_url) that carries a key (user:KEY@host, ...)."""
    problem = endpoint_problem(settings)
    if problem is not None:
        raise LMConfigError(problem)


def _check_model_name(model: Any) -> None:
    """Refuse a model name holding a key or a URL with one (never echoed)."""
    problem = text_problem(model) if isinstance(model, str) else None
    if problem is not None:
        raise LMConfigError(f"model: the model name {problem}")


def _build_messages(prompt: str | None, messages: list[dict] | None) -> list[dict[str, Any]]:
    if (prompt is None) == (messages is None):
        raise TypeError("call an LM with exactly one of `prompt` or `messages`")
    if prompt is not None:
        return [{"role": "user", "content": prompt}]
    if not isinstance(messages, list) or not messages:
        raise TypeError("`messages` must be a non-empty list of {'role', 'content'} dicts")
    return messages


class LM:
    """A language model: `LM("provider/model", temperature=0.0)(messages=[...]) -> [text, ...]`.

    Any litellm model name works ("openai/gpt-4o-mini", "anthropic/...", "ollama/...", ...);
    "local/smollm2-135m" (or "local/<path>.gguf") runs in-process on llama-cpp-python.
    Extra keyword arguments are default sampling parameters sent with every call.
    """

    _config_attrs = frozenset(
        {
            "model",
            "model_type",
            "cache",
            "num_retries",
            "api_key",
            "api_base",
            "rollout_id",
            "callbacks",
        }
    )

    def __init__(
        self,
        model: str,
        model_type: str = "chat",
        temperature: float | None = None,
        max_tokens: int | None = None,
        cache: bool = True,
        callbacks: list[Any] | None = None,
        num_retries: int = 3,
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        rollout_id: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise LMConfigError(f"Model name must be a non-empty string; {MODEL_NAME_HINT}.")
        if model_type not in ("chat", "text"):
            raise LMConfigError(f"model_type must be 'chat' or 'text', not {model_type!r}")
        _check_model_name(model)
        self.model = model.strip()
        self.model_type = model_type
        self.cache = bool(cache)
        self.callbacks = list(callbacks or [])
        self.num_retries = max(0, int(num_retries))
        self.api_key = api_key
        self.api_base = api_base or kwargs.pop("base_url", None)
        # DSPy's fine-tuning / provider options: kept, never sent to the provider
        self.dspy_options = {k: kwargs.pop(k) for k in _DSPY_ONLY if k in kwargs}
        kwargs.pop(LM_CLASS_STATE_KEY, None)  # a saved state's class marker, not a parameter
        _check_endpoints({"api_base": self.api_base, **kwargs})
        self.rollout_id = rollout_id
        defaults = {"temperature": temperature, "max_tokens": max_tokens, **kwargs}
        self.kwargs: dict[str, Any] = {k: v for k, v in defaults.items() if v is not None}
        self.history: list[dict[str, Any]] = []
        self.ledger = UsageLedger()
        self._history_lock = threading.Lock()
        self._limiter = ConcurrencyLimiter()

    @property
    def limiter(self) -> ConcurrencyLimiter:
        """Caps this LM's requests in flight once the provider rate-limits (shared by copies
        that keep the model, endpoint and key)."""
        limiter = self.__dict__.get("_limiter")
        if limiter is None:
            with _limiter_lock:
                limiter = self.__dict__.setdefault("_limiter", ConcurrencyLimiter())
        return limiter

    caches_requests = True  # False for BaseLM subclasses: their forward() does its own caching

    @property
    def supports_stop(self) -> bool:
        """Whether adapters may add stop sequences. Only the embedded model, for now: some
        hosted models reject `stop` (OpenAI's reasoning models) and rarely run on anyway."""
        return self.model.startswith("local/")

    @property
    def supports_response_schema(self) -> bool:
        """Whether adapters may ask for a structured reply (`response_format` with a JSON
        schema): any model this class sends through litellm but the embedded one (it reads
        the reply hints). Which form the endpoint takes, if any, is found out on the first
        call (`engine.lm._structured`); a subclass with its own `_complete` says False."""
        return not self.model.startswith("local/") and type(self)._complete is LM._complete

    @property
    def supports_logprobs(self) -> bool:
        """Whether adapters may ask for log-probabilities at closed choices (`score_choices`):
        a model that takes a reply schema whose provider takes `top_logprobs`, per litellm's
        parameter table (OpenAI-compatible servers, OpenAI, vLLM; not Anthropic or Ollama)."""
        return self.supports_response_schema and _litellm_says(self.model, "top_logprobs")

    @property
    def supports_function_calling(self) -> bool:
        """Whether the provider takes native tool calls (`tools=`), per litellm's model table;
        the embedded model does not. Adapters with `use_native_function_calling` read it."""
        return _litellm_says(self.model, "supports_function_calling")

    @property
    def supports_reasoning(self) -> bool:
        """Whether the model reasons natively (`reasoning_effort`, `reasoning_content`), per
        litellm's model table; a `dspy.Reasoning` output is then filled by the provider."""
        return _litellm_says(self.model, "supports_reasoning")

    @property
    def reuses_prompt_start(self) -> bool:
        """True for the embedded model: it keeps the start of the prompts it read, so a call
        whose prompt starts as an earlier one did reads only the rest, and a whole new prompt
        costs many calls' time (a random search with a call target counts it)."""
        return self.model.startswith("local/")

    @property
    def serves_one_call_at_a_time(self) -> bool:
        """True for the embedded model: calls queue on one lock, so batches run on one thread
        (`engine.core._parallel.lm_threads`) and keep their prompt prefixes back to back."""
        return self.model.startswith("local/")

    # -- calling ----------------------------------------------------------------------------
    @with_callbacks
    def __call__(
        self, prompt: str | None = None, messages: list[dict] | None = None, **kwargs: Any
    ) -> list[str]:
        """Send one request; returns the `n` completions' texts (one unless `n=` is given)."""
        messages = _build_messages(prompt, messages)
        params = {**self.kwargs, **kwargs}
        rollout_id = params.pop("rollout_id", self.rollout_id)
        params = {k: v for k, v in params.items() if v is not None}
        _check_endpoints(kwargs)
        role = settings.lm_role

        cache = get_cache() if self.cache and self.caches_requests else None
        key = None
        if cache is not None:
            start = time.perf_counter()
            key = request_key(
                self.model,
                messages,
                params,
                rollout_id=rollout_id,
                model_type=self.model_type,
                api_base=self.api_base,
            )
            entry = cache.get(key)
            if entry is not None:
                texts = entry.replies()
                choice_scores.publish(entry.choice_scores)
                record = CallRecord(
                    model=self.model,
                    role=role,
                    prompt_tokens=entry.prompt_tokens,
                    completion_tokens=entry.completion_tokens,
                    cost=entry.cost,
                    latency=time.perf_counter() - start,
                    cache_hit=True,
                )
                self._remember(record, messages, texts, params)
                return texts

        budget = settings.budget
        if budget is not None:
            budget.before_call(role=role, model=self.model)

        start = time.perf_counter()
        faults: dict[str, Any] = {"retried": {}, "fault": None}
        try:
            texts, usage = self._complete_with_retries(
                messages, self._provider_params(params, rollout_id), faults
            )
        except TunesmithError as error:
            record = CallRecord(
                model=self.model,
                role=role,
                cost=0.0,
                latency=time.perf_counter() - start,
                error=str(error),
                fault=faults["fault"] or fault_kind(error),
                retried=faults["retried"],
            )
            self._remember(record, messages, [], params)
            raise
        issue = reply_issue(texts, usage, params.get("max_tokens"))
        texts = bounded(texts, params.get("max_tokens"))  # before the cache and history keep it
        record = CallRecord(
            model=self.model,
            role=role,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            cost=usage.get("cost"),
            latency=time.perf_counter() - start,
            fault=issue,
            retried=faults["retried"],
        )
        # an empty reply is not kept: the next run (or a resume) asks again
        if cache is not None and key is not None and issue != "empty_reply":
            cache.put(
                key,
                CacheEntry(
                    tuple(texts),
                    record.prompt_tokens,
                    record.completion_tokens,
                    record.cost,
                    tuple(usage.get("choice_scores") or ()),
                    tuple(reply_extras(t) for t in texts),
                ),  # fmt: skip
                model=self.model,
            )
        self._remember(record, messages, texts, params)
        choice_scores.publish(usage.get("choice_scores"))
        return texts

    async def acall(
        self, prompt: str | None = None, messages: list[dict] | None = None, **kwargs: Any
    ) -> list[str]:
        """`__call__` on a worker thread (with this context's settings), for async code."""
        return await run_in_thread(self.__call__, prompt, messages, **kwargs)

    def _provider_params(self, params: dict[str, Any], rollout_id: Any) -> dict[str, Any]:
        """Params sent to the provider. The local model samples a rollout-specific seed."""
        if rollout_id is not None and "seed" not in params and self.model.startswith("local/"):
            digest = hashlib.sha256(repr(rollout_id).encode()).hexdigest()
            return {**params, "seed": int(digest[:8], 16)}
        return params

    def _complete_with_retries(
        self,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        faults: dict[str, Any] | None = None,
    ) -> tuple[list[str], Usage]:
        """`_complete` with retries (backoff, or the provider's Retry-After); failures come out
        as engine errors; an empty reply is asked again like a transient error (the last one is
        returned). `faults` collects {"retried": {kind: n}, "fault": final kind}."""
        faults = faults if faults is not None else {"retried": {}, "fault": None}
        attempts = self.num_retries + 1
        for attempt in range(attempts):
            try:
                texts, usage = complete_structured(
                    self, messages, params, self._limited_complete, faults["retried"]
                )
            except Exception as exc:
                kind = fault_kind(exc)
                if attempt + 1 >= attempts or not retry.is_retryable(exc):
                    faults["fault"] = kind
                    error = to_lm_error(
                        exc, model=self.model, api_base=self.api_base, attempts=attempt + 1
                    )
                    if error is exc:
                        raise
                    raise error from exc
                faults["retried"][kind] = faults["retried"].get(kind, 0) + 1
                delay = retry.retry_delay(exc, attempt)
                logger.info(
                    "LM %s: %s (attempt %d/%d), retrying in %.2fs",
                    self.model,
                    type(exc).__name__,
                    attempt + 1,
                    attempts,
                    delay,
                )
                retry.sleep(delay)
                continue
            if attempt + 1 >= attempts or any(has_content(t) for t in texts):
                return texts, usage  # a last empty reply is returned (and counted, not cached)
            faults["retried"]["empty_reply"] = faults["retried"].get("empty_reply", 0) + 1
            delay = retry.backoff_delay(attempt)
            logger.info("LM %s: empty reply (attempt %d/%d), asking again in %.2fs",
                        self.model, attempt + 1, attempts, delay)  # fmt: skip
            retry.sleep(delay)
        raise AssertionError("unreachable")

    def _limited_complete(
        self, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[list[str], Usage]:
        """`_complete` in one of the caller's shared call slots (`engine.core._parallel`) and a slot
        of the LM's limiter (a wait only while a rate limit holds)."""
        with call_slot():
            limiter = self.limiter
            limiter.acquire()
            limited = False
            try:
                return self._complete(messages, params)
            except Exception as exc:
                limited = fault_kind(exc) == "rate_limit"
                raise
            finally:
                limiter.release(rate_limited=limited)

    def _complete(
        self, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[list[str], Usage]:
        """One provider request (no retries): the completions' texts and their usage.

        Override this in subclasses; raise litellm-style errors (by class name) to get retries.
        """
        return litellm_complete(
            self.model,
            messages,
            params,
            model_type=self.model_type,
            api_key=self.api_key,
            api_base=self.api_base,
        )

    # -- bookkeeping ------------------------------------------------------------------------
    def _remember(
        self,
        record: CallRecord,
        messages: list[dict[str, Any]],
        outputs: list[str],
        params: dict[str, Any],
    ) -> None:
        self.ledger.record(record)
        for tracker in settings.usage_trackers:
            if tracker is not self.ledger:
                tracker.record(record)
        usage = {
            "prompt_tokens": record.prompt_tokens,
            "completion_tokens": record.completion_tokens,
            "total_tokens": record.total_tokens,
        }
        usage_tracker = settings.usage_tracker
        if usage_tracker is not None and not record.cache_hit and record.error is None:
            usage_tracker.add_usage(self.model, dict(usage))
        if settings.disable_history:
            return
        entry = {
            "model": self.model,
            "role": record.role,
            "messages": messages,
            "outputs": outputs,
            "kwargs": {k: v for k, v in params.items() if k not in _SECRET_KEYS},
            "usage": usage,
            "cost": record.cost,
            "latency": record.latency,
            "cache_hit": record.cache_hit,
            "error": record.error,
            "timestamp": record.timestamp,
        }
        keep = min(HISTORY_SIZE, max(0, int(settings.max_history_size)))
        if keep == 0:
            return
        with self._history_lock:
            self.history.append(entry)
            if len(self.history) > keep:
                del self.history[: len(self.history) - keep]
        record_module_history(entry, settings.max_history_size)

    # -- helpers ----------------------------------------------------------------------------
    def copy(self, **kwargs: Any) -> LM:
        """A new LM with the same settings, overridden by `kwargs`; fresh history and ledger.

        Sampling parameters set to None are removed from the defaults.
        """
        new = _copy.copy(self)
        new.kwargs = dict(self.kwargs)
        new.history = []
        new.ledger = UsageLedger()
        new._history_lock = threading.Lock()
        same_endpoint = not {"model", "api_base", "api_key"} & set(kwargs)
        new._limiter = self.limiter if same_endpoint else ConcurrencyLimiter()
        _check_endpoints(kwargs)
        _check_model_name(kwargs.get("model"))
        for name, value in kwargs.items():
            if name in self._config_attrs:
                setattr(new, name, value)
            elif value is None:
                new.kwargs.pop(name, None)
            else:
                new.kwargs[name] = value
        return new

    def dump_state(self) -> dict[str, Any]:
        """What rebuilds this LM (DSPy's keys): model, model_type, cache, num_retries and the
        default parameters; never a key or an endpoint. A subclass is named by its import path."""
        # the engine's own LM is saved under DSPy's class path, so files move both ways
        own = type(self) is LM
        path = DSPY_LM_PATH if own else f"{type(self).__module__}.{type(self).__qualname__}"
        state: dict[str, Any] = {LM_CLASS_STATE_KEY: path}
        state.update(model=self.model, model_type=self.model_type, cache=self.cache,
                     num_retries=self.num_retries)  # fmt: skip
        state.update({k: v for k, v in self.kwargs.items()
                      if k not in _SECRET_KEYS and k != LM_CLASS_STATE_KEY})  # fmt: skip
        options = getattr(self, "dspy_options", {})
        state.update(finetuning_model=options.get("finetuning_model"),
                     launch_kwargs=dict(options.get("launch_kwargs") or {}),
                     train_kwargs=dict(options.get("train_kwargs") or {}))  # fmt: skip
        return state

    @classmethod
    def load_state(cls, state: dict[str, Any], *, allow_custom_lm_class: bool = False) -> LM:
        """An LM from `dump_state()` output. Endpoint and key entries are dropped; a custom
        class is imported only with `allow_custom_lm_class=True`."""
        return lm_from_state(cls, state, allow_custom_lm_class, LM)

    def __deepcopy__(self, memo: dict[int, Any]) -> LM:
        # An LM is a shared handle (like a client): copies of a program keep using the same one,
        # so their calls land in one history and ledger.
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("callbacks", None)
        state.pop("_history_lock", None)
        state.pop("_limiter", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("callbacks", [])
        self.__dict__.setdefault("dspy_options", {})
        self._history_lock = threading.Lock()

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items() if k not in _SECRET_KEYS)
        base = f", api_base={self.api_base!r}" if self.api_base else ""
        cache = "" if self.cache else ", cache=False"
        return f"{type(self).__name__}({self.model!r}{extra}{base}{cache})"

    def inspect_history(self, n: int = 1) -> str:
        """The last `n` calls (messages and outputs) as readable text."""
        with self._history_lock:
            entries = self.history[-n:] if n > 0 else []
        return render_history(entries)


_default_lm: LM | None = None
_default_lock = threading.Lock()
# "1": a module called with no LM configured uses the embedded model (set by the dashboard and
# the CLI for themselves and their workers); otherwise it raises, as DSPy does
EMBEDDED_DEFAULT_ENV = "TUNESMITH_EMBEDDED_DEFAULT"


def use_embedded_default(enabled: bool = True) -> None:
    """Let modules called with no LM configured use the embedded model (`default_lm`), in this
    process and the processes it starts. Library code raises instead unless this is on."""
    if enabled:
        os.environ[EMBEDDED_DEFAULT_ENV] = "1"
    else:
        os.environ.pop(EMBEDDED_DEFAULT_ENV, None)


def embedded_default_enabled() -> bool:
    """Whether `use_embedded_default` is on (here or in the process that started this one)."""
    return os.environ.get(EMBEDDED_DEFAULT_ENV) == "1"


def default_lm() -> LM:
    """The process-wide embedded model, used when `settings.lm` is None (created once)."""
    global _default_lm
    if _default_lm is None:
        with _default_lock:
            if _default_lm is None:
                _default_lm = LM(DEFAULT_MODEL, temperature=0.0, max_tokens=256)
    return _default_lm
