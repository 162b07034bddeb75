"""What the weight optimizer refuses before any LM call, each with a sentence saying why: a GGUF
file the embedded trainer cannot tune (an adapter, weights it cannot turn back into floats, an
untested architecture, not a GGUF file), not enough free disk, a hosted model without a
fine-tuning API, too few training rows, rows over the training window (named)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from test_finetune import RecordingTrainer, echo, exact, qa

import engine as dspy
from engine.lm import ScriptedLM
from engine.optimizers.finetune import BootstrapFinetune, LlamaTrainer

pytestmark = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("llama_cpp"), reason="needs llama-cpp-python"
)


def gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, metadata: dict[str, str], tensor_types: list[int]) -> Path:
    """A GGUF header (no tensor data: the checks read only the header)."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensor_types), len(metadata))
    for key, value in metadata.items():
        out += gguf_string(key) + struct.pack("<I", 8) + gguf_string(value)
    for number, kind in enumerate(tensor_types):
        out += gguf_string(f"blk.{number}.weight") + struct.pack("<IQIQ", 1, 64, kind, 0)
    path.write_bytes(out)
    return path


def problems_for(path: Path) -> list[str]:
    student = dspy.Predict("question -> answer")
    student.lm = dspy.LM(f"local/{path}")
    return BootstrapFinetune(metric=exact).check_settings(qa(4), student=student)


def test_a_lora_adapter_is_not_a_model_to_tune(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "a.gguf", {"general.type": "adapter",
                                            "general.architecture": "llama"}, [0])  # fmt: skip
    [problem] = problems_for(path)
    assert "is a LoRA adapter, not a model: fine-tune its base model" in problem


def test_weights_the_trainer_cannot_turn_back_into_floats_are_named(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "iq.gguf", {"general.architecture": "llama"}, [0, 16, 16, 8])
    [problem] = problems_for(path)
    assert "quantized format the trainer cannot turn back into floats (type 16)" in problem
    assert "it reads F32, F16, Q4_0" in problem


def test_an_untested_architecture_and_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", {"general.architecture": "mamba"}, [0])
    [problem] = problems_for(path)
    assert "its architecture is 'mamba'" in problem and "llama models only" in problem
    (tmp_path / "x.gguf").write_text("not a model")
    [problem] = problems_for(tmp_path / "x.gguf")
    assert "is not a readable GGUF file (not a GGUF file)" in problem


def test_the_shipped_model_passes_the_checks() -> None:
    assert LlamaTrainer().problems("local/smollm2-135m", {}) == []


class HugeJobTrainer(RecordingTrainer):
    def disk_bytes(self, model: str) -> int:
        return 10**18  # a million terabytes


def test_not_enough_disk_is_refused_before_any_call() -> None:
    lm = ScriptedLM(by_input=echo)
    optimizer = BootstrapFinetune(metric=exact, trainer=HugeJobTrainer())
    with dspy.context(lm=lm), pytest.raises(ValueError) as error:
        optimizer.compile(dspy.Predict("question -> answer"), trainset=qa(4))
    assert "Fine-tuning needs about 1000000000.0 GB of free disk at " in str(error.value)
    assert "GB is free. Free some disk space" in str(error.value)
    assert lm.calls_made == 0
