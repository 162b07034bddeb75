"""The tuned file gets its base's metadata and keeps its own tensors (synthetic GGUF files)."""

from __future__ import annotations

import struct

import pytest

from engine.optimizers.finetune._gguf_meta import read_metadata, with_base_metadata


def text(value: str) -> bytes:
    return struct.pack("<Q", len(value)) + value.encode()


def gguf(path, keys: dict, tensor: bytes) -> None:
    """One F32 tensor 'w' of len(tensor) / 4 values; string and u32 keys."""
    body = b""
    for key, value in keys.items():
        body += text(key)
        body += struct.pack("<I", 8) + text(value) if isinstance(value, str) else struct.pack(
            "<II", 4, value)  # fmt: skip
    infos = text("w") + struct.pack("<IQIQ", 1, len(tensor) // 4, 0, 0)
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, len(keys)) + body + infos
    path.write_bytes(head + b"\0" * (-len(head) % 32) + tensor)


def test_the_base_metadata_and_the_tuned_tensors(tmp_path):
    base, tuned, out = tmp_path / "base.gguf", tmp_path / "tuned.gguf", tmp_path / "out.gguf"
    gguf(base, {"tokenizer.chat_template": "{{ messages }}", "llama.context_length": 8192},
         b"\1\0\0\0" * 4)  # fmt: skip
    gguf(tuned, {"llama.context_length": 256, "tokenizer.ggml.eot_token_id": 0}, b"\2\0\0\0" * 4)
    with_base_metadata(tuned, base, out)
    assert read_metadata(out) == {"tokenizer.chat_template": "{{ messages }}",
                                  "llama.context_length": 8192}  # fmt: skip
    assert out.read_bytes().endswith(b"\2\0\0\0" * 4)
    assert (len(out.read_bytes()) - 16) % 32 == 0  # the data starts aligned
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"nope")
    with pytest.raises(OSError, match="not a GGUF file"):
        read_metadata(bad)
