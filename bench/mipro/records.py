"""The MIPROv2 bench's records: a compile setup, calls by role, and one framework's outcome.

Plain data (no dspy, no engine), so the report can be rebuilt from a saved `--json` file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench.core.meter import Phase, phase_from
from bench.core.parsing import peer_of

ROLES = ("task", "proposer")


@dataclass(frozen=True)
class Setup:
    """One compile setup, run by both frameworks: the proposer LM's max_tokens, MIPROv2's
    init_temperature (the proposer's sampling temperature), the proposer flags, and (DSPy only)
    whether its prompt model's replies are parsed leniently (bench/mipro/adapter.py); the rest are
    the command's settings, the same for every setup."""

    key: str
    title: str
    proposer_max_tokens: int
    init_temperature: float = 1.0
    program_aware: bool = True
    data_aware: bool = True
    lenient_proposer: bool = False

    def describe(self) -> str:
        flags = [
            f"proposer LM max_tokens={self.proposer_max_tokens}",
            f"init_temperature={self.init_temperature}",
            f"program_aware_proposer={self.program_aware}",
            f"data_aware_proposer={self.data_aware}",
            "DSPy's prompt-model replies: "
            + ("parsed leniently (LenientProposerParse)" if self.lenient_proposer
               else "parsed as its adapter parses them"),
        ]
        return ", ".join(flags)

    def compile_flags(self) -> dict[str, bool]:
        """The compile() keywords this setup sets in both frameworks."""
        return {
            "program_aware_proposer": self.program_aware,
            "data_aware_proposer": self.data_aware,
        }

    def tunesmith_key(self) -> tuple[float, bool, bool]:
        """What reaches Tunesmith's run: its proposer sets max_tokens per call (160 tokens) and
        reads plain-text replies, so setups that differ only in the proposer LM's max_tokens or
        DSPy's adapter are the same run there."""
        return (self.init_temperature, self.program_aware, self.data_aware)


@dataclass
class RoleUsage:
    """LM calls and tokens of one role (task or proposer), as the framework counted them."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __sub__(self, other: RoleUsage) -> RoleUsage:
        return RoleUsage(
            self.calls - other.calls,
            self.prompt_tokens - other.prompt_tokens,
            self.completion_tokens - other.completion_tokens,
        )


def role_delta(after: dict[str, RoleUsage], before: dict[str, RoleUsage]) -> dict[str, RoleUsage]:
    """Per-role usage between two readings."""
    return {r: after.get(r, RoleUsage()) - before.get(r, RoleUsage()) for r in ROLES}


@dataclass
class MiproOutcome:
    """One framework's MIPROv2 run in one setup: compile (maybe failed), then held-out score."""

    framework: str
    setup: str  # Setup.key; "zero-shot" for the uncompiled baseline
    accuracy: float | None  # held-out percent; None when the compile failed
    compile: Phase
    evaluate: Phase
    roles: dict[str, RoleUsage] = field(default_factory=dict)  # compile phase, by role
    demos: int = 0
    instructions: list[str] = field(default_factory=list)  # the chosen instruction per predictor
    failure: str | None = None  # "<ErrorType>: <message>" when the compile raised
    failure_tail: str = ""  # the traceback's last lines
    notes: str = ""
    peer: str = ""  # DSPy's configuration (bench/core/peer.py); "" for Tunesmith
    rows: list[list[float]] = field(default_factory=list)  # held-out [parsed, score] per row

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def total_wall(self) -> float:
        return self.compile.wall + self.evaluate.wall

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def outcome_from(data: dict[str, Any]) -> MiproOutcome:
    """A MiproOutcome back from its saved dict."""
    return MiproOutcome(
        framework=data["framework"],
        setup=data["setup"],
        accuracy=data["accuracy"],
        compile=phase_from(data["compile"]),
        evaluate=phase_from(data["evaluate"]),
        roles={r: RoleUsage(**u) for r, u in data.get("roles", {}).items()},
        demos=data.get("demos", 0),
        instructions=list(data.get("instructions", [])),
        failure=data.get("failure"),
        failure_tail=data.get("failure_tail", ""),
        notes=data.get("notes", ""),
        peer=peer_of(data),
        rows=data.get("rows", []),
    )


def setup_from(data: dict[str, Any]) -> Setup:
    return Setup(**data)
