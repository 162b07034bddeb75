"""ChainOfThought: Predict with a `reasoning` output produced before the other outputs."""

from __future__ import annotations

from typing import Any

from engine.core import OutputField, Prediction, Signature, ensure_signature
from engine.modules.module import Module
from engine.modules.predict import Predict

REASONING_PREFIX = "Reasoning:"


class ChainOfThought(Module):
    """`ChainOfThought("question -> answer")`: the LM writes its reasoning, then the answer."""

    def __init__(
        self, signature: str | type[Signature], rationale_field_type: type = str, **config: Any
    ) -> None:
        base = ensure_signature(signature)
        extended = base.prepend(
            "reasoning", OutputField(prefix=REASONING_PREFIX), type_=rationale_field_type
        )
        self.predict = Predict(extended, **config)

    def forward(self, **kwargs: Any) -> Prediction:
        return self.predict(**kwargs)
