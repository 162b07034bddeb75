"""MultiChainComparison: read M reasoning attempts and write one corrected answer (dspy's shape).

`MultiChainComparison(signature, M=3, temperature=0.7)` adds inputs `reasoning_attempt_1..M`
(after the signature's own inputs) and a first output `rationale`; called with
`completions=[...]` (each with `reasoning` or `rationale` and the signature's last output, e.g.
the completions of a ChainOfThought run with `n=M`) plus the signature's inputs.
"""

from __future__ import annotations

from typing import Any

from engine.core import InputField, OutputField, Prediction, Signature, ensure_signature
from engine.modules.module import Module
from engine.modules.predict import Predict


class MultiChainComparison(Module):
    """Compares M attempts (`completions`) and produces the final answer with a `rationale`."""

    def __init__(
        self,
        signature: str | type[Signature],
        M: int = 3,  # noqa: N803 (dspy's name)
        temperature: float = 0.7,
        **config: Any,
    ) -> None:
        self.M = M
        extended = ensure_signature(signature)
        *_, self.last_key = extended.output_fields
        for index in range(1, M + 1):
            extended = extended.append(
                f"reasoning_attempt_{index}",
                InputField(prefix=f"Student Attempt #{index}:", desc="${reasoning attempt}"),
            )
        extended = extended.prepend(
            "rationale",
            OutputField(
                prefix="Accurate Reasoning: Thank you everyone. Let's now holistically",
                desc="${corrected reasoning}",
            ),
        )
        self.predict = Predict(extended, temperature=temperature, **config)

    def forward(self, completions: Any, **kwargs: Any) -> Prediction:
        attempts = [self.attempt_text(c) for c in _as_list(completions)]
        if len(attempts) != self.M:
            raise ValueError(
                f"MultiChainComparison got {len(attempts)} attempts but was built with M={self.M}; "
                "pass M equal to the number of completions"
            )
        numbered = {f"reasoning_attempt_{i}": text for i, text in enumerate(attempts, 1)}
        return self.predict(**numbered, **kwargs)

    def attempt_text(self, completion: Any) -> str:
        """One attempt as the prompt shows it: its first line of reasoning and its answer."""
        get = completion.get if hasattr(completion, "get") else dict(completion).get
        reasoning = get("rationale") or get("reasoning") or ""
        rationale = _first_line(reasoning)
        answer = _first_line(get(self.last_key, ""))
        return f"«I'm trying to {rationale} I'm not sure but my prediction is {answer}»"


def _as_list(completions: Any) -> list[Any]:
    if isinstance(completions, Prediction):
        return list(completions.completions)
    return list(completions)


def _first_line(value: Any) -> str:
    return str(value).strip().split("\n")[0].strip()
