"""Whole-program saving: `save(path, save_program=True)` writes a directory (program.pkl and
metadata.json, as DSPy), `dspy.load(path, allow_pickle=True)` brings the program back; `.pkl`
state files need `allow_pickle=True`."""

from __future__ import annotations

import json

import engine.primitives.base_module as base_module
import pytest

import engine as dspy
import engine.utils.saving as utils_saving
from engine.lm import ScriptedLM


class QA(dspy.Module):
    def __init__(self):
        super().__init__()
        self.steps = [dspy.ChainOfThought("question -> answer: int")]

    def forward(self, question):
        return self.steps[0](question=question)


def tuned() -> QA:
    program = QA()
    program.steps[0].predict.demos = [
        dspy.Example(question="1+1", reasoning="add", answer=2).with_inputs("question")
    ]
    program.steps[0].predict.signature = program.steps[0].predict.signature.with_instructions(
        "Add the numbers."
    )
    return program


def test_whole_program_round_trip(tmp_path):
    program = tuned()
    folder = tmp_path / "saved"
    program.save(folder, save_program=True)
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "program.pkl"]
    meta = json.loads((folder / "metadata.json").read_text())
    assert set(meta["dependency_versions"]) == {"python", "dspy", "cloudpickle"}
    loaded = dspy.load(folder, allow_pickle=True)
    predict = loaded.steps[0].predict
    assert type(loaded) is QA and predict.signature.instructions == "Add the numbers."
    assert predict.demos[0].answer == 2
    with dspy.context(lm=ScriptedLM(answers=[{"reasoning": "r", "answer": "4"}])):
        assert loaded(question="2+2").answer == 4


def test_load_needs_allow_pickle_like_dspy(tmp_path):
    import dspy as real_dspy

    program = tuned()
    program.save(tmp_path / "saved", save_program=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        dspy.load(tmp_path / "saved")
    with pytest.raises(ValueError, match="allow_pickle"):
        real_dspy.load(str(tmp_path / "saved"))
    with pytest.raises(FileNotFoundError):
        dspy.load(tmp_path / "missing", allow_pickle=True)


def test_save_program_wants_a_directory(tmp_path):
    with pytest.raises(ValueError, match="directory without a suffix"):
        tuned().save(tmp_path / "program.json", save_program=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        tuned().save(tmp_path / "file", save_program=True)


def test_unpicklable_attributes_are_named_in_the_error(tmp_path):
    program = tuned()
    program.hook = lambda x: x
    with pytest.raises(RuntimeError, match="save_program=False"):
        program.save(tmp_path / "saved", save_program=True)


def test_pkl_state_needs_allow_pickle(tmp_path):
    path = tmp_path / "state.pkl"
    tuned().save(path)
    with pytest.raises(ValueError, match="allow_pickle"):
        QA().load(path)
    fresh = QA().load(path, allow_pickle=True)
    assert fresh.steps[0].predict.demos[0].answer == 2


def test_the_program_keeps_its_lm(tmp_path):
    program = tuned()
    program.steps[0].predict.lm = dspy.LM("openai/gpt-4o-mini", temperature=0.3)
    program.save(tmp_path / "saved", save_program=True)
    loaded = dspy.load(tmp_path / "saved", allow_pickle=True)
    assert loaded.steps[0].predict.lm.kwargs == {"temperature": 0.3}


def test_a_run_time_signature_loads_back_as_the_same_class_in_this_process(tmp_path):
    program = dspy.Predict("question -> answer")
    program.save(tmp_path / "whole", save_program=True)
    loaded = dspy.load(tmp_path / "whole", allow_pickle=True)
    assert loaded.signature is program.signature  # as cloudpickle gives DSPy
    program.signature = program.signature.with_instructions("Other.")
    program.save(tmp_path / "other", save_program=True)
    assert dspy.load(tmp_path / "other", allow_pickle=True).signature.instructions == "Other."


def test_a_state_naming_other_predictors_is_refused_whole(tmp_path):
    class Two(dspy.Module):
        def __init__(self):
            self.a = dspy.Predict("question -> answer")
            self.b = dspy.Predict("question -> answer")

    source = Two()
    source.a.demos = [dspy.Example(question="q", answer="a")]
    path = tmp_path / "state.json"
    source.save(path)
    state = json.loads(path.read_text())
    path.write_text(json.dumps({k: v for k, v in state.items() if k != "b"}))
    target = Two()
    with pytest.raises(KeyError, match="missing predictors \\['b'\\]") as info:
        target.load(path)
    assert isinstance(info.value, ValueError) and "'" != str(info.value)[0]
    assert target.a.demos == []  # nothing was loaded


def test_each_version_mismatch_warns_once_on_load(tmp_path, caplog, monkeypatch):
    saved = {"python": "3.9", "dspy": "2.4.0", "cloudpickle": "2.0"}
    monkeypatch.setattr(base_module, "get_dependency_versions", lambda: saved)
    dspy.Predict("question -> answer").save(tmp_path / "p", save_program=True)
    here = {"python": "3.9", "dspy": "2.5.0", "cloudpickle": "2.1"}
    monkeypatch.setattr(utils_saving, "get_dependency_versions", lambda: here)
    with caplog.at_level("WARNING", logger="engine.modules.saving"):
        loaded = dspy.load(tmp_path / "p", allow_pickle=True)
    mismatches = [r.getMessage() for r in caplog.records if "mismatch" in r.getMessage()]
    assert len(mismatches) == 2 and "dspy version" in mismatches[0]
    assert isinstance(loaded, dspy.Predict)
