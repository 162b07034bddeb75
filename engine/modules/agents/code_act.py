"""CodeAct: an agent whose actions are Python code, run in the sandbox, with the tools as
functions the code calls.

DSPy's shape and predictor names: each step `codeact` (inputs, trajectory -> generated_code,
finished) writes code; the code runs; its output (or error) joins the trajectory; after a step
marked finished, or `max_iters` steps, `extractor` (ChainOfThought: inputs, trajectory -> the
signature's outputs) answers. The tools must be plain Python functions: their source is run in
the sandbox before each step's code, so they get exactly the sandbox's rights (no files, no
network, no processes; only the preloaded standard-library modules), as ProgramOfThought's code.

The sandbox starts a fresh process for every run, so the code of earlier successful steps is
replayed, with its printing silenced, before a step's code: names it defined stay available, as
in DSPy's long-lived interpreter. An `interpreter_factory` (or one passed positionally) runs the
code in an interpreter of the caller's instead, outside the sandbox's guarantee.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from engine.adapters.types.tool import Tool
from engine.core import (
    AdapterParseError,
    InputField,
    OutputField,
    Prediction,
    Signature,
    ensure_signature,
    require_inputs,
)
from engine.modules.agents.program_code import code_from_reply
from engine.modules.agents.program_of_thought import run_in_interpreter
from engine.modules.chain_of_thought import ChainOfThought
from engine.modules.module import Module
from engine.modules.predict import Predict
from engine.sandbox import Sandbox, SandboxLimits
from engine.sandbox.interpreter import PythonInterpreter, resolve_interpreter_factory

_SILENT = "def print(*args, **kwargs):\n    pass\n"  # while earlier steps are replayed
_LOUD = "del print\n"


def _function_source(tool: Tool) -> str:
    func = tool.func
    if not inspect.isfunction(func) or func.__name__ == "<lambda>":
        raise ValueError(
            f"CodeAct: tool {tool.name!r} must be a plain function defined with def (its source "
            f"runs in the sandbox), not {type(func).__name__}"
        )
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as exc:
        raise ValueError(f"CodeAct: the source of tool {tool.name!r} cannot be read") from exc
    if tool.name != func.__name__:
        source += f"\n{tool.name} = {func.__name__}\n"
    return source


class CodeAct(Module):
    """`CodeAct(signature, tools, max_iters=5)`; `sandbox=` or `limits=` set how code runs,
    `interpreter_factory=` hands it to an interpreter of your own (outside the sandbox)."""

    def __init__(
        self,
        signature: str | type[Signature],
        tools: Sequence[Callable[..., Any] | Tool],
        max_iters: int = 5,
        interpreter_factory: Callable[[], Any] | None = None,
        *,
        sandbox: Sandbox | None = None,
        limits: SandboxLimits | None = None,
    ) -> None:
        if not isinstance(max_iters, int) or max_iters < 1:
            raise ValueError(f"CodeAct: max_iters must be >= 1, got {max_iters!r}")
        if interpreter_factory is not None and not callable(interpreter_factory):
            raise TypeError("CodeAct: interpreter_factory must be a zero-argument callable")
        self.signature = sig = ensure_signature(signature)
        self.max_iters = max_iters
        listed = [t if isinstance(t, Tool) else Tool(t) for t in tools]
        self.tools: dict[str, Tool] = {tool.name: tool for tool in listed}
        self._tool_code = "\n".join(_function_source(tool) for tool in listed)
        self.interpreter_factory = interpreter_factory
        self._sandbox = sandbox or Sandbox(limits)
        self.codeact = Predict(self._step_signature(sig))
        self.extractor = ChainOfThought(sig.append("trajectory", InputField(), type_=str))

    def _step_signature(self, sig: type[Signature]) -> type[Signature]:
        inputs = ", ".join(f"`{k}`" for k in sig.input_fields)
        outputs = ", ".join(f"`{k}`" for k in sig.output_fields)
        lines = [f"{sig.instructions}\n"] if sig.instructions else []
        lines.append(
            f"You are an agent. Each episode gives you the fields {inputs}.\n"
            f"Write Python code that gathers what is needed to produce {outputs}, one step at "
            "a time: each step's code runs, and what it prints is shown to you next step.\n"
            "Print everything you want to see. Put the code in a fenced code block.\n"
            f"When everything needed for {outputs} is known, set `finished` to True.\n"
            "You can use the Python standard library's math, json, re, itertools, collections, "
            "datetime and similar modules, and these functions:"
        )
        lines += [f"({number}) {tool}" for number, tool in enumerate(self.tools.values(), 1)]
        base = sig
        for name in sig.output_fields:
            base = base.delete(name)
        code_desc = "Python code whose printed output helps produce the answer"
        return (
            base.with_instructions("\n".join(lines))
            .append("trajectory", InputField(), type_=str)
            .append("generated_code", OutputField(desc=code_desc), type_=str)
            .append("finished", OutputField(desc="True when the task is done"), type_=bool)
        )

    def lm_calls_per_run(self) -> int:
        """At most `max_iters` code steps and the answer."""
        return self.max_iters + 1

    def forward(self, interpreter: Any = None, /, **kwargs: Any) -> Prediction:
        require_inputs("CodeAct", self.signature, kwargs)
        max_iters = int(kwargs.pop("max_iters", self.max_iters))
        inputs = {name: kwargs[name] for name in self.signature.input_fields}
        factory = resolve_interpreter_factory(self.interpreter_factory)
        if factory is PythonInterpreter:
            factory = None  # engine's PythonInterpreter is the sandbox
        own = factory() if interpreter is None and factory is not None else None
        try:
            trajectory = self._steps(inputs, interpreter or own, max_iters)
        finally:
            if own is not None and callable(getattr(own, "shutdown", None)):
                own.shutdown()
        answer = self.extractor(**inputs, trajectory=trajectory)
        prediction = Prediction(trajectory=trajectory, **dict(answer.items()))
        prediction.set_lm_usage(answer.get_lm_usage())
        return prediction

    def _steps(self, inputs: dict[str, Any], interpreter: Any, max_iters: int) -> dict[str, Any]:
        trajectory: dict[str, Any] = {}
        done: list[str] = []  # code of the steps that ran, replayed before the next
        if interpreter is not None and self._tool_code:
            run_in_interpreter(interpreter, self._tool_code)  # a long-lived interpreter: once
        for step in range(max_iters):
            try:
                reply = self.codeact(**inputs, trajectory=trajectory)
                text, finished = reply.generated_code, bool(reply.finished)
            except AdapterParseError as exc:
                text, finished = exc.raw_text if "```" in (exc.raw_text or "") else "", False
            code, error = code_from_reply(text)
            if error is not None:
                trajectory[f"observation_{step}"] = f"Failed to parse the generated code: {error}"
                continue
            trajectory[f"generated_code_{step}"] = code
            output, error = self._run(code, done, interpreter)
            if error is None:
                trajectory[f"code_output_{step}"] = output
                done.append(code)
            else:
                trajectory[f"observation_{step}"] = f"Failed to execute the generated code: {error}"
            if finished:
                break
        return trajectory

    def _run(self, code: str, done: list[str], interpreter: Any) -> tuple[str, str | None]:
        if interpreter is not None:
            return run_in_interpreter(interpreter, code)
        replay = _SILENT + "\n".join(done) + "\n" + _LOUD if done else ""
        run = self._sandbox.run(f"{self._tool_code}\n{replay}{code}")
        return run.output_text(), (None if run.ok else run.error)
