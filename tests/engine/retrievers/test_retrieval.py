"""Retrieve over a configured rm, BM25 on bm25s, and the passages they return."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.evaluate.evaluate import run_example
from engine.retrievers import BM25, NoRetrieverError, Passages, light_stem

CORPUS = [
    "Refunds for a double charge reach your card within 5 business days.",
    "Parcels ship within two days; tracking numbers arrive by email.",
    "Reset your password from the login page with the emailed link.",
    "Invoices list every charge on your monthly statement.",
    "The mobile app crashes are fixed in version 4.2.",
]


def test_bm25_ranks_the_passage_sharing_the_query_words_first():
    rm = BM25(CORPUS, k=3)
    result = rm("I was charged twice, I want a refund")
    assert isinstance(result, Passages)
    assert result[0].index == 0 and result[0].text == CORPUS[0]
    assert result.scores == sorted(result.scores, reverse=True) and result.scores[0] > 0
    assert result.passages[0] == CORPUS[0] and result.indices[0] == 0


def test_bm25_result_reads_like_each_dspy_shape():
    top = BM25(CORPUS)("password reset link", k=1)
    passage = top[0]
    assert passage.long_text == passage["text"] == passage["long_text"] == CORPUS[2]
    assert passage["pid"] == passage.pid == 2 and passage["score"] == passage.score


def test_bm25_k_no_match_and_stemming():
    rm = BM25(CORPUS, k=2)
    assert len(rm("charge")) == 2  # k caps the answer
    assert len(rm("charge", k=10)) == 2  # only passages sharing a word come back
    assert rm("zebra quantum") == [] and rm("the and of") == []  # stopwords only
    assert light_stem("charged") == light_stem("charges") == light_stem("charge")
    assert BM25([])("anything") == []


def test_bm25_dict_corpus_keeps_meta():
    rm = BM25([{"text": "Shipping to Canada costs $12.", "source": "faq.md"}, {"text": "Hi"}])
    hit = rm("shipping canada")[0]
    assert hit.meta == {"source": "faq.md"} and hit["source"] == "faq.md"
    with pytest.raises(ValueError, match="text"):
        BM25([{"body": "no text key"}])


def test_retrieve_without_rm_says_how_to_configure_one():
    with pytest.raises(NoRetrieverError, match="configure\\(rm=") as info:
        dspy.Retrieve(k=3)("anything")
    assert isinstance(info.value, AssertionError)  # DSPy raises an AssertionError too


def test_retrieve_calls_the_configured_rm_with_k():
    dspy.configure(rm=BM25(CORPUS))
    prediction = dspy.Retrieve(k=2)("parcel tracking number")
    assert prediction.passages[0] == CORPUS[1] and len(prediction.passages) <= 2
    assert len(dspy.Retrieve(k=3)("charge", k=1).passages) == 1


def test_retrieve_accepts_any_rm_shape():
    calls = []

    def plain(query, k):
        calls.append((query, k))
        return [{"long_text": "a"}, "b", {"text": "c"}][:k]

    with dspy.context(rm=plain):
        assert dspy.Retrieve(k=2)("q").passages == ["a", "b"]
    with dspy.context(rm=lambda q, k: dspy.Prediction(passages=["x", "y"])):
        assert dspy.Retrieve()("q").passages == ["x", "y"]
    assert calls == [("q", 2)]


def test_retrieve_records_its_call_in_the_trace_like_a_step():
    class Rag(dspy.Module):
        def __init__(self):
            self.retrieve = dspy.Retrieve(k=1)

        def forward(self, question):
            return dspy.Prediction(context=self.retrieve(question).passages)

    dspy.configure(rm=BM25(CORPUS))
    example = dspy.Example(question="app crashes").with_inputs("question")
    row = run_example(Rag(), None, example)
    assert row.trace == [
        {
            "predictor": "retrieve",
            "inputs": {"query": "app crashes", "k": 1},
            "outputs": {"passages": [CORPUS[4]]},
        }
    ]


def test_retrieve_state_is_k_saved_with_the_program(tmp_path):
    class Rag(dspy.Module):
        def __init__(self, k=3):
            self.retrieve = dspy.Retrieve(k=k)
            self.generate = dspy.ChainOfThought("context, question -> answer")

    state = Rag(k=4).dump_state()
    assert list(state) == ["retrieve", "generate.predict"] and state["retrieve"] == {"k": 4}
    path = tmp_path / "rag.json"
    Rag(k=4).save(path)
    assert Rag(k=3).load(path).retrieve.k == 4
    assert Rag().load_state({"generate.predict": state["generate.predict"]}).retrieve.k == 3
