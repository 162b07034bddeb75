"""Pipeline page: a Retrieve step searches by words (BM25) or by meaning (embeddings from
'local' or a litellm model): the spec and the code follow the choice, an embedder that cannot
be used here says why, and Try on a row names the method (fake embedding provider)."""

from __future__ import annotations

import sys
from pathlib import Path

from apphelpers import go, k, open_sample, shown, texts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine" / "lm"))
from test_embeddings import fake_provider  # noqa: E402, F401  (the fixture)


def _step(at) -> dict:
    return at.session_state["draft"]["pipeline"][0]


def test_embeddings_choice_edits_the_spec_and_the_code(app, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = go(open_sample(app, "tidewell_rag"), "pipeline")
    assert "dspy.retrievers.BM25(read_passages(" in texts(at)
    at.selectbox(key=k(at, "step_search_0_retriever")).set_value("embeddings").run()
    assert not at.exception, at.exception
    assert (_step(at)["retriever"], _step(at)["embedder"]) == ("embeddings", "local")
    assert "dspy.Embedder('local/smollm2-135m'), k=3)" in texts(at)
    assert "embedded on the first search" in texts(at)

    at.text_input(key=k(at, "step_search_0_embedder")).set_value(
        "openai/text-embedding-3-small"
    ).run()
    warnings = " ".join(shown(w.value) for w in at.warning)
    assert "the embedder cannot be used here" in warnings and "OPENAI_API_KEY" in warnings
    assert _step(at)["embedder"] == "openai/text-embedding-3-small"  # kept, with the reason

    at.selectbox(key=k(at, "step_search_0_retriever")).set_value("bm25").run()
    assert "retriever" not in _step(at) and "embedder" not in _step(at)
    assert "dspy.retrievers.BM25(read_passages(" in texts(at)


def test_try_on_a_row_searches_by_meaning(app, fake_provider):  # noqa: F811
    at = go(open_sample(app, "tidewell_rag"), "pipeline")
    at.selectbox(key=k(at, "step_search_0_retriever")).set_value("embeddings").run()
    at.text_input(key=k(at, "step_search_0_embedder")).set_value("fakeembed/bow").run()
    assert not at.warning, [shown(w.value) for w in at.warning]
    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "(embeddings: fakeembed/bow)" in page and "**[1]**" in page
    assert fake_provider  # the corpus and the question were embedded
