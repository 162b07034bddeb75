"""Test-only LM factories for SIMBA through the worker (`TUNESMITH_TEST_LM=simba_worker_lms:...`).

`rollout_oracle_lm(spec)` answers a single-step classification spec; whether it is right
depends on a hash of (input, rollout id, help), so SIMBA's variants disagree on some tickets:
right 2 times in 3 with no help, 3 in 4 with demos in the prompt, 4 in 5 when the
instructions say "carefully". SIMBA's rule calls get a rule naming the ticket it was written
for (`rule_for`; it says "carefully").
`slow_rollout_oracle_lm` is the same with latency, the disk cache on, and every uncached call
logged to $TUNESMITH_TEST_CALL_LOG (kill -9 tests).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from scripted_lms import LoggingScriptedLM, _truth

from engine.lm.scripted import ScriptedLM, input_fields, render_fields
from engine.optimizers.simba._strategies import SYSTEM as RULE_SYSTEM

RULE = "If the ticket is like '{}', then read it carefully before routing it."


def rule_for(prompt: str) -> str:
    """A rule naming the input it was written for (a real model's rules differ per input)."""
    line = next((ln for ln in prompt.splitlines() if ln.startswith("The input:")), "")
    words = line.removeprefix("The input:").split(":", 1)[-1].split()[:4]
    return RULE.format(" ".join(words))


class _RolloutOracle:
    """The answering part, mixed into a ScriptedLM subclass (needs `spec_info`)."""

    spec_info: dict[str, Any]
    rollout_id: Any

    def _answer(self, messages: list[dict[str, Any]]) -> str:
        self._cursor.take()  # type: ignore[attr-defined]
        if messages[0]["content"] == RULE_SYSTEM:
            return rule_for(messages[-1]["content"])
        info = self.spec_info
        text = input_fields(messages[-1]["content"]).get(info["input"], "").strip()
        if "carefully" in messages[0]["content"]:
            help_level, odds = "rule", 5
        elif any(m.get("role") == "assistant" for m in messages):
            help_level, odds = "demos", 4
        else:
            help_level, odds = "none", 3
        rollout = self.rollout_id if isinstance(self.rollout_id, int) else 0
        digest = hashlib.sha256(f"{text}|{rollout}|{help_level}".encode()).hexdigest()
        true = info["truth"].get(text, info["choices"][0])
        wrong = next(c for c in info["choices"] if c != true)
        return render_fields({info["label"]: true if int(digest[:8], 16) % odds else wrong})


def _spec_info(spec: Any) -> dict[str, Any]:
    label = spec.pipeline[-1].outputs[0]
    return {
        "truth": _truth(spec),
        "input": spec.input_fields[0],
        "label": label.name,
        "choices": list(label.choices or ["unknown", "other"]),
    }


class RolloutOracleLM(_RolloutOracle, ScriptedLM):
    pass


class SlowRolloutOracleLM(_RolloutOracle, LoggingScriptedLM):
    pass


def rollout_oracle_lm(spec: Any) -> ScriptedLM:
    lm = RolloutOracleLM(by_input=lambda messages: "", name="rollout-oracle")
    lm.spec_info = _spec_info(spec)
    return lm


def slow_rollout_oracle_lm(spec: Any) -> ScriptedLM:
    latency = float(os.environ.get("TUNESMITH_TEST_LATENCY", "0.05"))
    lm = SlowRolloutOracleLM(
        by_input=lambda messages: "", name="slow-rollout-oracle", latency=latency, cache=True
    )
    lm.spec_info = _spec_info(spec)
    return lm
