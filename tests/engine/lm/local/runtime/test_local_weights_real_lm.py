"""The embedded model's default weights: the shipped Q4_1 file rewritten once as Q8_0 under the
models folder, the shipped file still reachable, and reply-cache keys that name the weights."""

from __future__ import annotations

import pytest
from local_lm_helpers import REAL_LM, Triage

import engine as dspy
from engine.core._errors import LMConfigError
from engine.lm import local_model_path, smollm2_path
from engine.lm.cache import local_weights, request_key
from engine.lm.local.runtime._requant import fast_copy, q8_path, requantized_q8

pytestmark = REAL_LM


def test_the_default_model_is_a_q8_copy_written_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_MODELS_DIR", str(tmp_path))
    copy = local_model_path("local/smollm2-135m")
    assert copy == q8_path(smollm2_path()) and copy.parent == tmp_path and copy.is_file()
    written = copy.stat().st_mtime_ns
    assert requantized_q8(smollm2_path()) == copy and copy.stat().st_mtime_ns == written
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".gguf", ".lock"]  # no partial left
    assert local_model_path("local/smollm2-135m-q4_1") == smollm2_path()
    assert copy.read_bytes()[:4] == b"GGUF" and copy.stat().st_size > smollm2_path().stat().st_size


def test_an_unwritable_models_folder_says_so_and_the_default_falls_back(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TUNESMITH_MODELS_DIR", str(blocker / "models"))
    with pytest.raises(LMConfigError, match="TUNESMITH_MODELS_DIR"):
        requantized_q8(smollm2_path())
    assert fast_copy(smollm2_path()) == smollm2_path()


def test_reply_cache_keys_name_the_weights_of_an_embedded_model():
    messages = [{"role": "user", "content": "hi"}]
    assert local_weights("openai/gpt-4o-mini") is None
    assert local_weights("local/smollm2-135m").endswith(".Q8_0.gguf")
    assert local_weights("local/smollm2-135m-q4_1") == smollm2_path().name
    keys = {request_key(m, messages, {}) for m in ("local/smollm2-135m", "local/smollm2-135m-q4_1")}
    assert len(keys) == 2


def test_both_weights_answer_a_closed_choice():
    tickets = ["I was charged twice for my order.", "The app crashes when I log in."]
    for model in ("local/smollm2-135m", "local/smollm2-135m-q4_1"):
        lm = dspy.LM(model, temperature=0.0, max_tokens=16, cache=False)
        with dspy.context(lm=lm):
            answers = {dspy.Predict(Triage)(ticket=t).category for t in tickets}
        assert answers <= {"billing", "shipping", "technical"}
