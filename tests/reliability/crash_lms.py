"""The crash matrix's LM (worker hook `TUNESMITH_TEST_LM=crash_lms:crash_lm`): every answer a
function of the request alone (proposals too, unlike a turn counter), so a resumed run can
match an uninterrupted one; on the disk cache, with latency, logging each uncached call to
$TUNESMITH_TEST_CALL_LOG after it was recorded (as tests/runs/scripted_lms does). The settings
the matrix and the contract tests run each optimizer with are its registry entry's
`smoke_params`."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from scripted_lms import INSTRUCTIONS, REFLECTED, LoggingScriptedLM, _truth

from engine.lm.scripted import input_fields


def _answerer(spec: Any):
    from engine.optimizers.gepa._reflection import SYSTEM as REFLECTION_SYSTEM
    from engine.optimizers.proposing._proposer import SYSTEM

    truth = _truth(spec)
    step = spec.pipeline[-1]
    label = step.outputs[0]
    first = label.choices[0] if label.choices else "unknown"
    input_name = spec.input_fields[0]

    def answer(messages: list[dict[str, Any]]) -> Any:
        system, user = messages[0]["content"], messages[-1]["content"]
        if system == REFLECTION_SYSTEM:
            return REFLECTED if "Feedback:" in user else "Route it."
        if system == SYSTEM:
            if user.startswith("Here are") or "Combine these notes" in user:
                return "Customer support tickets, each labelled with the team to handle it."
            digest = hashlib.sha256(user.encode()).digest()
            return INSTRUCTIONS[digest[0] % len(INSTRUCTIONS)]
        helped = "carefully" in system or any(m.get("role") == "assistant" for m in messages)
        text = input_fields(user).get(input_name, "").strip()
        return {label.name: truth.get(text, first) if helped else first}

    return answer


def crash_lm(spec: Any) -> LoggingScriptedLM:
    latency = float(os.environ.get("TUNESMITH_TEST_LATENCY", "0.02"))
    return LoggingScriptedLM(by_input=_answerer(spec), name="crash", latency=latency, cache=True)

