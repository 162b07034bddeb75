"""ProgramOfThought: the LM writes Python, the sandbox runs it, the LM answers from its output.

DSPy's shape and predictor names: `code_generate` (ChainOfThought: inputs -> generated_code),
run in `engine.sandbox`; on an error `code_regenerate` (inputs, previous_code, error ->
generated_code) up to `max_iters` attempts in all; then `generate_output` (inputs,
final_generated_code, code_output -> the signature's outputs). A sandbox refusal ("sandbox
refused: network access ...") or limit is an error like any other: it goes back to the LM.

Unlike DSPy, a reply with no readable `generated_code` field is not a crash: its fenced code
block, if any, is run, else the attempt fails with the parse error as feedback. The prediction
also carries `attempts` ([{code, output, error}]) unless the signature has a field of that name.

`interpreter_factory=` (or `configure(interpreter_factory=...)`) runs the code in an interpreter
of the caller's instead: a zero-argument callable returning an object with `execute(code)`
(and, optionally, `shutdown()`), one per call and shut down after it; or pass one positionally,
`pot(interpreter, question=...)`, which stays the caller's (not shut down). Its
`CodeExecutionError` or `SyntaxError` goes back to the LM; a bare `CodeInterpreterError` (the
interpreter itself broke) and other errors propagate, as in DSPy. Such an
interpreter is outside the sandbox's guarantee: it runs code with whatever access it has.
Without one, code runs in `engine.sandbox`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from engine.core import (
    AdapterParseError,
    InputField,
    OutputField,
    Prediction,
    Signature,
    TunesmithError,
    ensure_signature,
    require_inputs,
)
from engine.modules.agents.program_code import code_from_reply
from engine.modules.chain_of_thought import ChainOfThought
from engine.modules.module import Module
from engine.sandbox import Sandbox, SandboxLimits
from engine.sandbox.interpreter import (
    CodeExecutionError,
    FinalOutput,
    PythonInterpreter,
    resolve_interpreter_factory,
)

logger = logging.getLogger(__name__)
CODE_DESC = "python code that answers the question"


class ProgramOfThoughtError(TunesmithError, RuntimeError):
    """Every attempt failed; `attempts` holds each code and its error."""

    def __init__(self, message: str, attempts: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.attempts = attempts


class ProgramOfThought(Module):
    """`ProgramOfThought(signature, max_iters=3)`; `sandbox=` or `limits=` set how code runs,
    `interpreter_factory=` hands it to an interpreter of your own (outside the sandbox)."""

    def __init__(
        self,
        signature: str | type[Signature],
        max_iters: int = 3,
        sandbox: Sandbox | None = None,
        limits: SandboxLimits | None = None,
        *,
        interpreter_factory: Callable[[], Any] | None = None,
    ) -> None:
        if not isinstance(max_iters, int) or max_iters < 1:
            raise ValueError(f"ProgramOfThought: max_iters must be >= 1, got {max_iters!r}")
        _check_factory(interpreter_factory, "interpreter_factory")
        self.signature = sig = ensure_signature(signature)
        self.max_iters = max_iters
        self._sandbox = sandbox or Sandbox(limits)
        self.interpreter_factory = interpreter_factory
        self.code_generate = ChainOfThought(_mode_signature(sig, "generate"))
        self.code_regenerate = ChainOfThought(_mode_signature(sig, "regenerate"))
        self.generate_output = ChainOfThought(_mode_signature(sig, "answer"))

    def lm_calls_per_run(self) -> int:
        """At most `max_iters` code attempts (the first generated, the rest regenerated from
        the error) and the answer."""
        return self.max_iters + 1

    def forward(self, interpreter: Any = None, /, **kwargs: Any) -> Prediction:
        if "interpreter" in kwargs and "interpreter" not in self.signature.input_fields:
            raise TypeError(
                "ProgramOfThought: to use an interpreter of your own, pass it as the first "
                "positional argument (`pot(interpreter, question=...)`), not as interpreter=."
            )
        require_inputs("ProgramOfThought", self.signature, kwargs)
        inputs = {name: kwargs[name] for name in self.signature.input_fields}
        factory = None if interpreter is not None else self._factory()
        own = factory() if factory is not None else None  # made here: shut down here
        try:
            code, output, attempts = self._run_attempts(inputs, interpreter or own)
        finally:
            if own is not None and callable(getattr(own, "shutdown", None)):
                own.shutdown()
        answer = self.generate_output(**inputs, final_generated_code=code, code_output=output)
        prediction = Prediction(**dict(answer.items()))
        prediction.set_lm_usage(answer.get_lm_usage())
        if "attempts" not in self.signature.fields:
            prediction["attempts"] = attempts
        return prediction

    def _factory(self) -> Callable[[], Any] | None:
        """The caller's interpreter factory (the module's, else the settings'), or None for
        the sandbox (engine's own PythonInterpreter counts as the sandbox)."""
        factory = resolve_interpreter_factory(self.interpreter_factory)
        return None if factory is PythonInterpreter else factory

    def _run_attempts(
        self, inputs: dict[str, Any], interpreter: Any
    ) -> tuple[str, str, list[dict[str, Any]]]:
        """Code attempts until one runs: (code, output, attempts); raises after `max_iters`."""
        attempts: list[dict[str, Any]] = []
        code, output, error = self._attempt(self.code_generate, inputs, attempts, interpreter)
        while error is not None:
            if len(attempts) >= self.max_iters:
                raise ProgramOfThoughtError(
                    f"Max hops reached. Failed to run ProgramOfThought: {error}", attempts
                )
            retry = {**inputs, "previous_code": code, "error": error}
            code, output, error = self._attempt(self.code_regenerate, retry, attempts, interpreter)
        return code, output, attempts

    def _attempt(
        self,
        module: Module,
        inputs: dict[str, Any],
        attempts: list[dict[str, Any]],
        interpreter: Any = None,
    ):
        """Ask for code and run it: (code, output text, error message or None)."""
        try:
            reply = module(**inputs).generated_code
        except AdapterParseError as exc:
            reply = exc.raw_text or ""
            if "```" not in reply:
                reply = ""
                logger.info("ProgramOfThought: no code in the reply (%s)", exc)
        code, error = code_from_reply(reply)
        output = ""
        if error is None:
            output, error = self._execute_code(code, interpreter)
        attempts.append({"code": code, "output": output, "error": error})
        return code, output, error

    def _execute_code(self, code: str, interpreter: Any = None) -> tuple[str, str | None]:
        """Run code that parsed: (output text, error message for the LM or None); in the
        caller's `interpreter` if given, else in the sandbox."""
        if interpreter is not None:
            return run_in_interpreter(interpreter, code)
        run = self._sandbox.run(code)
        return run.output_text(), (None if run.ok else run.error)


def _check_factory(factory: Any, name: str) -> None:
    if factory is not None and not callable(factory):
        raise TypeError(
            f"ProgramOfThought: {name} must be a zero-argument callable returning an interpreter "
            f"(an object with execute(code)), got {factory!r}"
        )


def run_in_interpreter(interpreter: Any, code: str) -> tuple[str, str | None]:
    """Run `code` in a caller's interpreter: (output text, error message or None)."""
    try:
        result = interpreter.execute(code)
    except (CodeExecutionError, SyntaxError) as exc:  # back to the LM, as a sandbox's error
        return "", f"{type(exc).__name__}: {exc}"
    if isinstance(result, FinalOutput):
        result = result.output
    try:  # JSON, as DSPy shows every result to the LM
        return json.dumps(result, ensure_ascii=False), None
    except (TypeError, ValueError):
        return str(result), None


def _mode_signature(sig: type[Signature], mode: str) -> type[Signature]:
    """DSPy's three ProgramOfThought signatures (fields and instructions word for word)."""
    base = sig
    for name in sig.output_fields:
        base = base.delete(name)
    final_outputs = ", ".join(f"`{k}`" for k in sig.output_fields)
    if mode == "generate":
        fields = base.append("generated_code", OutputField(desc=CODE_DESC), type_=str)
    elif mode == "regenerate":
        fields = (
            base.append(
                "previous_code",
                InputField(desc="previously-generated python code that errored"),
                type_=str,
            )
            .append(
                "error",
                InputField(desc="error message from previously-generated python code"),
                type_=str,
            )
            .append("generated_code", OutputField(desc=CODE_DESC), type_=str)
        )
    else:
        fields = base.append("final_generated_code", InputField(desc=CODE_DESC), type_=str).append(
            "code_output", InputField(desc="output of previously-generated python code"), type_=str
        )
        for name, field in sig.output_fields.items():
            fields = fields.append(
                name, OutputField(desc=field.desc, prefix=field.prefix), type_=field.annotation
            )
    ins = ", ".join(f"`{k}`" for k in fields.input_fields)
    outs = ", ".join(f"`{k}`" for k in fields.output_fields)
    if mode == "generate":
        lines = [
            f"You will be given {ins} and you will respond with {outs}.",
            f"Generating executable Python code that programmatically computes the correct {outs}.",
            "After you're done with the computation and think you have the final output, make "
            "sure to submit your output by calling the preloaded function `SUBMIT()`.",
            'You must structure your output in a dict, like {"field_a": value_a, ...}, with the '
            f"correct value mapping for the field(s): {final_outputs}.",
        ]
    elif mode == "regenerate":
        lines = [
            f"You are given {ins} due to an error in previous code.",
            "Your task is to correct the error and provide the new `generated_code`.",
        ]
    else:
        lines = [f"Given the final code {ins}, provide the final {outs}."]
    return fields.with_instructions("\n".join(lines))
