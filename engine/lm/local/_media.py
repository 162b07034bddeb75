"""The embedded models read text only: a request holding audio, image or file content parts
is refused before the model loads, with a message that says what would work."""

from __future__ import annotations

from typing import Any

from engine.core import LMUnsupportedFeatureError

# content part type -> what it carries, in plain words
_MEDIA = {"input_audio": "audio", "image_url": "image", "file": "file"}
_WHERE = {
    "audio": "a hosted model that takes audio input, e.g. LM('openai/gpt-4o-audio-preview')",
    "image": "a hosted vision model, e.g. LM('openai/gpt-4o-mini')",
    "file": "a hosted model that reads files, e.g. LM('openai/gpt-4o-mini')",
}


def refuse_media(model: str, messages: list[dict[str, Any]]) -> None:
    """Raise LMUnsupportedFeatureError if `messages` hold a non-text content part."""
    kinds: list[str] = []
    for message in messages:
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            kind = _MEDIA.get(part.get("type", "")) if isinstance(part, dict) else None
            if kind is not None and kind not in kinds:
                kinds.append(kind)
    if kinds:
        raise LMUnsupportedFeatureError(
            f"The embedded model {model!r} reads text only, and this request holds "
            f"{' and '.join(kinds)} input. Use {_WHERE[kinds[0]]}.",
            features=[f"{kind}_input" for kind in kinds],
        )
