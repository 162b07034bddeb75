"""Scripted LMs for the dashboard tests (hook: TUNESMITH_TEST_LM=fake_lms:oracle).

`oracle(spec)`: with at least one demo in the prompt, or an instruction that says "carefully",
it answers the true label of the row (read from the spec's CSV), else the first choice, so
tuning visibly helps. Asked by GEPA to reflect, it writes an instruction that says "carefully".
"""

from __future__ import annotations

import csv
from typing import Any

from engine.lm.scripted import ScriptedLM, input_fields
from engine.runs.data._load import resolve_path


def _truth(spec: Any) -> dict[str, str]:
    column_of = {field: col for col, field in spec.data.columns.items()}
    source, label = spec.input_fields[0], spec.label_fields[0]
    with open(resolve_path(spec, spec.data.csv), newline="", encoding="utf-8-sig") as fh:
        return {
            row[column_of.get(source, source)].strip(): row[column_of.get(label, label)].strip()
            for row in csv.DictReader(fh)
        }


CAREFUL = "Read the ticket carefully and name the team that should handle it."


def oracle(spec: Any) -> ScriptedLM:
    truth = _truth(spec)
    step = spec.pipeline[-1]
    out_field = step.outputs[0]
    first = out_field.choices[0] if out_field.choices else "unknown"
    source = spec.input_fields[0]

    def answer(messages: list[dict[str, Any]]) -> dict[str, str] | str:
        from engine.optimizers.gepa._reflection import SYSTEM as REFLECTION_SYSTEM

        if messages[0]["content"] == REFLECTION_SYSTEM:
            return CAREFUL
        has_demos = any(m.get("role") == "assistant" for m in messages)
        has_demos = has_demos or "carefully" in messages[0]["content"]
        text = input_fields(messages[-1]["content"]).get(source, "").strip()
        out = {out_field.name: truth.get(text, first) if has_demos else first}
        if "reasoning_attempt_1" in input_fields(messages[-1]["content"]):  # MultiChainComparison
            return {"rationale": "scripted comparison", **out}
        thinks = step.module in ("ChainOfThought", "MultiChainComparison")
        return {"reasoning": "scripted", **out} if thinks else out

    return ScriptedLM(by_input=answer, name="oracle")


def cached_oracle(spec: Any) -> ScriptedLM:
    """The oracle standing in for the spec's model (its calls recorded under that name), on the
    run's LM cache (a second run gets the first one's replies)."""
    lm = oracle(spec)
    lm.cache, lm.model = True, spec.models.task.model
    return lm


def rambler(spec: Any) -> ScriptedLM:
    """Answers in free text, never in the field format (a parse failure on every call)."""
    return ScriptedLM(
        answers=["Sure! Here is some code:\n```python\nprint(1)\n```"], cycle=True, name="rambler"
    )


KEY_SEEN: dict[str, bool] = {}


def key_checking_oracle(spec: Any) -> ScriptedLM:
    """`oracle`, noting whether the worker's environment holds OPENAI_API_KEY (never its value).

    Inline it is recorded in KEY_SEEN; in a subprocess it is appended to $FAKE_LM_REPORT.
    """
    import os

    seen = bool(os.environ.get("OPENAI_API_KEY"))
    KEY_SEEN["openai"] = seen
    report = os.environ.get("FAKE_LM_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(f"key_in_env={seen}\n")
    return oracle(spec)


def judging_oracle(spec: Any) -> ScriptedLM:
    """`oracle` for the pipeline; asked as an LLM judge (engine.evaluate.judge), it gives 5/5
    when the graded answer equals the expected one and 1/5 otherwise, with a reason."""
    import re

    from engine.evaluate.judge import SYSTEM

    task = oracle(spec).by_input

    def answer(messages: list[dict[str, Any]]) -> Any:
        if messages[0]["content"] != SYSTEM:
            return task(messages)
        user = messages[-1]["content"]
        expected = re.search(r"Expected answer:\n\w+: (.*)", user)
        given = re.search(r"Response to grade:\n\w+: (.*)", user)
        want, got = (m.group(1).strip() if m else "" for m in (expected, given))
        if want == got:
            return f"Score: 5\nReason: '{got}' is the expected team."
        return f"Score: 1\nReason: it should be '{want}', not '{got}'."

    return ScriptedLM(by_input=answer, name="judging-oracle")


class _Leaning(ScriptedLM):
    """Scores the true label of a row second-highest, the first choice highest (a constant
    lean), and reports those scores as the embedded model does; a `reply_bias` can undo it."""

    def __init__(self, spec: Any) -> None:
        super().__init__(answers=["unused"], name="leaning")
        self.truth = _truth(spec)
        self.field = spec.pipeline[-1].outputs[0]
        self.source = spec.input_fields[0]

    @property
    def supports_stop(self) -> bool:  # takes decoding arguments, as the embedded model does
        return True

    def _complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        header = f"[[ ## {self.field.name} ## ]]"
        text = input_fields(messages[-1]["content"]).get(self.source, "").strip()
        choices = list(self.field.choices)
        scores = {c: -3.0 for c in choices}
        scores[self.truth.get(text, choices[0])] = -1.0
        scores[choices[0]] = -0.1
        offsets = (params.get("reply_bias") or {}).get(header, {})
        pick = max(choices, key=lambda c: scores[c] - offsets.get(c, 0.0))
        usage = {"prompt_tokens": 20, "completion_tokens": 3, "cost": 0.0,
                 "choice_scores": [{header: scores}]}  # fmt: skip
        return [f"{header}\n{pick}\n\n[[ ## completed ## ]]"], usage


def leaning(spec: Any) -> ScriptedLM:
    """A closed choice that always leans to the first label (`_Leaning`)."""
    return _Leaning(spec)


def off_list(spec: Any) -> ScriptedLM:
    """Answers the oracle's label on odd rows and a value outside the labels on the others."""
    truth, source = _truth(spec), spec.input_fields[0]
    out_field = spec.pipeline[-1].outputs[0]
    order = {text: i for i, text in enumerate(truth)}

    def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
        text = input_fields(messages[-1]["content"]).get(source, "").strip()
        odd = order.get(text, 0) % 2 == 1
        return {out_field.name: truth.get(text, "gardening") if odd else "gardening"}

    return ScriptedLM(by_input=answer, name="off_list")


def by_model(spec: Any) -> ScriptedLM:
    """The oracle for every model but "scripted/gardener", which answers off the labels."""
    if spec.models.task.model == "scripted/gardener":
        return ScriptedLM(answers=[{spec.pipeline[-1].outputs[0].name: "gardening"}], cycle=True)
    return oracle(spec)


def stepwise(spec: Any) -> ScriptedLM:
    """For a restate -> classify program: the restate step always says the same; the classify
    step answers the true label with examples in its prompt, else the first choice."""
    truth, out_field = _truth(spec), spec.pipeline[-1].outputs[0]
    first_step_output = spec.pipeline[0].outputs[0].name

    def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
        if out_field.name not in messages[0]["content"]:
            return {first_step_output: "the customer asks for help"}
        shown = any(m.get("role") == "assistant" for m in messages)
        text = input_fields(messages[-1]["content"]).get(spec.input_fields[0], "").strip()
        return {out_field.name: truth.get(text, out_field.choices[0]) if shown
                else out_field.choices[0]}  # fmt: skip

    return ScriptedLM(by_input=answer, name="stepwise")
