"""A call's cost through litellm: litellm's own pricing of the call is read, never repeated."""

from __future__ import annotations

import types

import pytest

from engine.lm import provider
from engine.lm._litellm import get_litellm

MESSAGES = [{"role": "user", "content": "Say ok."}]


@pytest.fixture
def pricing_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the calls of `litellm.completion_cost` (litellm's pricing still runs)."""
    litellm = get_litellm()
    real = litellm.completion_cost
    seen: list[str] = []

    def counted(*args, **kwargs):
        seen.append("priced")
        return real(*args, **kwargs)

    monkeypatch.setattr(litellm, "completion_cost", counted)
    return seen


def test_a_priced_model_costs_what_litellm_priced_it_at(pricing_calls: list[str]) -> None:
    texts, usage = provider.litellm_complete(
        "openai/gpt-4o-mini", MESSAGES, {"mock_response": "ok"}, api_key="sk-test"
    )
    assert texts == ["ok"]
    assert usage["cost"] is not None and usage["cost"] > 0
    assert pricing_calls == []  # read from the response, not priced a second time


def test_an_unpriced_model_costs_nothing_known_without_a_second_lookup(
    pricing_calls: list[str],
) -> None:
    _, usage = provider.litellm_complete(
        "openai/some-local-model",
        MESSAGES,
        {"mock_response": "ok"},
        api_key="sk-test",
        api_base="http://127.0.0.1:9/v1",
    )
    assert usage["cost"] is None
    assert pricing_calls == []


def test_a_response_litellm_did_not_price_is_priced_once() -> None:
    seen = []

    def completion_cost(completion_response):
        seen.append(completion_response)
        return 0.25

    fake_litellm = types.SimpleNamespace(completion_cost=completion_cost)
    response = types.SimpleNamespace(_hidden_params={})
    assert provider._cost(fake_litellm, response, "openai/x") == 0.25
    assert seen == [response]
