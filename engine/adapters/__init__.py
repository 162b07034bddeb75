"""Adapters turn a signature + demos + inputs into messages, and LM text back into fields."""

from engine.adapters.base import Adapter
from engine.adapters.chat import ChatAdapter
from engine.adapters.json_adapter import JSONAdapter

__all__ = ["Adapter", "ChatAdapter", "JSONAdapter", "default_adapter"]

_DEFAULT: Adapter | None = None


def default_adapter() -> Adapter:
    """The adapter used when none is configured: ChatAdapter with a JSON fallback."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ChatAdapter()
    return _DEFAULT
