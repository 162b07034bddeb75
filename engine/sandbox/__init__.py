"""Run LM-written Python in a separate, limited process (see docs/design/sandbox.md)."""

from engine.sandbox.limits import UNCONFINED_ENV, SandboxLimits, SandboxResult, SandboxUnavailable
from engine.sandbox.runner import Sandbox


def run_code(code: str, limits: SandboxLimits | None = None) -> SandboxResult:
    """Run `code` once in a fresh sandbox process."""
    return Sandbox(limits).run(code)


__all__ = [
    "UNCONFINED_ENV", "Sandbox", "SandboxLimits", "SandboxResult", "SandboxUnavailable", "run_code",
]  # fmt: skip
