"""A lenient parse of DSPy GEPA's reflection replies: the bench's setup "alt".

DSPy 3.4.1's GEPA asks its reflection LM for a new instruction through `InstructionProposer`,
a `dspy.Predict(ProposeInstruction)` run under a `JSONAdapter`: the reply must be a JSON object
with a `new_instruction` key. A reply that is not (SmolLM2-135M mostly writes plain text) raises
AdapterParseError; GEPA's engine catches it, logs "reflection failed" and the iteration proposes
nothing. This adapter sends the same prompt (it is a JSONAdapter) and parses the same way, except
that a reply that does not parse, to a signature with one text output, is taken whole (stripped)
as that output. It is given only to the instruction proposer
(`InstructionProposer(adapter=LenientReflectionAdapter())`), so task calls are untouched. The
MIPROv2 bench's LenientProposerParse (bench/mipro/adapter.py) does the same for its prompt model.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspy.utils.exceptions import AdapterParseError


class LenientReflectionAdapter(dspy.JSONAdapter):
    """JSONAdapter; an unparsable reply to a one-text-field signature is taken whole."""

    def __init__(self) -> None:
        super().__init__()
        self.lenient_parses = 0  # replies taken whole (read by the runner for its notes)

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        try:
            return super().parse(signature, completion)
        except AdapterParseError:
            outputs = list(signature.output_fields.items())
            text = completion.strip()
            if len(outputs) != 1 or outputs[0][1].annotation is not str or not text:
                raise
            self.lenient_parses += 1
            return {outputs[0][0]: text}
