"""Real provider faults through litellm: unknown model names, unreachable endpoints."""

from __future__ import annotations

import os

import pytest

from engine.core._errors import LMConfigError, ProviderUnreachableError
from engine.lm import LM
from engine.lm.model_check import check_model

pytest.importorskip("litellm")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))


def test_unknown_model_is_a_config_error_naming_it():
    lm = LM("nonexistent_provider/foo")
    with pytest.raises(LMConfigError) as info:
        lm("hi")
    message = str(info.value)
    assert "nonexistent_provider/foo" in message and "local/smollm2-135m" in message
    assert lm.ledger.records[-1].error


def test_unknown_local_model_is_a_config_error():
    with pytest.raises(LMConfigError, match="no GGUF file"):
        LM("local/does/not/exist.gguf")("hi")
    with pytest.raises(LMConfigError, match="Unknown local model"):
        LM("local/gpt-17")("hi")


@pytest.mark.timeout(10, func_only=True)  # a hang guard: a refused connection is not retried
def test_unreachable_provider_fails_fast_naming_the_endpoint():
    base = "http://127.0.0.1:9/v1"  # discard port: nothing listens, connection refused
    lm = LM("openai/x", api_base=base, api_key="fake", num_retries=1, cache=False)
    with pytest.raises(ProviderUnreachableError, match="127.0.0.1:9"):
        lm("hi")
    assert len(lm.ledger) == 1 and lm.ledger.records[0].error


@pytest.mark.parametrize("where", ["environment", "argument"])
def test_a_blank_api_key_is_no_key(monkeypatch, where):
    """litellm counts `OPENAI_API_KEY=""` as set; the check must not, and the blank variable is
    back in the environment afterwards."""
    monkeypatch.setenv("OPENAI_API_KEY", "  " if where == "environment" else "")
    with pytest.raises(LMConfigError, match="needs an API key: set OPENAI_API_KEY"):
        check_model("openai/gpt-4o-mini", api_key="" if where == "argument" else None)
    assert os.environ.get("OPENAI_API_KEY") is not None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-a-real-looking-key")
    check_model("openai/gpt-4o-mini")  # a key that is there passes
