"""DSPy's `dspy.signatures` path (and `dspy.signatures.signature`, the same module): the
signature API, from the engine's core."""

import sys

from engine.core import (
    InputField,
    OutputField,
    Signature,
    SignatureMeta,
    ensure_signature,
    infer_prefix,
    make_signature,
)

signature = sys.modules[__name__]
sys.modules.setdefault(f"{__name__}.signature", signature)

__all__ = [
    "InputField", "OutputField", "Signature", "SignatureMeta", "ensure_signature", "infer_prefix",
    "make_signature", "signature",
]  # fmt: skip
