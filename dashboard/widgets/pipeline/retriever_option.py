"""How a Retrieve step or the search tool ranks its corpus: by words (BM25) or by meaning
(embeddings from the local model or a litellm embedding model). Edits `owner` (the draft step
or tool) in place; a problem with the embedder (files missing, no key, not an embedding model)
is shown here and the spec is left as chosen (the pre-flight refuses it with the same words)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import lmtools, safe, state
from engine import SpecError
from engine.runs import check_embedder, embedder_model

RETRIEVERS = {
    "bm25": "By words (BM25, offline, no model)",
    "embeddings": "By meaning (embeddings)",
}
EMBED_HELP = (
    "'local': the embedded model, no key needed. Or a litellm embedding model such as "
    "openai/text-embedding-3-small (its key from the environment, or the one typed on the "
    "Optimize page when the task model has the same provider)."
)


def retriever_option(owner: dict[str, Any], key: str) -> None:
    """The search-method choice and, for embeddings, the embedder and whether it can be used."""
    current = owner.get("retriever") or "bm25"
    choice = st.selectbox(
        "How to search", list(RETRIEVERS), index=list(RETRIEVERS).index(current),
        format_func=RETRIEVERS.get, key=f"{key}_retriever_{state.rev()}",
    )  # fmt: skip
    if choice == "bm25":
        owner.pop("retriever", None)
        owner.pop("embedder", None)
        return
    owner["retriever"] = "embeddings"
    owner["embedder"] = (
        st.text_input(
            "Embedding model", value=owner.get("embedder") or "local", help=EMBED_HELP,
            key=f"{key}_embedder_{state.rev()}",
        ).strip()
        or "local"
    )  # fmt: skip
    problem = embedder_problem(owner["embedder"])
    if problem:
        st.warning(safe.md(problem), icon=":material/warning:")  # it quotes the typed name
    else:
        st.caption("The passages are embedded on the first search (counted as 'embed' calls).")


def embedder_problem(name: str) -> str | None:
    """Why the embedder cannot be used here, or None (a key typed this session counts)."""

    model = embedder_model(name)
    env_var = lmtools.key_env_var(model) if "/" in model else None
    if env_var and env_var in lmtools.run_key_env(state.draft().get("models") or {}):
        return None
    try:
        check_embedder(name, "embedder")
    except SpecError as exc:
        return str(exc)
    return None
