"""Adapters turn a signature + demos + inputs into messages, and LM text back into fields."""

from engine.adapters.base import Adapter
from engine.adapters.chat import ChatAdapter
from engine.adapters.json_adapter import JSONAdapter
from engine.adapters.two_step import TwoStepAdapter
from engine.adapters.xml_adapter import XMLAdapter

__all__ = [
    "Adapter", "ChatAdapter", "JSONAdapter", "TwoStepAdapter", "XMLAdapter", "default_adapter",
]  # fmt: skip

_DEFAULT: Adapter | None = None


def default_adapter() -> Adapter:
    """The adapter used when none is configured: ChatAdapter with a JSON fallback."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ChatAdapter()
    return _DEFAULT
