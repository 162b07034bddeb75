"""`LM(model, model_type, temperature, max_tokens, ...)` positionally, `LM.dump_state()` /
`load_state`, and a predictor's own LM in its saved state (both ways with real dspy)."""

from __future__ import annotations

import json

import pytest

import engine as dspy

real_dspy = pytest.importorskip("dspy")


def test_positional_shape_matches_dspy():
    ours = dspy.LM("openai/gpt-4o-mini", "chat", 0.5, 100, False, None, 2)
    theirs = real_dspy.LM("openai/gpt-4o-mini", "chat", 0.5, 100, False, None, 2)
    for name in ("model", "model_type", "cache", "num_retries"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.kwargs == {"temperature": 0.5, "max_tokens": 100}
    assert theirs.kwargs["temperature"] == 0.5 and theirs.kwargs["max_tokens"] == 100


def test_dspy_only_options_are_kept_but_never_sent():
    lm = dspy.LM("openai/gpt-4o-mini", use_developer_role=True, finetuning_model="x")
    assert "use_developer_role" not in lm.kwargs and lm.dspy_options["finetuning_model"] == "x"


def test_dump_state_has_dspy_keys_and_no_secrets():
    ours = dspy.LM("openai/gpt-4o-mini", temperature=0.1, api_key="sk-test", api_base="http://h")
    state = ours.dump_state()
    assert state == {"_dspy_lm_class": "dspy.clients.lm.LM", "model": "openai/gpt-4o-mini",
                     "model_type": "chat", "cache": True, "num_retries": 3, "temperature": 0.1,
                     "finetuning_model": None, "launch_kwargs": {},
                     "train_kwargs": {}}  # fmt: skip
    theirs = real_dspy.LM("openai/gpt-4o-mini", temperature=0.1).dump_state()
    assert {k: theirs[k] for k in state} == state  # every key ours writes, as DSPy writes it


def test_dump_state_names_a_subclass_and_ignores_a_forged_marker():
    class Mine(dspy.BaseLM):
        pass

    lm = Mine("custom-model", **{"_dspy_lm_class": "malicious.module.LM"})
    assert lm.dump_state()["_dspy_lm_class"] == f"{Mine.__module__}.{Mine.__qualname__}"
    assert "_dspy_lm_class" not in lm.kwargs
    legacy = {"model": "openai/gpt-4o-mini", "temperature": 1}  # saved before the marker
    assert dspy.LM.load_state(legacy).dump_state()["_dspy_lm_class"] == "dspy.clients.lm.LM"


def test_states_load_both_ways():
    ours = dspy.LM("openai/gpt-4o-mini", temperature=0.1, max_tokens=64)
    back = real_dspy.BaseLM.load_state(ours.dump_state())
    assert back.model == "openai/gpt-4o-mini" and back.kwargs["max_tokens"] == 64
    theirs = real_dspy.LM("openai/gpt-4o-mini", temperature=0.4).dump_state()
    loaded = dspy.LM.load_state(theirs)  # names dspy's LM class: read as ours
    assert type(loaded) is dspy.LM and loaded.kwargs["temperature"] == 0.4


def test_load_state_drops_endpoints_and_refuses_custom_classes():
    state = {"model": "openai/x", "api_base": "http://evil", "api_key": "k"}
    lm = dspy.LM.load_state(state)
    assert lm.api_base is None and lm.api_key is None
    custom = {"_dspy_lm_class": "engine.lm.scripted.ScriptedLM", "model": "scripted/x"}
    with pytest.raises(ValueError, match="allow_custom_lm_class"):
        dspy.LM.load_state(custom)


class Program(dspy.Module):
    def __init__(self):
        super().__init__()
        self.answer = dspy.Predict("question -> answer")

    def forward(self, question):
        return self.answer(question=question)


class DSPyProgram(real_dspy.Module):
    def __init__(self):
        super().__init__()
        self.answer = real_dspy.Predict("question -> answer")

    def forward(self, question):
        return self.answer(question=question)


def test_a_predictors_own_lm_is_saved_and_loaded(tmp_path):
    program = Program()
    program.answer.lm = dspy.LM("openai/gpt-4o-mini", temperature=0.7, api_key="sk-secret")
    path = tmp_path / "program.json"
    program.save(path)
    saved = json.loads(path.read_text())
    assert saved["answer"]["lm"]["model"] == "openai/gpt-4o-mini"
    assert "sk-secret" not in path.read_text()
    fresh = Program()
    fresh.load(path)
    assert fresh.answer.lm.model == "openai/gpt-4o-mini"
    assert fresh.answer.lm.kwargs["temperature"] == 0.7
    theirs = DSPyProgram()
    theirs.load(str(path))  # real dspy reads it
    assert theirs.answer.lm.model == "openai/gpt-4o-mini"


def test_dspy_saved_lm_loads_into_engine(tmp_path):
    theirs = DSPyProgram()
    theirs.answer.lm = real_dspy.LM("openai/gpt-4o-mini", temperature=0.2)
    path = tmp_path / "dspy.json"
    theirs.save(str(path))
    ours = Program()
    ours.load(path)
    assert ours.answer.lm.model == "openai/gpt-4o-mini"
    assert ours.answer.lm.kwargs["temperature"] == 0.2


class SavedCustomLM(dspy.BaseLM):
    """A custom LM importable by its path (as DSPy requires of saved custom classes)."""

    def forward(self, prompt=None, messages=None, **kwargs):
        return {"choices": [{"message": {"content": "[[ ## answer ## ]]\nok"}}]}


def test_custom_lm_class_needs_allow_unsafe_lm_state(tmp_path, caplog):
    program = Program()
    program.answer.lm = SavedCustomLM("custom/saved", temperature=0.5)
    path = tmp_path / "p.json"
    program.save(path)
    assert json.loads(path.read_text())["answer"]["lm"]["_dspy_lm_class"].endswith(
        "SavedCustomLM"
    )
    kept = Program()
    kept.load(path)  # stated difference: DSPy raises; the engine warns and keeps its LM
    assert kept.answer.lm is None and "allow_unsafe_lm_state" in caplog.text
    fresh = Program().load(path, allow_unsafe_lm_state=True)
    assert type(fresh.answer.lm).__name__ == "SavedCustomLM"
    assert fresh(question="q").answer == "ok"
