"""Saved KV prefixes on the embedded model: restored when a prompt comes back, replies unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_lm_helpers import REAL_LM

from engine.lm.local import load_local_model
from engine.lm.local._prefixes import MIN_GAIN, PrefixStates, common_prefix_length

pytestmark = REAL_LM

GREEDY = {"temperature": 0.0, "max_tokens": 8}
FRUIT = [("apple", "fruit"), ("carrot", "vegetable"), ("banana", "fruit"), ("leek", "vegetable")]
TOOLS = [("hammer", "hand tool"), ("drill", "power tool"), ("saw", "hand tool")]


def _chat(pairs: list[tuple[str, str]], question: str) -> list[dict[str, str]]:
    """A system message, demo turns and a question: every prompt of one "candidate" shares all
    but the question."""
    messages = [{"role": "system", "content": "Name the category of the item. " * 4}]
    for item, label in pairs:
        messages += [
            {"role": "user", "content": f"Item: {item}"},
            {"role": "assistant", "content": f"Category: {label}"},
        ]
    return [*messages, {"role": "user", "content": f"Item: {question}"}]


@pytest.fixture
def model() -> Iterator:
    loaded = load_local_model()
    with loaded.lock:
        loaded.llama.reset()
    loaded.chat([{"role": "user", "content": "Hi"}], GREEDY)  # makes `prefixes`
    loaded.prefixes.clear()
    yield loaded
    loaded.prefixes.clear()


def _fresh(model) -> None:
    with model.lock:
        model.llama.reset()
        model.prefixes.clear()


def test_a_prompt_that_comes_back_resumes_its_saved_prefix_with_the_same_reply(model):
    fruit = [_chat(FRUIT, q) for q in ("pear", "onion", "plum")]
    tools = [_chat(TOOLS, q) for q in ("wrench", "sander")]

    _fresh(model)
    uninterrupted = [model.chat(m, GREEDY)["texts"][0] for m in fruit]

    _fresh(model)
    before = model.prefixes.stats.restored
    replies = [model.chat(m, GREEDY)["texts"][0] for m in fruit[:2]]
    for messages in tools:
        model.chat(messages, GREEDY)
    replies.append(model.chat(fruit[2], GREEDY)["texts"][0])

    stats = model.prefixes.stats
    assert stats.restored == before + 1, stats
    assert stats.restored_tokens > 60, "the system message and demos came back from the store"
    assert replies == uninterrupted


def test_drafted_calls_use_the_store_too(model):
    fruit = [_chat(FRUIT, q) for q in ("pear", "onion", "plum")]
    tools = _chat(TOOLS, "wrench")
    drafted = {**GREEDY, "reply_drafts": ["Category: fruit", "Category: vegetable"]}
    _fresh(model)
    before = model.prefixes.stats.restored
    first = [model.chat(m, drafted)["texts"][0] for m in fruit]
    model.chat(tools, drafted)
    again = model.chat(fruit[1], drafted)["texts"][0]
    assert model.prefixes.stats.restored == before + 1
    assert again == first[1]


def _feed(llama, store: PrefixStates, prompt: list[int]) -> None:
    """What a call does: ready the cache, then evaluate the rest of the prompt."""
    reuse = min(store.prepare(prompt), len(prompt) - 1)
    llama.n_tokens = reuse
    llama.eval(prompt[reuse:])


def test_a_small_budget_keeps_the_most_recent_prefix_and_zero_keeps_none(model):
    llama = model.llama
    fruit = [llama.tokenize(f"{'fruit ' * 80} item {i}".encode()) for i in range(2)]
    tools = [llama.tokenize(f"{'tools ' * 80} item {i}".encode()) for i in range(2)]
    with model.lock:
        llama.reset()
        store = PrefixStates(llama)
        for prompt in [*fruit, tools[0]]:
            _feed(llama, store, prompt)
        # Leaving the fruit prompts saved their shared prefix.
        assert store.stats.saved == 1 and len(store.saved[0].tokens) > MIN_GAIN
        store.budget_bytes = store.bytes_used + 1  # room for exactly one saved prefix
        for prompt in [tools[1], fruit[0]]:
            _feed(llama, store, prompt)
        # Leaving the tool prompts saved theirs, which evicted the fruit prefix.
        assert store.stats.evicted == 1 and len(store.saved) == 1
        kept = store.saved[0].tokens
        assert common_prefix_length(kept, tools[0]) == len(kept) > MIN_GAIN

        llama.reset()
        off = PrefixStates(llama, budget_bytes=0)
        for prompt in [*fruit, *tools, fruit[0]]:
            _feed(llama, off, prompt)
        assert off.stats.saved == 0 and off.stats.restored == 0
        llama.reset()


def test_a_teacher_whose_second_run_cuts_a_demo_keeps_its_first_run_for_the_next(model):
    """A bootstrapping teacher's first run, then a run on one of its own demos (cut from the
    list for it), then an ordinary run: the third resumes the first's demos from the store
    instead of reading them again (the whole live cache was kept before the second run)."""
    llama = model.llama
    demos = [f" demo {i}: {'word ' * 30}" for i in range(6)]
    system = "Label the item. " * 10

    def teacher(question: str, cut: int | None = None) -> list[int]:
        kept = [d for i, d in enumerate(demos) if i != cut]
        return llama.tokenize(f"{system}{''.join(kept)} question: {question}".encode())

    first, own_demo, third = teacher("pear"), teacher("leek", cut=2), teacher("plum")
    shared = common_prefix_length(first, third)
    with model.lock:
        llama.reset()
        store = PrefixStates(llama)
        _feed(llama, store, llama.tokenize(b"an unrelated prompt before the teacher"))
        _feed(llama, store, first)
        _feed(llama, store, own_demo)
        assert store.stats.saved == 1 and len(store.saved[0].tokens) >= len(first)
        assert store.prepare(third) >= shared  # restored: only the question is read
        assert store.stats.restored == 1
        llama.reset()
