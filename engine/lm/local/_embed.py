"""Embeddings from a local GGUF file (`local/smollm2-135m` or `local/<path>.gguf`).

A second llama-cpp-python instance of the file, opened with `embedding=True` and mean pooling
(decoder models like SmolLM2 have no pooling of their own), once per process and used under
its own lock. Nothing here imports llama_cpp at module level.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.lm.local._model import open_once, pick_threads
from engine.lm.local.runtime import ensure_local_ready

N_CTX = 1024  # tokens per text; longer texts are truncated


@dataclass
class LocalEmbedder:
    """One GGUF file opened for embeddings, and the lock that serialises calls into it."""

    path: Path
    llama: Any
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)

    def embed_counted(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """(one mean-pooled vector per text, the tokens read: each text's, at most N_CTX)."""
        import llama_cpp

        with self.lock:
            threads = pick_threads()
            llama_cpp.llama_set_n_threads(self.llama._ctx.ctx, threads, threads)
            vectors, tokens = self.llama.embed(texts, truncate=True, return_count=True)
        return [list(v) for v in vectors], int(tokens)


_models: dict[Path, LocalEmbedder] = {}


def load_local_embedder(model: str) -> LocalEmbedder:
    """Open `model`'s GGUF for embeddings once per process (thread-safe)."""

    def open_llama(llama_cpp: Any) -> Any:
        return llama_cpp.Llama(
            model_path=str(path), embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
            n_ctx=N_CTX, n_batch=N_CTX, n_ubatch=N_CTX, n_threads=1, verbose=False,
        )  # fmt: skip

    path = ensure_local_ready(model)
    failure = "Could not open {path} for embeddings"
    return open_once(_models, path, open_llama, LocalEmbedder, failure)


def embed_local_counted(model: str, texts: list[str]) -> tuple[list[list[float]], int]:
    """(vectors of `texts`, tokens read) from the local GGUF behind `model`."""
    return load_local_embedder(model).embed_counted(texts)
