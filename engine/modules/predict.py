"""Predict: the learnable leaf. A signature, demos and LM config turned into one LM call."""

from __future__ import annotations

import logging
from typing import Any

from engine.adapters import default_adapter
from engine.adapters.replies.choice_offsets import OPTION as CHOICE_OFFSETS
from engine.adapters.replies.choice_offsets import read_offsets, shifted_pick
from engine.adapters.replies.one_line_values import OPTION as ONE_LINE_OUTPUTS
from engine.core import (
    Example,
    NoLMConfiguredError,
    Prediction,
    Signature,
    ensure_signature,
    hearing_replies,
    is_optional,
    record_trace,
    require_inputs,
    settings,
)
from engine.lm import default_lm
from engine.lm.choice_scores import collecting
from engine.lm.lm import embedded_default_enabled
from engine.lm.usage import UsageLedger
from engine.modules._parameter import Parameter
from engine.modules.input_types import mismatches
from engine.modules.module import Module
from engine.modules.saving import lm_from_saved, serialize_object

logger = logging.getLogger(__name__)


def resolve_lm(lm: Any = None) -> Any:
    """The LM to call: explicit, else configured, else (only where the dashboard or the CLI
    turned it on: `use_embedded_default`) the embedded local model; else it raises, as DSPy."""
    if lm is not None:
        return _checked(lm)
    if settings.lm is not None:
        return _checked(settings.lm)
    if embedded_default_enabled():
        return default_lm()
    raise NoLMConfiguredError(
        "No LM is loaded. Please configure the LM using `dspy.configure(lm=dspy.LM(...))`. "
        "e.g, `dspy.configure(lm=dspy.LM('openai/gpt-4o-mini'))`"
    )


def _checked(lm: Any) -> Any:
    if isinstance(lm, str):
        raise ValueError(
            f"LM must be an instance of `dspy.BaseLM`, not a string. Instead of "
            f"'dspy.configure(lm=\"{lm}\")', configure it as 'dspy.configure(lm=dspy.LM(\"{lm}\"))'"
        )
    return lm


class Predict(Module, Parameter):
    """`Predict("question -> answer")(question="...")` returns a Prediction with `answer`."""

    runs_without_backtracking = True  # a leaf: constraints are checked by the modules around it

    def __init__(self, signature: str | type[Signature], **config: Any) -> None:
        self.signature = ensure_signature(signature)
        self.config = dict(config)
        self.lm: Any = None
        self.demos: list[Example] = []
        # learned shifts of closed choices, {field: {value: offset}} (engine.lm.choice_scores)
        self.choice_offsets: dict[str, dict[str, float]] = {}
        # open outputs the task's labels write on one line (engine.optimizers.spine._one_line_fit);
        # they describe the task, not a search's choice, so `reset` keeps them
        self.one_line_outputs: list[str] = []

    def update_config(self, **kwargs: Any) -> None:
        """Add to the LM arguments every call of this predictor sends (DSPy's shape)."""
        self.config.update(kwargs)

    def get_config(self) -> dict[str, Any]:
        """The LM arguments every call of this predictor sends."""
        return self.config

    def reset(self) -> None:
        """DSPy's reset: forget the predictor's own LM, its traces, train rows and demos."""
        self.lm = None
        self.traces: list[Any] = []
        self.train: list[Any] = []
        self.clear_learned()

    def clear_learned(self) -> None:
        """Forget what a search taught (demos, choice offsets); keep the predictor's own LM
        (what `Module.reset_copy` does to each predictor)."""
        self.demos = []
        self.choice_offsets = {}

    def lm_calls_per_run(self) -> int:
        """One call (a parse fallback retry is not counted)."""
        return 1

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            names = ", ".join(f"'{name}'" for name in ensure_signature(self.signature).input_fields)
            raise ValueError(
                "Positional arguments are not allowed when calling `dspy.Predict`, must use "
                f"keyword arguments that match your signature input fields: {names}. For example: "
                "`predict(question=input_value, ...)`."
            )
        return super().__call__(**kwargs)

    def forward(self, **kwargs: Any) -> Prediction:
        signature = ensure_signature(kwargs.pop("signature", self.signature))
        demos = kwargs.pop("demos", self.demos)
        config = {**self.config, **kwargs.pop("config", {})}
        lm = kwargs.pop("lm", self.lm)
        for name, field in signature.input_fields.items():  # InputField(default=...)
            if name not in kwargs and not field.is_required():
                kwargs[name] = field.get_default()
            elif name not in kwargs and is_optional(field.annotation):  # `str | None`: None
                kwargs[name] = None
        require_inputs(type(self).__name__, signature, kwargs)
        lm = resolve_lm(lm)  # after the inputs' check: a missing input is the clearer error
        unknown = [k for k in kwargs if k not in signature.input_fields]
        inputs = {k: v for k, v in kwargs.items() if k in signature.input_fields}
        if settings.warn_on_type_mismatch:
            for name, field in mismatches(signature.input_fields, inputs):
                logger.warning(
                    "Type mismatch for field '%s': expected %s based on given Signature, but the "
                    "provided value is incompatible: %s.", name, field.type_name, inputs[name],
                )  # fmt: skip
        if unknown and not set(unknown) <= set(signature.output_fields):  # outputs: a demo's
            logger.warning(
                "Input contains fields not in signature. These fields will be ignored: %s. "
                "Expected fields: %s.", unknown, list(signature.input_fields),
            )  # fmt: skip
        if config.get("n", 1) > 1 and not config.get("temperature"):
            config["temperature"] = 0.7
        if self.choice_offsets:
            config.setdefault(CHOICE_OFFSETS, self.choice_offsets)
        if self.one_line_outputs:
            config.setdefault(ONE_LINE_OUTPUTS, self.one_line_outputs)
        adapter = settings.adapter or default_adapter()
        local = UsageLedger()
        with (
            settings.context(usage_trackers=(*settings.usage_trackers, local)),
            collecting() as found,
            hearing_replies() as replies,
        ):
            completions = adapter(lm, config, signature, demos, inputs)
        # the first call's first completion's scores (a fallback has none)
        scores = adapter.read_choice_scores(signature, found[0][0]) if found and found[0] else None
        if scores and self.choice_offsets and not getattr(lm, "supports_stop", False):
            completions = [shifted_pick(signature, completions[0], scores, self.choice_offsets),
                           *completions[1:]]  # fmt: skip
        prediction = Prediction.from_completions(completions)
        prediction.set_lm_usage(local.totals().to_dict())
        if scores is not None:
            prediction.set_choice_scores(scores)
        prediction.set_reply(replies[-1] if replies else None)  # the one its outputs came from
        record_trace((self, inputs, prediction))
        return prediction

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.signature.signature}, demos={len(self.demos)})"

    # state ----------------------------------------------------------------------------------
    def dump_predictor_state(self) -> dict[str, Any]:
        """Same keys as DSPy: traces, train, demos, signature{instructions, fields}, lm; plus
        `choice_offsets` once calibration fitted some (`engine.optimizers.calibration._choices`)
        and `one_line_outputs` once a compile found some (spine `_one_line_fit`)."""
        demos = [serialize_object(dict(d.items()) if hasattr(d, "items") else dict(d))
                 for d in self.demos]  # fmt: skip
        return {
            "traces": [],
            "train": [],
            "demos": demos,
            "signature": self.signature.dump_state(),
            # the predictor's own LM (DSPy's LM.dump_state: no key, no endpoint), else None
            "lm": self.lm.dump_state() if hasattr(self.lm, "dump_state") else None,
            **({"choice_offsets": self.choice_offsets} if self.choice_offsets else {}),
            **({"one_line_outputs": self.one_line_outputs} if self.one_line_outputs else {}),
        }

    def load_predictor_state(self, state: dict[str, Any]) -> None:
        self.demos = [Example(d) for d in state.get("demos", [])]
        self.choice_offsets = read_offsets(state.get("choice_offsets"))
        self.one_line_outputs = [str(name) for name in state.get("one_line_outputs") or []]
        saved_lm = lm_from_saved(state.get("lm"))
        if saved_lm is not None:
            self.lm = saved_lm
        if "signature" in state:
            self.signature = self.signature.load_state(state["signature"])
