"""DSPy's `Audio` field type: a sound clip given to the LM as an `input_audio` content part.

`Audio(raw_bytes)`, `Audio("data:audio/wav;base64,...")`, `Audio(data=base64_text,
audio_format="wav")`, `Audio.from_path(path)`, `Audio.from_url(url)`, `Audio.from_array(samples,
sampling_rate)`. Building one never reads a file or the network; `from_path` and `from_url` do.
In a prompt the clip is sent as its content part (`format()`), to a provider whose model takes
audio; the embedded `local/...` models read text only and refuse it with a clear error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import mimetypes
from pathlib import Path
from typing import Any

import pydantic

from engine.core._custom_types import Type
from engine.core._field_types import download

# leading bytes of common audio files -> their format name
_AUDIO_MAGIC = {b"RIFF": "wav", b"ID3": "mp3", b"\xff\xfb": "mp3", b"\xff\xf3": "mp3",
                b"OggS": "ogg", b"fLaC": "flac"}  # fmt: skip


def _sniff_format(raw: bytes, default: str = "wav") -> str:
    return next((name for magic, name in _AUDIO_MAGIC.items() if raw.startswith(magic)), default)


def audio_format_name(mime_or_format: str) -> str:
    """'audio/x-wav' -> 'wav', 'audio/mpeg' -> 'mp3', 'wav' -> 'wav'."""
    name = mime_or_format.split("/")[-1].removeprefix("x-").lower()
    return {"mpeg": "mp3", "wave": "wav", "vnd.wave": "wav"}.get(name, name)


def _from_data_uri(uri: str) -> dict[str, str]:
    header, _, data = uri.partition(",")
    if not data or ";base64" not in header:
        raise ValueError("Audio: a data URI must look like 'data:audio/wav;base64,<data>'")
    return {"data": data, "audio_format": audio_format_name(header[5:].split(";")[0])}


class Audio(Type):
    """A sound clip: base64 `data` and its `audio_format` ("wav", "mp3", ...)."""

    data: str
    audio_format: str

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    def __init__(self, source: Any = None, /, **data: Any) -> None:
        if source is not None:
            if "data" in data:
                raise TypeError("Audio received both a source and data=; give one audio source")
            data = {**self._normalise(source, data.pop("audio_format", None)), **data}
        super().__init__(**data)

    @staticmethod
    def _normalise(source: Any, audio_format: str | None) -> dict[str, Any]:
        if isinstance(source, Audio):
            return {"data": source.data, "audio_format": source.audio_format}
        if isinstance(source, dict):
            return dict(source)
        if isinstance(source, (bytes, bytearray)):
            raw = bytes(source)
            found = audio_format or _sniff_format(raw)
            return {"data": base64.b64encode(raw).decode("ascii"), "audio_format": found}
        if isinstance(source, str) and source.startswith("data:"):
            if audio_format is not None:
                raise TypeError("Audio: a data URI carries its own format; drop audio_format=")
            return _from_data_uri(source)
        if hasattr(source, "shape"):
            raise TypeError("Audio: for an array of samples use Audio.from_array(samples, rate)")
        raise TypeError(
            f"Audio takes bytes, a 'data:audio/...;base64,' URI, a dict or an Audio, not "
            f"{type(source).__name__}; read a file with Audio.from_path(path) or download one "
            f"with Audio.from_url(url)"
        )

    @pydantic.model_validator(mode="before")
    @classmethod
    def _accept_shapes(cls, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, Audio)) or (
            isinstance(value, str) and value.startswith("data:")
        ):
            return cls._normalise(value, None)
        return value

    @pydantic.field_validator("data")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("Audio data must be base64 text (or pass the raw bytes)") from exc
        return value

    @classmethod
    def from_path(cls, file_path: str | Path) -> Audio:
        """Read an audio file; its format from the file name (or its first bytes)."""
        path = Path(file_path)
        if not path.is_file():
            raise FileNotFoundError(f"Audio.from_path: no file at {path}")
        raw = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0]
        is_audio = bool(mime) and mime.startswith("audio/")
        found = audio_format_name(mime) if is_audio else _sniff_format(raw)
        return cls(raw, audio_format=found)

    from_file = from_path

    @classmethod
    def from_url(cls, url: str, verify: bool = True, timeout: float | None = 30.0) -> Audio:
        """Download the clip; its format from the reply's content type (or its first bytes)."""
        raw, mime = download(url, verify, timeout)
        found = audio_format_name(mime) if mime.startswith("audio/") else _sniff_format(raw)
        return cls(raw, audio_format=found)

    @classmethod
    def from_array(cls, array: Any, sampling_rate: int, format: str = "wav") -> Audio:  # noqa: A002
        """Samples (a numpy array, floats in [-1, 1] or int16; one row per channel-frame) as a
        16-bit WAV clip. Other formats need the `soundfile` package."""
        import numpy as np

        if format != "wav":
            try:
                import soundfile
            except ImportError as exc:
                raise ImportError(f"Audio.from_array(format={format!r}) needs soundfile") from exc
            buffer = io.BytesIO()
            soundfile.write(buffer, array, sampling_rate, format=format.upper())
            return cls(buffer.getvalue(), audio_format=format)
        samples = np.asarray(array)
        if samples.dtype.kind == "f":
            samples = np.clip(samples, -1.0, 1.0) * 32767
        samples = samples.astype("<i2")
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        return cls(_wav_bytes(samples.tobytes(), channels, int(sampling_rate)), audio_format="wav")

    def format(self) -> list[dict[str, Any]]:
        """The chat content part it is sent as (`input_audio`)."""
        return [
            {"type": "input_audio", "input_audio": {"data": self.data, "format": self.audio_format}}
        ]

    def placeholder(self) -> str:
        """Its text in the engine's own prompt layout, replaced by `format()`'s part when the
        request is sent (unique per clip)."""
        digest = hashlib.sha1(self.data.encode("ascii")).hexdigest()[:12]  # noqa: S324
        return f"<audio {self.audio_format} {digest}>"

    def __repr__(self) -> str:
        size = len(self.data)
        return f"Audio(data=<AUDIO_BASE_64_ENCODED({size})>, audio_format='{self.audio_format}')"

    __str__ = __repr__


def _wav_bytes(frames: bytes, channels: int, rate: int) -> bytes:
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def audio_parts(values: Any) -> dict[str, list[dict[str, Any]]]:
    """Each Audio among `values` (dicts, Examples, lists, tuples, nested): placeholder -> its
    parts."""
    found: dict[str, list[dict[str, Any]]] = {}
    stack = [values]
    while stack:
        value = stack.pop()
        if isinstance(value, Audio):
            found[value.placeholder()] = value.format()
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif callable(getattr(value, "items", None)):  # a dict, or an Example in demos
            stack.extend(v for _, v in value.items())
    return found
