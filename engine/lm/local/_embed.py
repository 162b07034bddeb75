"""Embeddings from a local GGUF file (`local/smollm2-135m` or `local/<path>.gguf`).

A second llama-cpp-python instance of the file, opened with `embedding=True` and mean pooling
(decoder models like SmolLM2 have no pooling of their own), once per process and used under
its own lock. Nothing here imports llama_cpp at module level.
"""

from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import LMConfigError
from engine.lm.local._model import pick_threads
from engine.lm.local._runtime import import_llama_cpp
from engine.lm.local._weights import ensure_local_ready

N_CTX = 1024  # tokens per text; longer texts are truncated


@dataclass
class LocalEmbedder:
    """One GGUF file opened for embeddings, and the lock that serialises calls into it."""

    path: Path
    llama: Any
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One mean-pooled vector per text."""
        return self.embed_counted(texts)[0]

    def embed_counted(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """(one mean-pooled vector per text, the tokens read: each text's, at most N_CTX)."""
        import llama_cpp

        with self.lock:
            threads = pick_threads()
            llama_cpp.llama_set_n_threads(self.llama._ctx.ctx, threads, threads)
            vectors, tokens = self.llama.embed(texts, truncate=True, return_count=True)
        return [list(v) for v in vectors], int(tokens)


_models: dict[Path, LocalEmbedder] = {}
_lock = threading.Lock()


def load_local_embedder(model: str) -> LocalEmbedder:
    """Open `model`'s GGUF for embeddings once per process (thread-safe)."""
    path = ensure_local_ready(model)
    loaded = _models.get(path)
    if loaded is not None:
        return loaded
    llama_cpp = import_llama_cpp(path)
    with _lock:
        loaded = _models.get(path)
        if loaded is None:
            start = time.perf_counter()
            try:
                llama = llama_cpp.Llama(
                    model_path=str(path),
                    embedding=True,
                    pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                    n_ctx=N_CTX,
                    n_batch=N_CTX,
                    n_ubatch=N_CTX,
                    n_threads=1,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise LMConfigError(f"Could not open {path} for embeddings: {exc}") from exc
            loaded = LocalEmbedder(path, llama, time.perf_counter() - start)
            if not _models:
                atexit.register(_close_all)
            _models[path] = loaded
    return loaded


def _close_all() -> None:
    """Free the models before interpreter teardown (avoids noisy `Llama.__del__` errors)."""
    for loaded in list(_models.values()):
        try:
            with loaded.lock:
                loaded.llama.close()
        except Exception:  # best effort at exit
            pass
    _models.clear()


def embed_local(model: str, texts: list[str]) -> list[list[float]]:
    """Vectors of `texts` from the local GGUF behind `model`."""
    return load_local_embedder(model).embed(texts)


def embed_local_counted(model: str, texts: list[str]) -> tuple[list[list[float]], int]:
    """(vectors of `texts`, tokens read) from the local GGUF behind `model`."""
    return load_local_embedder(model).embed_counted(texts)
