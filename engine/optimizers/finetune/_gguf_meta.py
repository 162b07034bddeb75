"""A tuned model's GGUF file with its base model's metadata.

`llama_model_save_to_file` writes the weights but its own metadata: it drops the chat template
(llama-cpp-python then falls back to the llama-2 chat format, and the model answers nonsense
even after 0 training steps), writes the training window as the context length, and adds keys
the base never had (an end-of-turn token 0, among others). `with_base_metadata` rewrites the
saved file with the base file's metadata, byte for byte, and the saved file's tensors.

GGUF (v2/v3): "GGUF", version u32, tensor count u64, key count u64; the keys (string, value
type u32, value); the tensor infos (name, dims, type, offset into the data); padding to the
alignment (`general.alignment`, default 32); the tensor data.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path
from typing import BinaryIO

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
FIXED = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
         11: "<q", 12: "<d"}  # fmt: skip
STRING, ARRAY = 8, 9


class _Reader:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        data = self.handle.read(size)
        if len(data) != size:
            raise OSError("the GGUF file ends early")
        return struct.unpack(fmt, data)

    def string(self) -> str:
        (length,) = self.unpack("<Q")
        return self.handle.read(length).decode("utf-8", errors="replace")

    def value(self, kind: int) -> object:
        if kind in FIXED:
            return self.unpack(FIXED[kind])[0]
        if kind == STRING:
            return self.string()
        if kind == ARRAY:
            (inner,) = self.unpack("<I")
            (count,) = self.unpack("<Q")
            return [self.value(inner) for _ in range(count)]
        raise OSError(f"unknown GGUF value type {kind}")


def _layout(handle: BinaryIO) -> tuple[int, int, dict[str, object], int, int, dict[int, int]]:
    """(tensor count, key count, metadata, where the tensor infos start, where they end,
    {ggml type id: how many tensors})."""
    reader = _Reader(handle)
    if handle.read(4) != MAGIC:
        raise OSError("not a GGUF file")
    _version, tensors, keys = reader.unpack("<IQQ")
    metadata = {}
    for _ in range(keys):
        key = reader.string()
        (kind,) = reader.unpack("<I")
        metadata[key] = reader.value(kind)
    infos_start, types = handle.tell(), {}
    for _ in range(tensors):
        reader.string()
        (dims,) = reader.unpack("<I")
        reader.unpack(f"<{dims}Q")
        kind, _offset = reader.unpack("<IQ")
        types[kind] = types.get(kind, 0) + 1
    return tensors, keys, metadata, infos_start, handle.tell(), types


def read_metadata(path: Path) -> dict[str, object]:
    """The GGUF file's metadata keys and values."""
    with open(path, "rb") as handle:
        return _layout(handle)[2]


def tensor_types(path: Path) -> dict[int, int]:
    """{ggml type id: how many tensors} of the GGUF file (read from its tensor infos)."""
    with open(path, "rb") as handle:
        return _layout(handle)[5]


def with_base_metadata(tuned: Path, base: Path, target: Path) -> Path:
    """Write `target`: `base`'s metadata with `tuned`'s tensors (appears only when complete)."""
    with open(base, "rb") as handle:
        _, base_keys, base_meta, base_keys_end, _, _ = _layout(handle)
        handle.seek(24)
        keys_bytes = handle.read(base_keys_end - 24)
    with open(tuned, "rb") as handle:
        tensors, _, tuned_meta, infos_start, infos_end, _ = _layout(handle)
        handle.seek(infos_start)
        infos = handle.read(infos_end - infos_start)
    align_in = int(tuned_meta.get("general.alignment", DEFAULT_ALIGNMENT))  # type: ignore[arg-type]
    align_out = int(base_meta.get("general.alignment", DEFAULT_ALIGNMENT))  # type: ignore[arg-type]
    if align_in != align_out:
        raise OSError(f"the files align their data differently ({align_in} vs {align_out})")
    data_start = -(-infos_end // align_in) * align_in
    partial = target.with_name(target.name + f".{os.getpid()}.partial")
    try:
        with open(partial, "wb") as out, open(tuned, "rb") as source:
            out.write(MAGIC + struct.pack("<IQQ", 3, tensors, base_keys) + keys_bytes + infos)
            out.write(b"\0" * (-out.tell() % align_out))
            source.seek(data_start)
            shutil.copyfileobj(source, out, 1 << 20)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
