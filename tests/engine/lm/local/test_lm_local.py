"""The embedded model through LM and litellm: real inference on SmolLM2-135M."""

from __future__ import annotations

import threading

import pytest
from local_lm_helpers import REAL_LM

from engine.lm import LM, default_lm, smollm2_path

pytestmark = REAL_LM

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant. Answer in one short sentence."},
    {"role": "user", "content": "What color is the sky on a clear day?"},
]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))


def test_weights_ship_in_the_package():
    path = smollm2_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_local_model_answers_deterministically():
    lm = LM("local/smollm2-135m", temperature=0.0, max_tokens=24, cache=False)
    first = lm(messages=MESSAGES)
    second = lm(messages=MESSAGES)
    assert len(first) == 1 and first[0].strip()
    assert first == second
    record = lm.ledger.records[-1]
    assert record.prompt_tokens > 10 and 0 < record.completion_tokens <= 24
    assert record.cost == 0.0 and not record.cache_hit


def test_n_samples_and_stop_are_honoured():
    lm = LM("local/smollm2-135m", max_tokens=16, cache=False)
    texts = lm(messages=MESSAGES, n=2, temperature=0.9)
    assert len(texts) == 2
    stopped = lm(messages=MESSAGES, stop=["e"])[0]
    assert "e" not in stopped


def test_concurrent_calls_share_one_model_safely():
    lm = LM("local/smollm2-135m", temperature=0.0, max_tokens=8, cache=False)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results.append(lm(messages=[{"role": "user", "content": f"Say the number {i}."}]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(results) == 4 and len(lm.ledger) == 4


def test_default_lm_is_the_embedded_model():
    lm = default_lm()
    assert lm is default_lm()
    assert lm.model == "local/smollm2-135m" and lm.kwargs == {"temperature": 0.0, "max_tokens": 256}
