"""An instruction proposer with GEPA's protocol, for `GEPA(instruction_proposer=...)`:
`proposer(candidate, reflective_dataset, components_to_update) -> {component: instruction}`.

`MultiModalInstructionProposer` asks an LM (its own `reflection_lm`, else the configured one,
as a Predict resolves it) for a rewrite of each component's instruction from that component's
examples (inputs, outputs, score, feedback). Inputs that are images or files are described by
their text form, so the proposer works with text-only models too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.core import settings
from engine.modules.predict import resolve_lm

_ASK = (
    "Rewrite the instruction of one step of a language-model program. The current instruction "
    "is below, then examples of the step at work with the feedback each result got. Write an "
    "instruction that fixes what the feedback points out and keeps what works. Reply with the "
    "new instruction only."
)


def _values(title: str, values: Any) -> list[str]:
    if not isinstance(values, Mapping):
        return [f"{title}: {values}"] if values is not None else []
    return [f"{title}:"] + [f"- {name}: {value}" for name, value in values.items()]


def reflection_text(instruction: str, examples: Sequence[Mapping[str, Any]]) -> str:
    """The user message for one component: its instruction and its examples."""
    parts = [_ASK, f"Current instruction:\n{instruction}"]
    for number, example in enumerate(examples, 1):
        lines = [f"### Example {number}"]
        lines += _values("Inputs", example.get("inputs", example.get("Inputs")))
        lines += _values("Outputs", example.get("outputs", example.get("Generated Outputs")))
        if "score" in example:
            lines.append(f"Score: {example['score']}")
        lines += _values("Feedback", example.get("feedback", example.get("Feedback")))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


class MultiModalInstructionProposer:
    """Proposes one new instruction per component to update (see the module docstring)."""

    def __init__(self, reflection_lm: Any = None) -> None:
        self.reflection_lm = reflection_lm

    def __call__(
        self,
        candidate: dict[str, str],
        reflective_dataset: dict[str, list[Mapping[str, Any]]],
        components_to_update: list[str],
    ) -> dict[str, str]:
        lm = resolve_lm(self.reflection_lm)
        proposed: dict[str, str] = {}
        for name in components_to_update:
            if name not in candidate or name not in reflective_dataset:
                continue
            message = reflection_text(candidate[name], reflective_dataset[name])
            with settings.context(lm_role="proposer"):
                replies = lm(messages=[{"role": "user", "content": message}])
            text = (replies[0] if replies else "") or ""
            text = text.get("text", "") if isinstance(text, dict) else str(text)
            if text.strip():
                proposed[name] = text.strip()
        return proposed


__all__ = ["MultiModalInstructionProposer", "reflection_text"]
