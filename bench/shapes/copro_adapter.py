"""The lenient proposer parse extended to DSPy's COPRO, whose proposer signatures have two
text outputs (`proposed_instruction`, `proposed_prefix_for_output_field`).

bench/mipro/adapter.py's LenientProposerParse only takes an unparsable proposer reply whole when the
signature has one text output. Here, when a proposer-role LM's reply does not parse and every
output is text: the fields whose `[[ ## name ## ]]` markers are found keep their text, the
first output (the instruction) gets the whole reply (markers removed) when its marker is
missing, and any other missing output is empty (DSPy's ChatAdapter does not show output-field
prefixes, so an empty prefix changes no prompt). Task-model replies parse as the adapter of
DSPy's configuration parses them (a mixin, like LenientProposerParse).
"""

from __future__ import annotations

import re
from typing import Any

from dspy.utils.exceptions import AdapterParseError

from bench.mipro.adapter import LenientProposerParse, proposer_call

MARKER = re.compile(r"\[\[ ## (\w+) ## \]\]")


class LenientCoproParse(LenientProposerParse):
    """LenientProposerParse; also lenient for proposer signatures with several text outputs."""

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        try:
            return super().parse(signature, completion)
        except AdapterParseError:
            outputs = signature.output_fields
            if not proposer_call() or any(f.annotation is not str for f in outputs.values()):
                raise
            return lenient_fields(list(outputs), completion)


def lenient_fields(names: list[str], completion: str) -> dict[str, str]:
    """Each of `names` from its marked section; the first from the whole reply if unmarked."""
    parts = MARKER.split(completion)  # [before, name, text, name, text, ...]
    found: dict[str, str] = {}
    for name, text in zip(parts[1::2], parts[2::2]):
        if name in names and name not in found:
            found[name] = text.strip()
    whole = MARKER.sub("", completion).strip()
    return {name: found.get(name, whole if i == 0 else "") for i, name in enumerate(names)}
