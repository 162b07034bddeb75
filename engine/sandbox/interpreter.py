"""`PythonInterpreter`: DSPy's name and call shape for running code, on Tunesmith's sandbox.

DSPy 3 runs the code in Deno + Pyodide; Tunesmith runs it in a separate, limited Python
process (engine/sandbox: the kernel, through Landlock and a seccomp filter, allows no files
outside its folder, no network, no processes; CPU, memory, output and wall-clock limits).
`PythonInterpreter({}).execute("9362158 / 1653")` works as in the DSPy seeds; host-side tools
inside the code are not offered (the sandbox has no way back to them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from engine.core import TunesmithError, settings
from engine.sandbox import Sandbox, SandboxLimits


class CodeInterpreterError(TunesmithError, RuntimeError):
    """An interpreter's error. A bare one is a failure the code cannot repair (the interpreter's
    set-up or process): ProgramOfThought stops on it. `CodeExecutionError` is the code's own."""


class CodeExecutionError(CodeInterpreterError):
    """The submitted code failed, or hit a sandbox limit or refusal; the message says which.
    ProgramOfThought shows it to the LM, which may write new code (DSPy's split)."""


class FinalOutput:
    """What an interpreter's `execute` returns when the code called `SUBMIT(...)` (DSPy's
    protocol): `output` is the submitted value."""

    def __init__(self, output: Any) -> None:
        self.output = output

    def __repr__(self) -> str:
        return f"FinalOutput({self.output!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FinalOutput) and other.output == self.output

    __hash__ = None  # type: ignore[assignment]  (mutable output)


@runtime_checkable
class CodeInterpreter(Protocol):
    """What runs code for ProgramOfThought and CodeAct (DSPy's protocol): `tools`, `start()`,
    `execute(code, variables=None)` and `shutdown()`."""

    @property
    def tools(self) -> dict[str, Callable[..., Any]]: ...

    def start(self) -> None: ...

    def execute(self, code: str, variables: dict[str, Any] | None = None) -> Any: ...

    def shutdown(self) -> None: ...


class PythonInterpreter:
    """Run Python in the sandbox: `execute(code, variables=None)` returns the value of the
    last expression (or `SUBMIT(...)`'s), else the printed output, else None.

    `deno_command` and the `enable_*` options are accepted for DSPy compatibility and must be
    left empty: the sandbox grants no reads, writes, environment or network beyond its own
    temporary folder. DSPy's `sync_files`, `output_fields` and `callbacks` are accepted and
    change nothing here (no files are shared); any other keyword is a TypeError, as in DSPy."""

    def __init__(
        self,
        deno_command: Any = None,
        enable_read_paths: list[Any] | None = None,
        enable_write_paths: list[Any] | None = None,
        enable_env_vars: list[str] | None = None,
        enable_network_access: list[str] | None = None,
        sync_files: bool = True,
        tools: dict[str, Any] | None = None,
        output_fields: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        limits: SandboxLimits | None = None,
    ) -> None:
        granted = {
            "enable_read_paths": enable_read_paths,
            "enable_write_paths": enable_write_paths,
            "enable_env_vars": enable_env_vars,
            "enable_network_access": enable_network_access,
            "tools": tools,
        }
        asked = sorted(name for name, value in granted.items() if value)
        if asked:
            raise ValueError(
                f"PythonInterpreter: {', '.join(asked)} not supported; Tunesmith's sandbox runs "
                "code with no access outside its temporary folder and no host tools"
            )
        self.sandbox = Sandbox(limits)

    def execute(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        """Run `code` (after assigning `variables`, which must be JSON values) in a fresh
        sandbox process. Raises CodeInterpreterError with the sandbox's message on failure."""
        if not isinstance(code, str):
            raise TypeError(f"execute takes the code as a str, got {type(code).__name__}")
        prelude = "".join(
            f"{_identifier(name)} = json.loads({json.dumps(json.dumps(value))})\n"
            for name, value in (variables or {}).items()
        )
        if prelude:
            prelude = "import json\n" + prelude
        result = self.sandbox.run(prelude + code)
        if not result.ok:
            raise CodeExecutionError(result.error)
        if result.has_result:
            return result.result
        return result.stdout or None

    def __call__(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        return self.execute(code, variables)

    @property
    def tools(self) -> dict[str, Callable[..., Any]]:
        """Host-side tools code may call: none (the sandbox has no way back to the host)."""
        return {}

    def start(self) -> None:
        """Nothing to start: each `execute` starts its own sandbox process."""

    def shutdown(self) -> None:
        """Nothing to stop: each `execute` runs in its own short-lived process."""

    def __enter__(self) -> PythonInterpreter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _identifier(name: str) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"PythonInterpreter: variable name {name!r} is not a Python identifier")
    return name


def resolve_interpreter_factory(
    factory: Callable[[], Any] | None = None,
) -> Callable[[], Any]:
    """The factory of the next interpreter: `factory` unless None or PythonInterpreter, then
    `settings.interpreter_factory`, then PythonInterpreter (the sandbox)."""
    if factory is not None and factory is not PythonInterpreter:
        return factory
    configured = settings.interpreter_factory
    if configured is None:
        return PythonInterpreter
    if not callable(configured):
        raise TypeError(
            "settings.interpreter_factory must be a zero-argument callable returning an "
            f"interpreter (an object with execute(code)), got {configured!r}"
        )
    return configured
