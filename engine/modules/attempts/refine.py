"""Refine: BestOfN where a failed attempt becomes advice for the next one.

After an attempt below the threshold, an LM reads the program's code, its predictors, the
attempt's trajectory and the reward (`OfferFeedback`, dspy's signature) and writes advice per
predictor; the next attempt gives each its advice as an input field `hint_`
(`engine.modules.notes.NoteAdapter`). Advice that cannot be read becomes a plain hint naming the
failed outputs and their reward (docs/design/DEVIATIONS.md, 20).
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any

from engine.core import BudgetExhausted, InputField, OutputField, Signature, settings
from engine.modules.attempts.best_of_n import BestOfN
from engine.modules.notes import Note
from engine.modules.predict import Predict, resolve_lm

logger = logging.getLogger(__name__)

HINT_FIELD = "hint_"
HINT_DESC = "A hint to the module from an earlier run"


class OfferFeedback(Signature):
    """In the discussion, say which module, if any, is to blame for the final reward being below
    the threshold. Then give each module concrete advice on how to act on its future input when
    the process is retried with the same or similar inputs. A module that is not to blame gets
    the advice N/A. The modules will not see their own history, so the advice must be concrete
    and actionable on its own."""

    program_code: str = InputField(desc="The code of the program that we are analyzing")
    modules_defn: str = InputField(desc="Each module in the program, with its inputs and outputs")
    program_inputs: str = InputField(desc="The inputs to the program that we are analyzing")
    program_trajectory: str = InputField(desc="The program's execution: each module's I/O")
    program_outputs: str = InputField(desc="The outputs of the program that we are analyzing")
    reward_code: str = InputField(desc="The code of the reward function that we are analyzing")
    target_threshold: float = InputField(desc="The target threshold for the reward function")
    reward_value: float = InputField(desc="The reward value assigned to the program's outputs")
    module_names: list[str] = InputField(desc="The modules in the program that we seek advice for")
    discussion: str = OutputField(desc="Where each module went wrong, if it did")
    advice: dict[str, str] = OutputField(
        desc="For each module: the scenarios in which it made mistakes and what each mistake "
        "was, then what it should do differently in that kind of scenario. N/A if not to blame."
    )


class Refine(BestOfN):
    """`Refine(module, N, reward_fn, threshold, fail_count=None)`: dspy's shape (see module doc)."""

    @property
    def module_code(self) -> str:
        """The wrapped module's class source, for the advice LM (dspy's attribute)."""
        return _source(type(self.module))

    @property
    def reward_fn_code(self) -> str:
        """The reward function's source, for the advice LM (dspy's attribute)."""
        return _source(self.reward_fn)

    def lm_calls_per_run(self) -> int:
        """At most N attempts plus one advice call between two attempts."""
        return super().lm_calls_per_run() + self.N - 1

    def advise(
        self, module: Any, kwargs: dict[str, Any], prediction: Any, trace: list[Any], reward: float
    ) -> dict[Any, list[Note]]:
        named = module.named_predictors()
        names = {id(p): name for name, p in module.named_parameters()}
        outputs = dict(prediction.items()) if hasattr(prediction, "items") else {"out": prediction}
        trajectory = [
            {
                "module_name": names.get(id(step), type(step).__name__),
                "inputs": dict(inputs),
                "outputs": dict(out.items()) if hasattr(out, "items") else out,
            }
            for step, inputs, out in trace
        ]
        advice = self._ask(named, kwargs, trajectory, outputs, reward)
        fallback = (
            f"An earlier attempt answered {_dumps(outputs)} and scored {reward:g}, below the "
            f"target {self.threshold}. Answer differently."
        )
        notes: dict[Any, list[Note]] = {}
        for name, predictor in named:
            text = advice.get(name, "N/A") if advice is not None else fallback
            notes[predictor.signature] = [Note(HINT_FIELD, str(text), desc=HINT_DESC)]
        return notes

    def _ask(
        self,
        named: list[tuple[str, Any]],
        kwargs: dict[str, Any],
        trajectory: list[dict[str, Any]],
        outputs: dict[str, Any],
        reward: float,
    ) -> dict[str, str] | None:
        """The advice LM's {predictor name: advice}, or None when it could not be had."""
        try:
            lm = self.module.get_lm()
        except ValueError:  # predictors on different LMs: advice comes from the configured one
            lm = None
        ask = Predict(OfferFeedback)
        ask.lm = resolve_lm(lm)
        try:
            with settings.context(trace=None):
                reply = ask(
                    program_code=self.module_code,
                    modules_defn=describe_modules(named),
                    program_inputs=_dumps(kwargs),
                    program_trajectory=_dumps(trajectory),
                    program_outputs=_dumps(outputs),
                    reward_code=self.reward_fn_code,
                    target_threshold=self.threshold,
                    reward_value=reward,
                    module_names=[name for name, _ in named],
                )
        except BudgetExhausted:
            raise
        except Exception as exc:
            logger.info("Refine: no advice (%s: %s); using a plain hint", type(exc).__name__, exc)
            return None
        advice = reply.advice
        if isinstance(advice, dict):
            return {str(k): str(v) for k, v in advice.items()}
        return {name: str(advice) for name, _ in named}


def describe_modules(named: list[tuple[str, Any]]) -> str:
    """Each predictor's name, input and output fields and instructions, for the advice LM."""
    parts = []
    for name, predictor in named:
        signature = predictor.signature
        inputs = ", ".join(f"{n} ({f.type_name})" for n, f in signature.input_fields.items())
        outputs = ", ".join(f"{n} ({f.type_name})" for n, f in signature.output_fields.items())
        parts.append(
            f"Module {name}\n\tInput fields: {inputs}\n\tOutput fields: {outputs}\n"
            f"\tInstructions: {signature.instructions}"
        )
    return "\n".join(parts)


def _source(obj: Any) -> str:
    for target in (obj, type(obj)):
        try:
            return inspect.getsource(target)
        except (OSError, TypeError):
            continue
    return getattr(obj, "__name__", type(obj).__name__)


def _dumps(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
