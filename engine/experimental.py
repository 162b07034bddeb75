"""DSPy's `dspy.experimental` path: the experimental field types `Citations` and `Document`."""

from engine.core import Citations, Document

__all__ = ["Citations", "Document"]
