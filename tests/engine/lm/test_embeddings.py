"""Embedder (a function, a litellm embedding provider, caching) and the Embeddings retriever."""

from __future__ import annotations

import numpy as np
import pytest

import engine as dspy
from engine.retrievers import Embeddings

WORDS = ["refund", "charge", "parcel", "ship", "password", "login", "crash", "app"]


def bag_of_words(texts, **kwargs):
    """A scripted embedding: counts of a few words (enough to rank passages by topic)."""
    return [[t.lower().count(w) + 0.01 for w in WORDS] for t in texts]


CORPUS = [
    "Refund of a double charge takes 5 days.",
    "Your parcel will ship tomorrow.",
    "Reset the password on the login page.",
    "The app may crash after an update.",
]


def test_embedder_over_a_function_batches_and_shapes():
    seen = []

    def fn(texts):
        seen.append(list(texts))
        return bag_of_words(texts)

    embedder = dspy.Embedder(fn, batch_size=2)
    vectors = embedder(["a", "b", "c"])
    assert vectors.shape == (3, len(WORDS)) and vectors.dtype == np.float32
    assert seen == [["a", "b"], ["c"]]
    assert embedder("refund").shape == (len(WORDS),)
    with pytest.raises(ValueError, match="strings"):
        embedder([1, 2])


@pytest.fixture
def fake_provider():
    """A litellm custom provider `fakeembed/...` whose embeddings are bags of words."""
    from engine.lm._litellm import get_litellm

    litellm = get_litellm()
    calls = []

    class FakeEmbed(litellm.CustomLLM):
        def embedding(self, model, input, model_response, *args, **kwargs):
            calls.append(list(input))
            model_response.data = [
                {"object": "embedding", "index": i, "embedding": v}
                for i, v in enumerate(bag_of_words(input))
            ]
            model_response.model = model
            model_response.usage = litellm.Usage(
                prompt_tokens=sum(len(t.split()) for t in input), completion_tokens=0
            )
            return model_response

    before = list(litellm.custom_provider_map or [])
    litellm.custom_provider_map = [
        *before,
        {"provider": "fakeembed", "custom_handler": FakeEmbed()},
    ]
    litellm.utils.custom_llm_setup()
    yield calls
    litellm.custom_provider_map = before
    litellm.utils.custom_llm_setup()


def test_embedder_over_a_litellm_provider_caches_each_text(fake_provider):
    embedder = dspy.Embedder("fakeembed/bow-1", batch_size=10)
    first = embedder(["refund now", "ship it"])
    assert first.shape == (2, len(WORDS)) and first[0][0] == pytest.approx(1.01)
    again = embedder(["ship it", "app crash"])  # one cached text, one new
    assert fake_provider == [["refund now", "ship it"], ["app crash"]]
    assert np.allclose(again[0], first[1])
    dspy.Embedder("fakeembed/bow-1", caching=False)(["ship it"])
    assert fake_provider[-1] == ["ship it"]


def test_embedding_requests_are_recorded_under_role_embed(fake_provider):
    from engine.lm.usage import UsageLedger

    ledger = UsageLedger()
    embedder = dspy.Embedder("fakeembed/bow-2", batch_size=2)
    with dspy.context(usage_trackers=(ledger,)):
        embedder(["refund now please", "ship it", "app crash"])  # two requests (batch 2)
        embedder(["ship it"])  # from the cache
    records = ledger.records
    assert [(r.role, r.model, r.cache_hit) for r in records] == [
        ("embed", "fakeembed/bow-2", False), ("embed", "fakeembed/bow-2", False),
        ("embed", "fakeembed/bow-2", True),
    ]  # fmt: skip
    assert [r.prompt_tokens for r in records] == [5, 2, 0]
    assert records[0].cost is None  # litellm has no price for it: unknown, not free
    totals = ledger.by_role()["embed"]
    assert (totals.calls, totals.uncached_calls, totals.prompt_tokens) == (3, 2, 7)
    with dspy.context(usage_trackers=(ledger,)):
        Embeddings(CORPUS, dspy.Embedder(bag_of_words), k=1)  # a function: not a model
    assert len(ledger) == 3


def test_embeddings_retriever_ranks_by_cosine_and_works_as_rm():
    retriever = Embeddings(CORPUS, dspy.Embedder(bag_of_words), k=2)
    result = retriever("my login password does not work")
    assert result.indices[0] == 2 and len(result) == 2
    assert result.passages[0] == CORPUS[2] and result.scores[0] > result.scores[1]
    dspy.configure(rm=retriever)
    assert dspy.Retrieve(k=1)("refund for the charge").passages == [CORPUS[0]]
    assert Embeddings(CORPUS, bag_of_words, k=1)("the app will crash")[0].index == 3


def test_embeddings_save_and_load_without_reembedding(tmp_path):
    retriever = Embeddings(CORPUS, bag_of_words, k=1)
    retriever.save(tmp_path / "index")

    def refuse_corpus(texts):
        assert len(texts) == 1, "the corpus must not be embedded again"
        return bag_of_words(texts)

    loaded = Embeddings.from_saved(tmp_path / "index", refuse_corpus)
    assert loaded("parcel ship").passages == [CORPUS[1]] and loaded.k == 1


def test_a_run_with_an_embedding_knn_shows_embed_calls_in_its_ledger(fake_provider):
    from engine.lm import ScriptedLM
    from engine.optimizers.spine._context import RunContext

    dspy.configure(lm=ScriptedLM(answers=[{"category": "billing"}], cycle=True))
    train = [dspy.Example(ticket=t, category="billing").with_inputs("ticket") for t in CORPUS]
    run = RunContext()
    knn = dspy.KNNFewShot(
        2, train, dspy.Embedder("fakeembed/bow-3"), metric=lambda ex, pred, trace=None: 1.0,
        max_bootstrapped_demos=0,
    )  # fmt: skip
    knn.compile(dspy.Predict("ticket -> category"), valset=train[:2], run=run)
    embed = run.ledger.by_role()["embed"]  # the index, then the two scored inputs (cached)
    assert (embed.calls, embed.uncached_calls, embed.cache_hits) == (3, 1, 2)
    assert embed.prompt_tokens > 0
    assert run.ledger.by_role()["task"].calls >= 2
