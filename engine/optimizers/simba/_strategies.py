"""SIMBA's two strategies for an example the variants disagree on.

- **append a demo**: the best variant's trajectory on the example becomes a demo of each
  predictor it went through (the last step of each; input fields cut to `maxlen` characters),
  at most `max_demos` per predictor, the oldest dropped when full.
- **append a rule**: the prompt model (role "proposer") reads the better and the worse
  trajectory (inputs, outputs, scores, the metric's feedback) and writes one short rule, which
  is appended to one predictor's instructions. Replies are plain text cleaned like instruction
  proposals (`ProposalCleaner`); a junk rule is dropped and counted, never applied.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from engine.core import BudgetExhausted, Example, TunesmithError, settings
from engine.evaluate.texts import shorten
from engine.modules.predict import resolve_lm
from engine.optimizers.proposing import (
    ProposalCleaner,
    describe_step,
    instruction_reply_kwargs,
    normalize,
)

TRUNCATED = " … (truncated)"
RULE_CHARS = 300  # longest rule kept (cut at a sentence end)
RULE_TOKENS = 120
MIN_RULE_WORDS = 4
# a reply quoting the request's own words comments on it rather than giving a rule
ECHOES = ("write one rule", "if what the input shows", "the better run", "the worse run")
FIELD_CHARS = 300  # longest field value shown to the prompt model
SYSTEM = (
    "You are an expert prompt engineer. You compare a better and a worse run of a "
    "language-model program on the same input and write one rule that would make a step of "
    "the program act like the better run. Reply with the rule only."
)


@dataclass
class Added:
    """One change a strategy made to a new program."""

    predictor: str
    strategy: str  # "demo" | "rule"
    from_example: str
    text: str | None = None
    demo: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}


def _cut(value: Any, maxlen: int) -> Any:
    text = str(value)
    return text[:maxlen] + TRUNCATED if maxlen and len(text) > maxlen else value


def trajectory_demos(row: dict[str, Any], maxlen: int) -> dict[str, dict[str, Any]]:
    """{predictor path: demo} from a result row's trace (each predictor's last step)."""
    demos: dict[str, dict[str, Any]] = {}
    for step in row.get("trace") or []:
        inputs = {k: _cut(v, maxlen) for k, v in (step.get("inputs") or {}).items()}
        demos[step["predictor"]] = {"augmented": True, **inputs, **(step.get("outputs") or {})}
    return demos


def append_demo(
    program: Any, row: dict[str, Any], ex_id: str, max_demos: int, maxlen: int
) -> list[Added] | str:
    """Add the row's trajectory as demos to `program` (in place); the additions, or why not."""
    if row.get("error") or not row.get("trace"):
        return "no usable trajectory"
    named = dict(program.named_predictors())
    added = []
    for path, demo in trajectory_demos(row, maxlen).items():
        predictor = named.get(path)
        if predictor is None:
            continue
        if any(dict(d.items()) == demo for d in predictor.demos):
            continue
        predictor.demos = [*predictor.demos, Example(demo)][-max(1, max_demos) :]
        added.append(Added(path, "demo", ex_id, demo=demo))
    return added or "already a demo"


def rule_target(good: dict[str, Any], bad: dict[str, Any], paths: list[str]) -> str:
    """The predictor a rule is for: the first (in program order) whose outputs differ between
    the two runs, else the last one the better run went through, else the last predictor."""
    mine = {s["predictor"]: s.get("outputs") for s in good.get("trace") or []}
    theirs = {s["predictor"]: s.get("outputs") for s in bad.get("trace") or []}
    for path in paths:
        if path in mine and mine[path] != theirs.get(path):
            return path
    touched = [p for p in mine if p in paths]
    return touched[-1] if touched else paths[-1]


def _fields(values: dict[str, Any] | None) -> str:
    shown = (f"{k}: {shorten(v, FIELD_CHARS)}" for k, v in (values or {}).items())
    return "; ".join(shown) or "(none)"


def _run_lines(title: str, row: dict[str, Any]) -> list[str]:
    lines = [f"{title} (score {float(row['score']):.2f}):"]
    for step in row.get("trace") or []:
        lines.append(
            f"- step `{step['predictor']}` read {_fields(step.get('inputs'))}; "
            f"wrote {_fields(step.get('outputs'))}"
        )
    if row.get("error"):
        lines.append(f"- it failed: {shorten(row['error'], 200)}")
    if row.get("feedback"):
        lines.append(f"- the metric said: {shorten(row['feedback'], 300)}")
    return lines


def rule_prompt(
    path: str, predictor: Any, example: Any, good: dict[str, Any], bad: dict[str, Any]
) -> str:
    labels = dict(example.labels().items()) if hasattr(example, "labels") else {}
    parts = [
        f"A program ran twice on the same input. {describe_step(path, predictor)}",
        f"The step's current instructions: {shorten(predictor.signature.instructions, 600)}",
        f"The input: {_fields(good.get('inputs'))}",
    ]
    if labels:
        parts.append(f"The expected result (the program does not see it): {_fields(labels)}")
    parts.append("\n".join(_run_lines("The better run", good)))
    parts.append("\n".join(_run_lines("The worse run", bad)))
    parts.append(
        f"Write one rule for step `{path}` that would make it act like the better run on inputs "
        "like this one, in the form: If <what the input shows>, then <what to do>. Reply with "
        "the rule only, in one or two sentences."
    )
    return "\n\n".join(parts)


@dataclass
class RuleWriter:
    """Writes rules with `prompt_model` (None: the task LM) under role "proposer"; counts what
    was proposed, kept and dropped (by reason) over the run."""

    prompt_model: Any = None
    proposed: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)

    def _call(self, user: str) -> str:
        lm = resolve_lm(self.prompt_model)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        with settings.context(lm_role="proposer", trace=None):
            texts = lm(messages=messages, max_tokens=RULE_TOKENS, **instruction_reply_kwargs(lm))
        return texts[0] if texts else ""

    def write(
        self, program: Any, path: str, example: Any, good: dict[str, Any], bad: dict[str, Any]
    ) -> tuple[str | None, str]:
        """Append a rule to `path`'s instructions in `program` (in place): (rule, "") or
        (None, why it was dropped)."""
        predictor = dict(program.named_predictors())[path]
        instructions = predictor.signature.instructions
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", instructions) if p.strip()]
        cleaner = ProposalCleaner(existing=[instructions, *paragraphs], max_chars=RULE_CHARS)
        try:
            reply, failure = self._call(rule_prompt(path, predictor, example, good, bad)), None
        except BudgetExhausted:
            raise
        except TunesmithError as exc:
            reply, failure = None, f"call failed ({type(exc).__name__})"
        text = cleaner.add(reply, failure)
        self.proposed += 1
        reason = next(iter(cleaner.dropped), "")
        if text is not None:
            words = len(text.split())
            if any(echo in normalize(text) for echo in ECHOES):
                text, reason = None, "echoed the request"
            elif words < MIN_RULE_WORDS:
                text, reason = None, "too short"
        if text is None:
            self.dropped[reason or "empty"] += 1
            return None, reason or "empty"
        self.kept += 1
        predictor.signature = predictor.signature.with_instructions(
            f"{instructions.rstrip()}\n\n{text}"
        )
        return text, ""

    def summary(self) -> dict[str, Any]:
        return {"proposed": self.proposed, "kept": self.kept, "dropped": dict(self.dropped)}
