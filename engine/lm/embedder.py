"""`Embedder`: text -> vectors, from a litellm embedding model, a local GGUF, or a function.

- `Embedder("openai/text-embedding-3-small")`: any litellm embedding model (key from the env).
- `Embedder("local/smollm2-135m")` or `"local/<path>.gguf"`: in-process, llama-cpp-python.
- `Embedder(fn)`: `fn(list[str]) -> 2-D array or list of vectors`, as in DSPy.

Model embeddings are cached per text (memory + disk, the LM request cache) unless
`caching=False`; a function's are not (it may not be deterministic).

A model's requests go to the usage ledgers active at the time (a run's, via
`settings.usage_trackers`) under the role "embed": one record per request (one batch) with its
input tokens and, where litellm prices the model, its cost (local: 0); a call answered wholly or
partly from the cache adds one cache-hit record. A function's calls are not recorded (it is not
a model the engine knows). Budgets count embed tokens and cost, not embed requests as LM calls.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.core import LMConfigError, endpoint_problem
from engine.lm._litellm import get_litellm
from engine.lm.cache import CacheEntry, get_cache, request_key
from engine.lm.local import PROVIDER as LOCAL_PROVIDER
from engine.lm.local import embed_local_counted
from engine.lm.usage import EMBED_ROLE, CallRecord, record_to_trackers

EMBEDDING = "embedding"  # the cache key's model_type for embedding requests


class Embedder:
    """`Embedder(model, batch_size=200, caching=True, **kwargs)`; `embedder(texts) -> ndarray`.

    A single string gives a 1-D vector, a list gives one row per text (float32).
    """

    def __init__(
        self,
        model: str | Callable[..., Any],
        batch_size: int = 200,
        caching: bool = True,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, str) and not callable(model):
            raise ValueError(f"Embedder's model must be a model name or a callable, not {model!r}")
        problem = endpoint_problem(kwargs)
        if problem is not None:  # a key belongs in api_key= or the environment
            raise LMConfigError(problem)
        self.model = model
        self.batch_size = max(1, int(batch_size))
        self.caching = caching
        self.default_kwargs = kwargs

    def __call__(
        self,
        inputs: str | Sequence[str],
        batch_size: int | None = None,
        caching: bool | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        single = isinstance(inputs, str)
        texts = [inputs] if single else list(inputs)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("Embedder inputs must be strings")
        size = batch_size or self.batch_size
        use_cache = (self.caching if caching is None else caching) and isinstance(self.model, str)
        params = {**self.default_kwargs, **kwargs}
        vectors: list[list[float] | None] = [None] * len(texts)
        keys = [self._key(t, params) for t in texts] if use_cache else []
        if use_cache:
            cache = get_cache()
            for i, key in enumerate(keys):
                entry = cache.get(key)
                if entry is not None:
                    vectors[i] = json.loads(entry.texts[0])
        todo = [i for i, v in enumerate(vectors) if v is None]
        if use_cache and len(todo) < len(texts):
            self._record(cache_hit=True)
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            found = self._compute_recorded([texts[i] for i in batch], params)
            if len(found) != len(batch):
                raise ValueError(f"embedding model returned {len(found)} vectors for {len(batch)}")
            for i, vector in zip(batch, found):
                vectors[i] = [float(x) for x in vector]
                if use_cache:
                    get_cache().put(keys[i], CacheEntry((json.dumps(vectors[i]),)), model=self.name)
        array = np.asarray(vectors, dtype=np.float32)
        return array[0] if single else array

    @property
    def name(self) -> str:
        return self.model if isinstance(self.model, str) else getattr(self.model, "__name__", "fn")

    def _key(self, text: str, params: dict[str, Any]) -> str:
        return request_key(
            str(self.model), [{"role": "input", "content": text}], params, model_type=EMBEDDING
        )

    def _compute_recorded(
        self, texts: list[str], params: dict[str, Any]
    ) -> Sequence[Sequence[float]]:
        """`_compute`, with a model's request (or its failure) written to the active ledgers."""
        start = time.perf_counter()
        try:
            vectors, tokens, cost = self._compute(texts, params)
        except Exception as exc:
            self._record(latency=time.perf_counter() - start, cost=0.0, error=str(exc))
            raise
        self._record(prompt_tokens=tokens, cost=cost, latency=time.perf_counter() - start)
        return vectors

    def _record(self, **fields: Any) -> None:
        if isinstance(self.model, str):
            record_to_trackers(CallRecord(model=self.model, role=EMBED_ROLE, **fields))

    def _compute(
        self, texts: list[str], params: dict[str, Any]
    ) -> tuple[Sequence[Sequence[float]], int, float | None]:
        """(vectors, input tokens, cost in USD or None when unpriced) of one request."""
        model = self.model
        if callable(model):
            return list(model(texts, **params)), 0, None
        if model.startswith(LOCAL_PROVIDER + "/"):
            vectors, tokens = embed_local_counted(model, texts)
            return vectors, tokens, 0.0
        litellm = get_litellm()
        response = litellm.embedding(model=model, input=texts, **params)
        usage = getattr(response, "usage", None)
        tokens = getattr(usage, "prompt_tokens", None) if usage is not None else None
        try:
            cost = float(litellm.completion_cost(completion_response=response))
        except Exception:  # noqa: BLE001 (an unpriced model: cost unknown)
            cost = None
        return [item["embedding"] for item in response.data], int(tokens or 0), cost

    def __repr__(self) -> str:
        return f"Embedder({self.name!r}, batch_size={self.batch_size})"
