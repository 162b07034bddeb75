"""A lenient adapter for DSPy's prompt model: the bench's setup where DSPy's proposer completes.

DSPy's grounded proposer asks the prompt model for `[[ ## proposed_instruction ## ]]` (and a
few other one-text-field outputs: observations, summary, program and module descriptions).
SmolLM2-135M often replies without the field marker and without valid JSON, and DSPy 3.4.1's
MIPROv2 then dies with AdapterParseError. Here DSPy's adapter parses as usual, except on calls
of an LM whose `role` is "proposer": when such a reply does not parse and the signature has one
text output field, the whole reply becomes that field's value. The task model's calls are
parsed exactly as by the adapter (ChatAdapter: JSON fallback included). The rule is a mixin,
`LenientProposerParse`, put before the adapter of the configuration DSPy's run uses
(`bench.core.peer.configured(config, (LenientProposerParse,))`: ChatAdapter by default).
"""

from __future__ import annotations

import contextvars
from typing import Any

from dspy.utils.exceptions import AdapterParseError

_LENIENT = contextvars.ContextVar("mipro_bench_lenient", default=False)


def proposer_call() -> bool:
    """Whether the reply being parsed is from an LM whose `role` is "proposer"."""
    return _LENIENT.get()


class LenientProposerParse:
    """Mixin before a DSPy adapter class: a proposer-role LM's unparsable reply to a
    one-text-field signature is taken whole as that field (bench/core/peer.py puts it before
    the adapter of the configuration DSPy's task calls run in)."""

    def __call__(
        self,
        lm: Any,
        lm_kwargs: dict[str, Any],
        signature: Any,
        demos: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        token = _LENIENT.set(getattr(lm, "role", None) == "proposer")
        try:
            return super().__call__(lm, lm_kwargs, signature, demos, inputs)  # type: ignore[misc]
        finally:
            _LENIENT.reset(token)

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        try:
            return super().parse(signature, completion)  # type: ignore[misc]
        except AdapterParseError:
            outputs = list(signature.output_fields.items())
            if not _LENIENT.get() or len(outputs) != 1 or outputs[0][1].annotation is not str:
                raise
            return {outputs[0][0]: completion.strip()}

