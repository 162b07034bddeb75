"""`Embedder`: text -> vectors, from a litellm embedding model, a local GGUF, or a function.

- `Embedder("openai/text-embedding-3-small")`: any litellm embedding model (key from the env).
- `Embedder("local/smollm2-135m")` or `"local/<path>.gguf"`: in-process, llama-cpp-python.
- `Embedder(fn)`: `fn(list[str]) -> 2-D array or list of vectors`, as in DSPy.

Model embeddings are cached per text (memory + disk, the LM request cache) unless
`caching=False`; a function's are not (it may not be deterministic).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.lm.cache import CacheEntry, get_cache, request_key
from engine.lm.local_files import PROVIDER as LOCAL_PROVIDER

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
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            found = self._compute([texts[i] for i in batch], params)
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

    def _compute(self, texts: list[str], params: dict[str, Any]) -> Sequence[Sequence[float]]:
        model = self.model
        if callable(model):
            return list(model(texts, **params))
        if model.startswith(LOCAL_PROVIDER + "/"):
            from engine.lm.local_embed import embed_local

            return embed_local(model, texts)
        from engine.lm._litellm import get_litellm

        response = get_litellm().embedding(model=model, input=texts, **params)
        return [item["embedding"] for item in response.data]

    def __repr__(self) -> str:
        return f"Embedder({self.name!r}, batch_size={self.batch_size})"
