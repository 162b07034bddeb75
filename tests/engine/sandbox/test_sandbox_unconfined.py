"""Issue 62 item 10: where the kernel offers no Landlock or seccomp, LM-written code does not run
unless the user opted in knowingly (TUNESMITH_SANDBOX_UNCONFINED=1); the refusal says why.

The kernel layers are made unavailable the real way: the sandbox child runs under a Python
whose own seccomp filter answers ENOSYS to Landlock and EINVAL to seccomp (old_kernel.py), so
the child's probes fail as on an old kernel. Nothing in the engine is patched."""

from __future__ import annotations

import time

import pytest
from old_kernel import old_kernel_python

import engine as dspy
from engine.lm import ScriptedLM
from engine.sandbox import UNCONFINED_ENV, Sandbox, SandboxLimits, SandboxUnavailable

LIMITS = SandboxLimits(cpu_seconds=12, wall_seconds=20.0)
SLEEPER = "import time\ntime.sleep(8)\nSUBMIT(42)"  # had it run, the call took 8 s or more


def code(text: str) -> dict:
    return {"reasoning": "Compute it.", "generated_code": text}


def test_program_of_thought_code_does_not_run_and_the_refusal_says_why(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv(UNCONFINED_ENV, raising=False)
    sandbox = Sandbox(LIMITS, python=old_kernel_python(tmp_path))
    lm = ScriptedLM(answers=[code(SLEEPER), code("SUBMIT(1)"), {"reasoning": "r", "answer": "42"}])
    pot = dspy.ProgramOfThought("question -> answer", sandbox=sandbox)
    started = time.monotonic()
    with dspy.context(lm=lm), pytest.raises(SandboxUnavailable) as info:
        pot(question="What is 6 * 7?")
    assert time.monotonic() - started < 8  # the code's sleep never happened
    assert len(lm.history) == 1  # no second attempt: asking the LM again cannot help
    message = str(info.value)
    assert message.startswith("The code was not run: this machine's kernel cannot confine it")
    assert "Landlock is not available in this kernel" in message and "seccomp" in message
    assert "switch off the sandbox's in-process guard" in message
    assert f"set {UNCONFINED_ENV}=1 (docs/design/sandbox.md)" in message
    monkeypatch.setenv(UNCONFINED_ENV, "yes")  # only "1" opts in
    with pytest.raises(SandboxUnavailable):
        sandbox.run("SUBMIT(1)")


def test_with_the_opt_in_the_code_runs_under_the_audit_hook(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(UNCONFINED_ENV, "1")
    sandbox = Sandbox(LIMITS, python=old_kernel_python(tmp_path))
    lm = ScriptedLM(answers=[code("SUBMIT(6 * 7)"), {"reasoning": "r", "answer": "42"}])
    with dspy.context(lm=lm):
        pred = dspy.ProgramOfThought("question -> answer", sandbox=sandbox)(question="6 * 7?")
    assert pred.answer == "42" and pred.attempts[0]["output"] == "42"
    result = sandbox.run("open('/etc/passwd')")
    assert not result.os_enforced and result.kind == "refused"  # the hook, and only the hook


def test_layers_left_out_on_purpose_still_run() -> None:
    """`Sandbox(layers=...)` is the programmer's explicit choice (tests, diagnosis)."""
    result = Sandbox(LIMITS, layers=("audit-hook",)).run("SUBMIT(3)")
    assert result.ok and result.result == 3
