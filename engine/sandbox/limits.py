"""What one sandboxed run may use, and what it gives back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.core import TunesmithError

UNCONFINED_ENV = "TUNESMITH_SANDBOX_UNCONFINED"  # "1": run code where the kernel cannot confine it


class SandboxUnavailable(TunesmithError, RuntimeError):
    """The kernel could not confine the code (no Landlock or seccomp) and the user did not opt
    in to the audit hook alone (`TUNESMITH_SANDBOX_UNCONFINED=1`): the code did not run."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one run. CPU and wall clock in seconds, sizes in megabytes unless
    the name says KB. `max_reply_kb` and `max_stderr_kb` cap what the parent reads from the
    child's reply pipe and stderr: past them the child is killed (kind "output")."""

    cpu_seconds: int = 2
    wall_seconds: float = 5.0
    memory_mb: int = 256
    file_size_mb: int = 8
    open_files: int = 32
    max_output_chars: int = 20_000
    max_reply_kb: int = 1024
    max_stderr_kb: int = 64

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"SandboxLimits.{name} must be a positive number, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SandboxResult:
    """One run: `ok`, captured `stdout`, the `result` value (SUBMIT(...) or the last
    expression), and on failure `kind` (error, refused, cpu, memory, timeout, output, crash)
    and `error`, a message meant for the LM and the user.

    `layers`: the confinement the child reported before the code ran (e.g. "landlock-fs (ABI
    7)", "landlock-net", "landlock-scope", "seccomp", "rlimits", "uid-nobody", "audit-hook");
    `warnings`: what the kernel did not offer. `os_enforced` is True when the file and
    process/network rules were enforced by the kernel (Landlock and seccomp), not only by the
    audit hook inside the child."""

    ok: bool
    stdout: str = ""
    result: Any = None
    has_result: bool = False
    kind: str = "ok"
    error: str = ""
    seconds: float = 0.0
    refusals: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def os_enforced(self) -> bool:
        return "seccomp" in self.layers and any(
            layer.startswith("landlock-fs") for layer in self.layers
        )

    def output_text(self) -> str:
        """What the code produced, as text: its printed output, then its result value."""
        import json

        parts = [self.stdout.strip()] if self.stdout.strip() else []
        if self.has_result:
            value = self.result
            parts.append(value if isinstance(value, str) else json.dumps(value, default=repr))
        return "\n".join(parts)
