"""Settings DSPy has: every key of dspy 3.4.1's settings, dict-style access, save / load,
`disable_history` and `max_history_size`."""

from __future__ import annotations

import pytest

import engine as dspy
from engine.lm import ScriptedLM

real_dspy = pytest.importorskip("dspy")


def dspy_keys() -> set[str]:
    from dspy.dsp.utils.settings import DEFAULT_CONFIG

    return set(DEFAULT_CONFIG)


def test_every_dspy_setting_is_accepted_and_readable():
    missing = [key for key in dspy_keys() if key not in dspy.settings]
    assert missing == []
    for key in dspy_keys():
        dspy.settings.get(key)  # readable
    with dspy.context(disable_history=True, track_usage=True, async_max_workers=2):
        assert dspy.settings.disable_history and dspy.settings.track_usage
    assert dspy.settings.track_usage is False  # DSPy's default


def test_defaults_match_dspy_where_the_engine_does_not_state_a_difference():
    from dspy.dsp.utils.settings import DEFAULT_CONFIG

    differ = {"num_threads", "max_errors", "trace", "callbacks"}  # docs/COMPATIBILITY.md
    for key, value in DEFAULT_CONFIG.items():
        if key not in differ:
            assert dspy.settings.get(key) == value, key


def test_dict_style_access_and_attribute_assignment():
    lm = ScriptedLM(answers=["x"])
    dspy.settings.lm = lm  # DSPy: the same as configure(lm=lm)
    assert dspy.settings["lm"] is lm and dspy.settings.config["lm"] is lm
    assert dspy.settings.get("no_such_key", 7) == 7 and "lm" in dspy.settings
    with pytest.raises(TypeError, match="unknown setting"):
        dspy.configure(no_such_key=1)


def test_save_and_load_round_trip(tmp_path):
    dspy.configure(lm=dspy.LM("openai/gpt-4o-mini", temperature=0.2), num_threads=3)
    path = tmp_path / "settings.pkl"
    dspy.settings.save(path, exclude_keys=["callbacks"])
    with pytest.raises(ValueError, match="allow_pickle"):
        dspy.load_settings(path)
    loaded = dspy.load_settings(path, allow_pickle=True)
    assert "callbacks" not in loaded and loaded["num_threads"] == 3
    assert loaded["lm"].model == "openai/gpt-4o-mini" and loaded["lm"].kwargs["temperature"] == 0.2
    dspy.configure(**loaded)


def test_save_names_what_cannot_be_pickled(tmp_path):
    dspy.configure(budget=lambda: None)
    with pytest.raises(RuntimeError, match="exclude_keys"):
        dspy.settings.save(tmp_path / "s.pkl")


def test_dspy_refuses_loading_settings_without_allow_pickle_too(tmp_path):
    path = tmp_path / "s.pkl"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="allow_pickle"):
        real_dspy.load_settings(str(path))


def test_disable_history_and_max_history_size():
    lm = ScriptedLM(answers=[{"answer": "a"}], cycle=True)
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=lm, disable_history=True):
        predict(question="q")
    assert lm.history == [] and getattr(predict, "history", []) == []
    with dspy.context(lm=lm):
        predict(question="q")
    assert len(lm.history) == 1 and len(predict.history) == 1  # module history, as DSPy
    with dspy.context(lm=lm, max_history_size=0):
        predict(question="q2")
    assert len(lm.history) == 1 and len(predict.history) == 1  # nothing more recorded


def test_module_history_and_inspect_history():
    lm = ScriptedLM(answers=[{"answer": "a"}], cycle=True)
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=lm):
        for i in range(25):
            predict(question=f"q{i}")
    assert len(predict.history) == 20  # the engine keeps a module's last 20 calls
    assert "q24" in predict.inspect_history(1)
    assert "history" not in predict.deepcopy().__dict__  # copies start empty, as DSPy
