"""The crash matrix's LM (worker hook `TUNESMITH_TEST_LM=crash_lms:crash_lm`): every answer a
function of the request alone (proposals too, unlike a turn counter), so a resumed run can
match an uninterrupted one; on the disk cache, with latency, logging each uncached call to
$TUNESMITH_TEST_CALL_LOG after it was recorded (as tests/runs/scripted_lms does)."""

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


# The smallest settings that still search, shared by the crash matrix and the optimizer
# contract tests; no racing: a raced evaluation stops on thread timing, so two runs may differ.
SMALL_SETTINGS: dict[str, dict[str, Any]] = {
    "LabeledFewShot": {"k": 2},
    "BootstrapFewShot": {"max_bootstrapped_demos": 2, "max_labeled_demos": 2},
    "BootstrapFewShotWithRandomSearch": {
        "num_candidate_programs": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 2,
        "race": False,
    },
    "MIPROv2": {
        "auto": None, "num_candidates": 3, "num_trials": 4, "minibatch_size": 6,
        "minibatch_full_eval_steps": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2,
        "race": False,
    },
    "COPRO": {"breadth": 3, "depth": 2, "race": False},
    "GEPA": {"max_metric_calls": 60, "reflection_minibatch_size": 3},
    "SIMBA": {"bsize": 4, "num_candidates": 2, "max_steps": 2, "max_demos": 2},
    "KNNFewShot": {"k": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2},
    "BootstrapFinetune": {"max_steps": 2},
    "BetterTogether": {"strategy": "p -> w", "candidates": 2, "max_steps": 2},
}  # fmt: skip
