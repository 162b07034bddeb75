"""ReAct: an agent loop over tools, with DSPy's fields, predictor names and saved-state layout.

Each step a `react` Predict reads the inputs and the trajectory so far and writes
`next_thought`, `next_tool_name` (one of the tools or "finish") and `next_tool_args` (a JSON
object); the tool runs and its result (or the error it gave) is the step's observation. After
"finish" or `max_iters` steps, `extract` (a ChainOfThought over the inputs and the trajectory)
writes the signature's outputs. The prediction carries `trajectory` as DSPy's does:
{thought_i, tool_name_i, tool_args_i, observation_i}.

Unlike DSPy, a reply the adapter cannot read is read leniently (`react_parse`): `lookup(x=1)`,
a tool name in other case or quotes, a bare argument. A step that still names no tool ends the
loop with the reason recorded as its observation; extract answers from what was gathered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from engine.adapters.chat import section
from engine.adapters.types.tool import Tool, ToolError
from engine.core import (
    AdapterParseError,
    ContextWindowExceededError,
    InputField,
    LMError,
    OutputField,
    Prediction,
    Signature,
    ensure_signature,
    format_value,
    settings,
)
from engine.lm.usage import UsageLedger
from engine.modules.agents.react_parse import Step, StepParseError, read_step
from engine.modules.chain_of_thought import ChainOfThought
from engine.modules.module import Module
from engine.modules.predict import Predict

logger = logging.getLogger(__name__)
STEP_KEYS = ("thought", "tool_name", "tool_args", "observation")


def react_instructions(signature: type[Signature], tools: dict[str, Tool]) -> str:
    """DSPy's ReAct instructions, word for word (so saved states compare equal)."""
    inputs = ", ".join(f"`{k}`" for k in signature.input_fields)
    outputs = ", ".join(f"`{k}`" for k in signature.output_fields)
    lines = [f"{signature.instructions}\n"] if signature.instructions else []
    lines += [
        f"You are an Agent. In each episode, you will be given the fields {inputs} as input. "
        "And you can see your past trajectory so far.",
        "Your goal is to use one or more of the supplied tools to collect any necessary "
        f"information for producing {outputs}.\n",
        "To do this, you will interleave next_thought, next_tool_name, and next_tool_args in "
        "each turn, and also when finishing the task.",
        "After each tool call, you receive a resulting observation, which gets appended to your "
        "trajectory.\n",
        "When writing next_thought, you may reason about the current situation and plan for "
        "future steps.",
        "When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n",
    ]
    lines += [f"({i + 1}) {tool}" for i, tool in enumerate(tools.values())]
    lines.append(
        "When providing `next_tool_args`, the value inside the field must be in JSON format"
    )
    return "\n".join(lines)


def finish_tool(signature: type[Signature]) -> Tool:
    outputs = ", ".join(f"`{k}`" for k in signature.output_fields)
    return Tool(
        func=lambda: "Completed.",
        name="finish",
        desc="Marks the task as complete. That is, signals that all information for producing "
        f"the outputs, i.e. {outputs}, are now available to be extracted.",
        args={},
    )


def format_trajectory(trajectory: dict[str, Any]) -> str:
    """The trajectory as `[[ ## key ## ]]` sections, as DSPy's chat adapter renders it (an
    observation as its `str`; the trajectory itself keeps the tool's value)."""
    return "\n\n".join(
        section(k, str(v) if k.startswith("observation_") else format_value(v))
        for k, v in trajectory.items()
    )


class ReAct(Module):
    """`ReAct(signature, tools=[...], max_iters=20)(**inputs)` -> outputs + `trajectory`."""

    def __init__(
        self,
        signature: str | type[Signature],
        tools: list[Callable[..., Any] | Tool],
        max_iters: int = 20,
    ) -> None:
        if not isinstance(max_iters, int) or max_iters < 1:
            raise ValueError(f"ReAct: max_iters must be a whole number >= 1, got {max_iters!r}")
        self.signature = sig = ensure_signature(signature)
        self.max_iters = max_iters
        self.tools = _tool_table(tools)
        self.tools["finish"] = finish_tool(sig)
        react_sig = sig
        for name in sig.output_fields:
            react_sig = react_sig.delete(name)
        react_sig = (
            react_sig.with_instructions(react_instructions(sig, self.tools))
            .append("trajectory", InputField(), type_=str)
            .append("next_thought", OutputField(), type_=str)
            .append("next_tool_name", OutputField(), type_=Literal[tuple(self.tools)])
            .append("next_tool_args", OutputField(), type_=dict[str, Any])
        )
        self.react = Predict(react_sig)
        self.extract = ChainOfThought(sig.append("trajectory", InputField(), type_=str))

    def forward(self, **input_args: Any) -> Prediction:
        max_iters = input_args.pop("max_iters", self.max_iters)
        ledger = UsageLedger()
        with settings.context(usage_trackers=(*settings.usage_trackers, ledger)):
            trajectory: dict[str, Any] = {}
            for index in range(max_iters):
                step = self._next_step(trajectory, input_args, index)
                if step is None:
                    break
                self._record(trajectory, index, step)
                if step.tool_name == "finish":
                    break
            extract = self._call_with_truncation(self.extract, trajectory, input_args)
        prediction = Prediction(trajectory=trajectory, **dict(extract.items()))
        prediction.set_lm_usage(ledger.totals().to_dict())
        return prediction

    def _next_step(self, trajectory: dict[str, Any], inputs: dict[str, Any], index: int):
        """The next step, or None after recording why the loop ends."""
        try:
            pred = self._call_with_truncation(self.react, trajectory, inputs)
            return Step(pred.next_thought, pred.next_tool_name, dict(pred.next_tool_args or {}))
        except AdapterParseError as error:
            try:
                return read_step(error.raw_text or "", self.react.signature, self.tools)
            except StepParseError as unreadable:
                reason = f"could not read the step ({unreadable}); ending the trajectory"
                self._end(trajectory, index, unreadable.thought, unreadable.raw_name, reason)
        except _TrajectoryTooLong as too_long:
            self._end(trajectory, index, "", "", f"{too_long}; ending the trajectory")
        return None

    def _record(self, trajectory: dict[str, Any], index: int, step: Step) -> None:
        observation = self.tools[step.tool_name](**step.tool_args)
        values = (step.thought, step.tool_name, step.tool_args, observation)
        for key, value in zip(STEP_KEYS, values):
            # the tool's own value, as DSPy keeps it; an error as its message
            trajectory[f"{key}_{index}"] = (
                str(value) if isinstance(value, ToolError) else value
            )

    def _end(self, trajectory: dict, index: int, thought: str, name: str, reason: str) -> None:
        logger.info("ReAct step %d: %s", index, reason)
        for key, value in zip(STEP_KEYS, (thought, name, {}, reason)):
            trajectory[f"{key}_{index}"] = value

    def _call_with_truncation(self, module: Module, trajectory: dict, inputs: dict) -> Any:
        """Call with the trajectory; on a context-window error drop the oldest step from it
        (the kept trajectory too, as DSPy does) and try again, 3 times at most."""
        last: LMError | None = None
        for _ in range(3):
            try:
                return module(**inputs, trajectory=format_trajectory(trajectory))
            except LMError as error:
                too_long = isinstance(error, ContextWindowExceededError)
                if not too_long and "context window" not in str(error).lower():
                    raise
                if len(trajectory) <= len(STEP_KEYS):
                    raise _TrajectoryTooLong(str(error)) from error
                logger.warning("ReAct: the prompt is too long; dropping the oldest step")
                self.truncate_trajectory(trajectory)
                last = error
        raise _TrajectoryTooLong(
            "The context window was exceeded even after 3 attempts to truncate the trajectory."
        ) from last

    def _call_with_potential_trajectory_truncation(
        self, module: Any, trajectory: dict, **input_args: Any
    ) -> Any:
        """DSPy's name of `_call_with_truncation` (its argument shape)."""
        return self._call_with_truncation(module, trajectory, input_args)

    def truncate_trajectory(self, trajectory: dict[str, Any]) -> dict[str, Any]:
        """Drop the oldest step (its thought, tool name, arguments and observation) in place;
        a trajectory of one step cannot be cut: ContextWindowExceededError."""
        if len(trajectory) <= len(STEP_KEYS):
            raise ContextWindowExceededError(
                "The context window was exceeded even after truncating the trajectory to one "
                "tool call; shorten the inputs or use a model with a longer context window."
            )
        for key in list(trajectory)[: len(STEP_KEYS)]:
            del trajectory[key]
        return trajectory


class _TrajectoryTooLong(ContextWindowExceededError):
    """The prompt did not fit the model's context window, even with steps dropped."""


def _tool_table(tools: list[Callable[..., Any] | Tool]) -> dict[str, Tool]:
    if isinstance(tools, (Tool,)) or callable(tools) or not hasattr(tools, "__iter__"):
        raise TypeError("ReAct: tools must be a list of functions or Tool objects")
    table: dict[str, Tool] = {}
    for item in tools:
        tool = item if isinstance(item, Tool) else Tool(item)
        if tool.name == "finish":
            raise ValueError(
                "ReAct: 'finish' is the built-in tool that ends the loop; rename yours"
            )
        if tool.name in table:
            raise ValueError(f"ReAct: two tools are named {tool.name!r}; give one another name")
        table[tool.name] = tool
    return table
