"""Issue 37 item 4: the request cache key holds where a request goes (endpoint, api_version,
headers without credentials) and every setting that changes the reply, never the API key."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.lm import LM, get_cache, request_key
from engine.lm.embedder import Embedder

MESSAGES = [{"role": "user", "content": "Which team handles a refund?"}]
KEY_ONE = "sk-test-CACHEKEY-one-7f3a9c1d"
KEY_TWO = "sk-test-CACHEKEY-two-2b8e4f60"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(folder))
    return folder


class EndpointLM(LM):
    """Answers with the endpoint it was sent to, and counts provider calls."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def _complete(self, messages, params):
        self.calls += 1
        where = self.api_base or params.get("api_base") or "default"
        return [f"reply from {where} #{self.calls}"], {"prompt_tokens": 5, "completion_tokens": 3}


def test_another_endpoint_is_not_answered_from_the_first_ones_cache():
    first = EndpointLM("openai/gpt-4o-mini", api_base="http://first.example/v1", temperature=0.0)
    second = EndpointLM("openai/gpt-4o-mini", api_base="http://second.example/v1", temperature=0.0)
    questions = [[{"role": "user", "content": f"question {i}"}] for i in range(20)]
    for messages in questions:
        first(messages=messages)
    replies = [second(messages=messages) for messages in questions]
    assert second.calls == 20, f"{20 - second.calls} of 20 answered from the first endpoint"
    assert all("second.example" in r[0] for r in replies)
    assert not any(r.cache_hit for r in second.ledger.records)
    again = [second(messages=messages) for messages in questions]  # its own entries do hit
    assert again == replies and second.calls == 20


def test_the_api_key_never_enters_the_key_nor_the_cache_files(_isolated_cache: Path):
    one = EndpointLM("openai/gpt-4o-mini", api_key=KEY_ONE, api_base="http://proxy.example/v1")
    two = EndpointLM("openai/gpt-4o-mini", api_key=KEY_TWO, api_base="http://proxy.example/v1")
    elsewhere = EndpointLM("openai/gpt-4o-mini", api_key=KEY_ONE, api_base="http://other.test/v1")
    assert one(messages=MESSAGES) == two(messages=MESSAGES)  # same endpoint, another key: shared
    assert two.calls == 0 and two.ledger.records[0].cache_hit
    assert elsewhere(messages=MESSAGES) != one(messages=MESSAGES) and elsewhere.calls == 1
    params = {"temperature": 0.0}
    assert request_key("m", MESSAGES, {**params, "api_key": KEY_ONE}) == request_key(
        "m", MESSAGES, {**params, "api_key": KEY_TWO}
    )
    get_cache().close()  # flush the SQLite file (WAL) before reading its bytes
    files = [p for p in _isolated_cache.rglob("*") if p.is_file()]
    assert files, "the disk cache wrote nothing"
    for path in files:
        raw = path.read_bytes()
        assert KEY_ONE.encode() not in raw and KEY_TWO.encode() not in raw, path


def test_endpoint_spellings_and_aliases_are_one_endpoint_and_api_version_counts():
    base = request_key("m", MESSAGES, {}, api_base="http://host.example:8000/v1")
    assert base != request_key("m", MESSAGES, {})  # the provider's default endpoint differs
    same = [
        request_key("m", MESSAGES, {}, api_base="HTTP://Host.Example:8000/v1/"),
        request_key("m", MESSAGES, {}, api_base=" http://host.example:8000/v1 "),
        request_key("m", MESSAGES, {"api_base": "http://host.example:8000/v1"}),
        request_key("m", MESSAGES, {"base_url": "http://host.example:8000/v1/"}),
    ]
    assert same == [base] * 4
    alias = EndpointLM("openai/gpt-4o-mini", base_url="http://alias.example/v1")
    named = EndpointLM("openai/gpt-4o-mini", api_base="http://alias.example/v1/")
    alias(messages=MESSAGES)
    named(messages=MESSAGES)
    assert named.calls == 0  # base_url= and api_base= name one endpoint
    versions = {
        request_key("azure/gpt", MESSAGES, {"api_version": v}, api_base="https://r.example")
        for v in ("2024-02-01", "2024-06-01")
    }
    assert len(versions) == 2


def test_every_setting_that_changes_the_reply_changes_the_key():
    base = request_key("openai/gpt-4o-mini", MESSAGES, {"temperature": 0.0})
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {}}}
    changed = [
        request_key("anthropic/gpt-4o-mini", MESSAGES, {"temperature": 0.0}),  # provider
        request_key("openai/gpt-4o", MESSAGES, {"temperature": 0.0}),  # model
        request_key("openai/gpt-4o-mini", MESSAGES, {"temperature": 0.7}),
        request_key("openai/gpt-4o-mini", MESSAGES, {"temperature": 0.0, "top_p": 0.5}),
        request_key("openai/gpt-4o-mini", MESSAGES, {"temperature": 0.0, "tools": [tool]}),
        request_key(
            "openai/gpt-4o-mini",
            MESSAGES,
            {"temperature": 0.0, "response_format": {"type": "json_object"}},
        ),
        request_key(
            "openai/gpt-4o-mini",
            MESSAGES,
            {"temperature": 0.0, "extra_headers": {"anthropic-beta": "tools-2024"}},
        ),
    ]
    assert len({base, *changed}) == len(changed) + 1
    # credentials in headers are not part of the key (the key itself never is)
    for headers in ({"Authorization": f"Bearer {KEY_ONE}"}, {"x-api-key": KEY_ONE}):
        noisy = {"temperature": 0.0, "extra_headers": headers, "api_key": KEY_TWO}
        assert request_key("openai/gpt-4o-mini", MESSAGES, noisy) == base


def test_embedding_requests_to_another_endpoint_are_not_shared():
    first = Embedder("openai/text-embedding-3-small", api_base="http://a.example/v1")
    second = Embedder("openai/text-embedding-3-small", api_base="http://b.example/v1")
    keyed = Embedder("openai/text-embedding-3-small", api_base="http://a.example/v1",
                     api_key=KEY_ONE)  # fmt: skip
    params_a, params_b = first.default_kwargs, second.default_kwargs
    assert first._key("hello", params_a) != second._key("hello", params_b)
    assert keyed._key("hello", keyed.default_kwargs) == first._key("hello", params_a)
