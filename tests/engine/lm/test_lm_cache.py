"""The LM request cache: hits, keys, rollout ids, disk layer; a hit stays in memory."""

from __future__ import annotations

import pytest

from engine.lm import LM, ScriptedLM, get_cache, request_key
from engine.lm.cache import CacheEntry, RequestCache

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))


class CountingLM(LM):
    """An LM whose provider call just counts and echoes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def _complete(self, messages, params):
        self.calls += 1
        return [f"answer {self.calls}"], {"prompt_tokens": 7, "completion_tokens": 2, "cost": 0.01}


def test_cache_hit_returns_same_output_and_is_recorded_as_hit():
    lm = ScriptedLM(answers=["Paris", "Lyon"], cache=True)
    assert lm(messages=MESSAGES) == ["Paris"]
    assert lm(messages=MESSAGES) == ["Paris"]
    assert lm.calls_made == 1
    first, second = lm.ledger.records
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.prompt_tokens == first.prompt_tokens  # tokens come from the stored entry
    assert lm.ledger.totals().cache_hits == 1
    assert lm.history[-1]["cache_hit"] is True


def test_rollout_id_forces_a_fresh_sample_even_at_temperature_zero():
    lm = ScriptedLM(answers=["a", "b", "c"], cache=True, temperature=0.0)
    assert lm(messages=MESSAGES) == ["a"]
    assert lm(messages=MESSAGES, rollout_id=1) == ["b"]
    assert lm(messages=MESSAGES, rollout_id=1) == ["b"]  # same rollout: cached
    assert lm.copy(rollout_id=2)(messages=MESSAGES) == ["c"]
    base = request_key("m", MESSAGES, {"temperature": 0.0})
    assert request_key("m", MESSAGES, {"temperature": 0.0}, rollout_id=1) != base


def test_api_key_is_not_part_of_the_key_but_the_endpoint_is():
    """Issue 37: another api_base was answered from the first endpoint's cache. The key never
    enters the hash; the endpoint does (tests/engine/lm/test_cache_endpoint.py has more)."""
    first = CountingLM("openai/gpt-4o-mini", api_key="sk-one", api_base="http://a/v1")
    second = CountingLM("openai/gpt-4o-mini", api_key="sk-two", api_base="http://a/v1")
    assert first(messages=MESSAGES) == ["answer 1"]
    assert second(messages=MESSAGES) == ["answer 1"]
    assert second.calls == 0 and second.ledger.records[0].cache_hit
    other = CountingLM("openai/gpt-4o-mini", api_key="sk-one", api_base="http://b/v1")
    assert other(messages=MESSAGES) == ["answer 1"] and other.calls == 1
    params = {"temperature": 0.0, "max_tokens": 10}
    noisy = {**params, "api_key": "x", "num_retries": 9, "timeout": 3}
    assert request_key("m", MESSAGES, params) == request_key("m", MESSAGES, noisy)
    assert request_key("m", MESSAGES, {**params, "base_url": "http://c"}) != request_key(
        "m", MESSAGES, params
    )


def test_sampling_params_model_and_messages_change_the_key():
    base = request_key("m", MESSAGES, {"temperature": 0.0})
    assert request_key("m", MESSAGES, {"temperature": 0.7}) != base
    assert request_key("m", MESSAGES, {"temperature": 0.0, "n": 2}) != base
    assert request_key("other", MESSAGES, {"temperature": 0.0}) != base
    assert request_key("m", [{"role": "user", "content": "x"}], {"temperature": 0.0}) != base
    assert request_key("m", MESSAGES, {"temperature": 0.0, "stop": None}) == base


def test_cache_false_always_calls_the_provider():
    lm = CountingLM("openai/gpt-4o-mini", cache=False)
    lm(messages=MESSAGES)
    lm(messages=MESSAGES)
    assert lm.calls == 2 and not any(r.cache_hit for r in lm.ledger.records)


def test_disk_layer_survives_a_cleared_memory(tmp_path):
    cache = RequestCache(tmp_path / "disk")
    cache.put("k", CacheEntry(("x",), 3, 1, None), model="m")
    cache.clear_memory()
    assert cache.get("k") == CacheEntry(("x",), 3, 1, None)
    other = RequestCache(tmp_path / "disk")  # another process would see it too
    assert other.get("k").texts == ("x",)
    cache.close()
    other.close()


def test_a_repeated_call_is_served_from_memory(monkeypatch):
    """A hit never reaches the provider or the disk layer (the cost of a hit, 14-27 µs of CPU,
    is measured in bench/overhead/, never asserted here)."""
    lm = CountingLM("openai/gpt-4o-mini", temperature=0.0, max_tokens=100)
    messages = [
        {"role": "system", "content": "You classify support tickets. " * 20},
        {"role": "user", "content": "My package never arrived."},
    ]
    first = lm(messages=messages)
    cache = get_cache()

    def no_disk(key: str) -> None:
        raise AssertionError("a memory hit read the disk layer")

    monkeypatch.setattr(cache, "_disk_get", no_disk)
    for _ in range(50):
        assert lm(messages=messages) == first
    assert lm.calls == 1
