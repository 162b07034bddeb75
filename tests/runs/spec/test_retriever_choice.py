"""`retriever: embeddings` with `embedder:` on a Retrieve step and the search tool: the spec
checks the form, the build checks that the embedder can be used here (local files, provider,
key, an embedding model) before any call, the corpus is embedded on the first search (role
"embed"), and the exported code rebuilds it. Embeddings come from a fake litellm provider."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import engine as dspy
from engine.core._errors import SpecError
from engine.lm import ScriptedLM, UsageLedger
from engine.runs import load_spec, preflight
from engine.runs.export.codegen import generate_python
from engine.runs.pipeline._corpus_index import LazyEmbeddings
from engine.runs.pipeline._program import build_program
from engine.runs.spec._retriever import check_embedder
from engine.runs.spec._spec import spec_from_dict

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine" / "lm"))
from test_embeddings import fake_provider  # noqa: E402, F401  (the fixture)

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def _rag(**search: object) -> dict:
    raw = load_spec(SAMPLES / "tidewell_rag.yaml").to_dict()
    raw["pipeline"][0].update(search)
    return raw


def _agent(**tool: object) -> dict:
    raw = load_spec(SAMPLES / "tidewell_agent.yaml").to_dict()
    search = {"name": "search", "corpus": {"path": "tidewell_corpus.md"}, **tool}
    raw["pipeline"][-1]["tools"].append(search)
    return raw


def test_embeddings_round_trip_and_bm25_stays_the_default() -> None:
    spec = spec_from_dict(_rag(retriever="embeddings", embedder="local"), base_dir=SAMPLES)
    saved = spec.to_dict()["pipeline"][0]
    assert (saved["retriever"], saved["embedder"]) == ("embeddings", "local")
    assert spec_from_dict(spec.to_dict()).to_dict() == spec.to_dict()
    plain = spec_from_dict(_rag()).to_dict()["pipeline"][0]
    assert "retriever" not in plain and "embedder" not in plain
    tool = spec_from_dict(_agent(retriever="embeddings", embedder="openai/text-embedding-3-small"))
    searches = [t for t in tool.pipeline[-1].tools if t.name == "search"]
    assert searches[0].embedder == "openai/text-embedding-3-small"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_rag(retriever="embeddings"), "retriever embeddings needs an embedder: 'local'"),
        (_rag(embedder="local"), "embedder is only used with retriever: embeddings"),
        (_rag(retriever="embeddings", embedder="ada"), "should be 'local' or look like"),
        (_rag(retriever="vectors"), "Input should be 'bm25' or 'embeddings'"),
        (_agent(retriever="embeddings"), "tool search: retriever embeddings needs an embedder"),
    ],
)
def test_bad_retriever_options_are_refused(raw: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        spec_from_dict(raw)


def test_retriever_is_only_for_retrieve_steps_and_search() -> None:
    raw = _rag()
    raw["pipeline"][1]["retriever"] = "bm25"
    with pytest.raises(SpecError, match="only used by a Retrieve step"):
        spec_from_dict(raw)
    agent = load_spec(SAMPLES / "tidewell_agent.yaml").to_dict()
    agent["pipeline"][-1]["tools"].append({"name": "calculator", "retriever": "embeddings"})
    with pytest.raises(SpecError, match="tool calculator: retriever and embedder are only used"):
        spec_from_dict(agent)


def test_a_missing_key_is_named_at_preflight_before_any_call(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    spec = spec_from_dict(
        _rag(retriever="embeddings", embedder="openai/text-embedding-3-small"), base_dir=SAMPLES
    )
    lm = ScriptedLM(answers=[], name="must-not-be-called")
    with dspy.context(lm=lm), pytest.raises(SpecError) as info:
        preflight(spec)
    text = str(info.value)
    assert text.startswith("pipeline.0.embedder: the embedder cannot be used here")
    assert "OPENAI_API_KEY" in text and "use retriever: bm25" in text
    assert lm.calls_made == 0


def test_unknown_provider_chat_model_and_missing_local_files_are_named(monkeypatch) -> None:
    with pytest.raises(SpecError, match="does not know the provider 'nosuch'"):
        check_embedder("nosuch/model", "pipeline.0.embedder")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    with pytest.raises(SpecError, match="'openai/gpt-4o-mini' is a chat model, not an embedding"):
        check_embedder("openai/gpt-4o-mini", "pipeline.0.embedder")
    check_embedder("openai/text-embedding-3-small", "k")  # known embedding model, key set
    import engine.lm.local.runtime._weights as weights

    monkeypatch.setattr(weights, "local_runtime_available", lambda: False)
    with pytest.raises(SpecError, match="needs llama-cpp-python, which is not installed"):
        check_embedder("local", "pipeline.0.embedder")


def test_corpus_is_embedded_on_the_first_search_under_role_embed(fake_provider) -> None:  # noqa: F811
    spec = spec_from_dict(_rag(retriever="embeddings", embedder="fakeembed/bow"), base_dir=SAMPLES)
    program = build_program(spec)
    assert isinstance(program.search._rm, LazyEmbeddings) and fake_provider == []  # no call yet
    ledger = UsageLedger()
    with dspy.context(usage_trackers=(ledger,)):
        found = program.search(question="How do I get a refund for a double charge?")
    assert len(found.context) == 3 and fake_provider  # corpus + query embedded
    assert {r.role for r in ledger.records} == {"embed"}


def test_search_tool_uses_the_embedder(fake_provider) -> None:  # noqa: F811
    spec = spec_from_dict(_agent(retriever="embeddings", embedder="fakeembed/bow"),
                          base_dir=SAMPLES)  # fmt: skip
    program = build_program(spec)
    tools = program.named_sub_modules()
    agent = [m for _, m in tools if hasattr(m, "tools")][0]
    assert fake_provider == []  # nothing embedded when the program is built
    found = agent.tools["search"](query="How do I get a refund?")
    assert found.startswith("[1] ") and "[3] " in found
    assert fake_provider  # the search embedded the corpus and the query


def test_export_rebuilds_the_embeddings_retriever() -> None:
    spec = spec_from_dict(_rag(retriever="embeddings", embedder="local"), base_dir=SAMPLES)
    code = generate_python(spec)
    assert (
        "SEARCH_RM = dspy.retrievers.Embeddings(read_passages(PROJECT_DIR / 'tidewell_corpus.md',"
        " column=None, split='auto'), dspy.Embedder('local/smollm2-135m'), k=3)"
    ) in code
    agent = generate_python(spec_from_dict(_agent(retriever="embeddings", embedder="local"),
                                           base_dir=SAMPLES))  # fmt: skip
    assert "'retriever': 'embeddings', 'embedder': 'local'" in agent
