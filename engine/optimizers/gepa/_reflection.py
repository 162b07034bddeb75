"""GEPA's reflection: what one predictor saw, wrote and was told on a minibatch, and the new
instruction a reflection LM writes from it.

The reflective dataset comes from the result rows of the parent's minibatch trial (each row
holds the run's trace, `[{predictor, inputs, outputs}]`, and the metric's feedback). A metric
that accepts `pred_name` / `pred_trace` is asked again for feedback on the one predictor, as in
DSPy 3. The reply is plain text (nothing a weak model can fail to parse) and is cleaned like
an instruction proposal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.core import BudgetExhausted, LMError, Prediction, settings
from engine.evaluate.scoring import call_metric, score_of
from engine.evaluate.texts import shorten
from engine.modules.predict import resolve_lm
from engine.optimizers.proposing import (
    FROM_RECORDS,
    ProposalCleaner,
    TaskFacts,
    data_summary,
    describe_step,
    instruction_reply_kwargs,
    reflection_variations,
)

FIELD_CHARS = 300  # longest field value shown to the reflection LM
FEEDBACK_CHARS = 400
MAX_RECORDS = 6
REFLECTION_TOKENS = 256
# With no reflection LM, the task LM reflects, sampled: at its own (usually 0) temperature it
# repeats the same rewrite for the same parent, and every repeat is thrown away.
FALLBACK_TEMPERATURE = 1.0
MAX_INSTRUCTION_CHARS = 1200  # reflected instructions carry domain facts: longer than proposals

SYSTEM = (
    "You are an expert prompt engineer. You read how one step of a language-model program did "
    "on some examples, with feedback on each result, and you rewrite the step's instruction "
    "so that it does better. Reply with the new instruction only."
)


@dataclass
class ReflectionRecord:
    """One example as the reflection LM sees it."""

    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    score: float
    feedback: str


def _pred_trace_feedback(
    metric: Callable[..., Any], example: Any, step: dict[str, Any], path: str, predictor: Any
) -> str | None:
    """Predictor-level feedback from a metric that takes pred_name / pred_trace, else None."""
    outputs = step.get("outputs") or {}
    pred = Prediction(**outputs)
    try:
        value = call_metric(
            metric, example, pred, None, pred_name=path,
            pred_trace=[(predictor, dict(step.get("inputs") or {}), pred)],
        )  # fmt: skip
    except BudgetExhausted:
        raise
    except Exception:  # noqa: BLE001 - fall back to the row's own feedback
        return None
    return score_of(value)[1]


def reflective_dataset(
    rows: list[dict[str, Any]],
    examples: dict[str, Any],
    path: str,
    predictor: Any,
    metric: Callable[..., Any] | None = None,
    per_predictor_feedback: bool = False,
) -> list[ReflectionRecord]:
    """What predictor `path` did on each row: its inputs and outputs (from the trace), the
    score, and feedback (the metric's words, or what failed). Rows where the step never ran
    and nothing failed are skipped."""
    records = []
    for row in rows:
        steps = [s for s in (row.get("trace") or []) if s.get("predictor") == path]
        score = float(row.get("score") or 0.0)
        feedback = row.get("feedback") or ""
        if steps:
            step = steps[-1]
            if per_predictor_feedback and metric is not None and row["example_id"] in examples:
                example = examples[row["example_id"]]
                feedback = _pred_trace_feedback(metric, example, step, path, predictor) or feedback
            inputs, outputs = dict(step.get("inputs") or {}), dict(step.get("outputs") or {})
        elif row.get("error"):
            inputs, outputs = dict(row.get("inputs") or {}), None
            feedback = f"The step failed, so there is no output: {row['error']}"
        else:
            continue
        if not feedback:
            feedback = "correct" if score >= 1.0 else f"scored {score:.2f} of 1 (no feedback text)"
        records.append(ReflectionRecord(inputs, outputs, score, feedback))
    return records[:MAX_RECORDS]


def reflection_prompt(path: str, predictor: Any, records: list[ReflectionRecord]) -> str:
    """The user message: the current instruction, the step's fields and the examples."""
    parts = [
        f"The current instruction of this step:\n{predictor.signature.instructions}",
        describe_step(path, predictor),
        "How it did on some examples:",
    ]
    for number, record in enumerate(records, 1):
        lines = [f"### Example {number}", "Inputs:"]
        lines += [f"- {k}: {shorten(v, FIELD_CHARS)}" for k, v in record.inputs.items()]
        if record.outputs is None:
            lines.append("Outputs: none")
        else:
            lines.append("Outputs:")
            lines += [f"- {k}: {shorten(v, FIELD_CHARS)}" for k, v in record.outputs.items()]
        lines.append(f"Score: {record.score:.2f} (of 1)")
        lines.append(f"Feedback: {shorten(record.feedback, FEEDBACK_CHARS)}")
        parts.append("\n".join(lines))
    parts.append(
        "Write a better instruction for this step. Fix what the feedback points out, keep what "
        "works, and state any facts about the task that the feedback reveals, so that the step "
        "gets such examples right. Reply with the instruction only."
    )
    return "\n\n".join(parts)


@dataclass
class Reflector:
    """Writes new instructions with `reflection_lm` (None: the task LM, sampled at
    FALLBACK_TEMPERATURE), role "proposer"."""

    reflection_lm: Any = None

    def reflect(
        self,
        path: str,
        predictor: Any,
        records: list[ReflectionRecord],
        tried: list[str],
        rollout: str,
        facts: TaskFacts | None = None,
    ) -> tuple[str | None, dict[str, Any]]:
        """(new instruction or None, cleaning summary). `tried`: instructions this predictor
        already had, which a reply must differ from; `facts`: the step's training data, for
        variations when the reply is dropped and the reflection's own examples are used up."""
        cleaner = ProposalCleaner(existing=list(tried), max_chars=MAX_INSTRUCTION_CHARS)
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": reflection_prompt(path, predictor, records)},
        ]
        try:
            lm = resolve_lm(self.reflection_lm)
            sampling = (
                {} if self.reflection_lm is not None else {"temperature": FALLBACK_TEMPERATURE}
            )
            with settings.context(lm_role="proposer"):
                texts = lm(
                    messages=messages,
                    max_tokens=REFLECTION_TOKENS,
                    rollout_id=rollout,
                    **sampling,
                    **instruction_reply_kwargs(lm),
                )
            reply, failure = (texts[0] if texts else ""), None
        except BudgetExhausted:
            raise
        except LMError as exc:
            reply, failure = None, f"call failed ({type(exc).__name__})"
        kept = cleaner.add(reply, failure)
        made: dict[str, Any] = {
            "how": "model", "form": "reflection", "reply": shorten(reply or "", 400)
        }  # fmt: skip
        rejected = []
        if kept is None:
            why = cleaner.last_reason
            rejected.append({**made, "why": why})
            kept, made = _variation(cleaner, predictor, records, why, facts)
        summary = cleaner.summary(0 if kept is None or made["how"] == "template" else 1)
        summary.update(made=made, rejected=rejected, templates=int(made["how"] == "template"))
        return kept, summary


def _variation(
    cleaner: ProposalCleaner,
    predictor: Any,
    records: list[ReflectionRecord],
    why: str,
    facts: TaskFacts | None,
) -> tuple[str | None, dict[str, Any]]:
    """A grounded variation of the parent's instruction when the reflection's reply was
    dropped: the first one that differs from every instruction tried, from the reflection's
    own examples, else from the training data (`facts`), else from both (None when there is
    none)."""
    because = f"the reflection's reply was dropped ({why})"
    original = predictor.signature.instructions
    for text, template, grounded in reflection_variations(original, records, facts):
        kept = cleaner.hold(text)
        if kept is not None:
            made = {"how": "template", "template": template, "grounded_in": grounded,
                    "because": because}  # fmt: skip
            if grounded != FROM_RECORDS and facts is not None:
                made["data"] = data_summary(facts)
            return kept, made
    return None, {"how": "none", "because": because}
