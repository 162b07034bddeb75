"""DSPy's `dspy.adapters.types.audio` path: `Audio` (engine.core._audio) and DSPy's helper name for
reading a format from a MIME subtype ('x-wav' -> 'wav')."""

from engine.core import Audio, audio_format_name

_normalize_audio_format = audio_format_name  # DSPy's name of the helper

__all__ = ["Audio"]
