"""The MIPROv2 bench's runners: MIPROv2 auto="light" in Tunesmith and in DSPy 3.4.1.

They extend the few-shot runners (same task LM, data, evaluation and phase meter) with a
proposer LM of their own (the same model, a separate LM object), LM calls and tokens by role,
and a compile that may fail: the failure is recorded with the calls and seconds it cost, and
the held-out evaluation is skipped.

Imported by bench/mipro/__main__.py after
`bench.core.common.isolate_caches()`; import it the same way elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
import traceback
from typing import Any

import dspy

import engine as ts
from bench.core.data import MODEL, Split, exact_match
from bench.core.meter import ModelMeter, Phase
from bench.core.peer import configured
from bench.core.runners import DSPy, Tunesmith
from bench.mipro.adapter import LenientProposerParse
from bench.mipro.records import ROLES, MiproOutcome, RoleUsage, Setup, role_delta

MAX_ERRORS = 1_000_000  # a failed example scores 0 in both (as in the few-shot bench)
TAIL_FRAMES = 8  # innermost traceback frames kept for a failed compile


# -- shared by both ---------------------------------------------------------------------------
class MiproRunner:
    """The MIPROv2 run of one framework; mixed in after the few-shot runner of that framework,
    which provides `name`, `phase()` and `evaluate()`."""

    name: str
    config: str
    phase: Any
    evaluate: Any
    last_marks: list[list[float]]
    peer_context: Any

    def setup_context(self, setup: Any) -> contextlib.AbstractContextManager[Any]:
        """What a setup's compile and evaluation run in (DSPy: its adapter configuration)."""
        return self.peer_context()

    def roles(self) -> dict[str, RoleUsage]:
        raise NotImplementedError

    def mipro(self, setup: Setup) -> tuple[Any, list[str], str]:
        """Compile with MIPROv2 in `setup`: (program, chosen instructions, notes)."""
        raise NotImplementedError

    def optimize(self, setup: Any) -> tuple[Any, list[str], str]:
        """The compile `run_setup` times: MIPROv2 here; the GEPA bench's runners override it."""
        return self.mipro(setup)

    def new_outcome(self, setup: Any) -> MiproOutcome:
        """The record `run_setup` fills in; the GEPA bench's runners return a larger one."""
        return MiproOutcome(self.name, setup.key, None, Phase(), Phase(), peer=self.config)

    def run_setup(self, setup: Any) -> MiproOutcome:
        """Compile in `setup` (a failure is caught and recorded), then score held-out."""
        outcome = self.new_outcome(setup)
        before = self.roles()
        program = None
        with self.setup_context(setup):
            with self.phase(outcome.compile):
                try:
                    program, outcome.instructions, outcome.notes = self.optimize(setup)
                except Exception as exc:  # noqa: BLE001 - a failed compile is a result here
                    outcome.failure = f"{type(exc).__name__}: {one_line(str(exc))}"
                    outcome.failure_tail = traceback_tail(exc)
            outcome.roles = role_delta(self.roles(), before)
            if program is not None:
                with self.phase(outcome.evaluate):
                    outcome.accuracy = self.evaluate(program)
                outcome.rows = self.last_marks
                outcome.demos = sum(len(p.demos) for p in program.predictors())
        return outcome


def traceback_tail(exc: BaseException) -> str:
    """The innermost frames (file:line in function) and the error's type and first line."""
    frames = traceback.extract_tb(exc.__traceback__)[-TAIL_FRAMES:]
    lines = [f"{f.filename.split('site-packages/')[-1]}:{f.lineno} in {f.name}" for f in frames]
    lines.append(f"{type(exc).__name__}: {one_line(str(exc), 160)}")
    return "\n".join(lines)


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- Tunesmith --------------------------------------------------------------------------------
class TunesmithMipro(Tunesmith, MiproRunner):
    """Tunesmith's MIPROv2; its proposer calls carry the role "proposer" in the LM ledger."""

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        Tunesmith.__init__(self, split, args, meter, signature)
        self.proposers: list[Any] = []

    def all_lms(self) -> list[Any]:
        return [self.lm, *self.proposers]

    def counters(self) -> tuple[int, int]:
        totals = [lm.ledger.totals() for lm in self.all_lms()]
        return sum(t.calls for t in totals), sum(t.total_tokens for t in totals)

    def roles(self) -> dict[str, RoleUsage]:
        out = {role: RoleUsage() for role in ROLES}
        for lm in self.all_lms():
            for role, t in lm.ledger.by_role().items():
                usage = out.setdefault(role, RoleUsage())
                usage.calls += t.calls
                usage.prompt_tokens += t.prompt_tokens
                usage.completion_tokens += t.completion_tokens
        return out

    def mipro(self, setup: Setup) -> tuple[Any, list[str], str]:
        a = self.args
        proposer = ts.LM(MODEL, temperature=0.0, max_tokens=setup.proposer_max_tokens, cache=False)
        self.proposers.append(proposer)
        optimizer = ts.MIPROv2(
            metric=exact_match,
            prompt_model=proposer,
            auto="light",
            max_bootstrapped_demos=a.max_bootstrapped,
            max_labeled_demos=a.max_labeled,
            num_threads=a.threads,
            max_errors=MAX_ERRORS,
            seed=a.mipro_seed,
            init_temperature=setup.init_temperature,
        )
        program = optimizer.compile(
            self.student(),
            trainset=self.train,
            valset=self.val,
            requires_permission_to_run=False,
            **setup.compile_flags(),
        )
        return program, instructions_of(program), tunesmith_notes(program.result)


def tunesmith_notes(result: Any) -> str:
    """Trials by subset, best validation score, what the proposer's cleaning kept."""
    subsets: dict[str, int] = {}
    for trial in result.trials:
        subsets[trial.subset] = subsets.get(trial.subset, 0) + 1
    trials = ", ".join(f"{n} {subset}" for subset, n in sorted(subsets.items()))
    cleaning = [e.data.get("cleaning", {}) for e in result.events if e.type == "proposals"]
    kept = sum(int(c.get("kept", 0)) for c in cleaning)
    proposed = sum(int(c.get("proposed", 0)) for c in cleaning)
    best = "?" if result.best_score is None else f"{100 * result.best_score:.1f}%"
    return (
        f"trials: {trials}; best val {best}; proposals kept {kept} of {proposed} "
        f"(the original instruction is candidate 0)"
    )


# -- DSPy -------------------------------------------------------------------------------------
class RoleTally:
    """Calls and tokens per role, added to by every RoleLM (and every copy of one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._roles: dict[str, RoleUsage] = {role: RoleUsage() for role in ROLES}

    def add(self, role: str, usage: dict[str, Any]) -> None:
        with self._lock:
            out = self._roles.setdefault(role, RoleUsage())
            out.calls += 1
            out.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            out.completion_tokens += int(usage.get("completion_tokens") or 0)

    def read(self) -> dict[str, RoleUsage]:
        with self._lock:
            return {r: RoleUsage(u.calls, u.prompt_tokens, u.completion_tokens)
                    for r, u in self._roles.items()}  # fmt: skip


class RoleLM(dspy.LM):
    """A `dspy.LM` that also adds each call it records to a shared tally under its role.

    DSPy's proposer sends its instruction calls through copies of the prompt model
    (`prompt_model.copy(rollout_id=..., temperature=...)`), and a copy starts with an empty
    `history`, so the prompt model's own `history` misses them; a copy keeps `role` and the
    tally, so the tally counts them.
    """

    def __init__(self, *args: Any, role: str, tally: RoleTally, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role, self.tally = role, tally

    def update_history(self, entry: dict[str, Any]) -> None:
        super().update_history(entry)
        self.tally.add(self.role, entry.get("usage") or {})


class DSPyMipro(DSPy, MiproRunner):
    """DSPy 3.4.1's MIPROv2, with a separate `dspy.LM` (same model) as prompt_model."""

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        DSPy.__init__(self, split, args, meter, signature)
        self.tally = RoleTally()
        self.lm = RoleLM(
            MODEL, engine="litellm", temperature=0.0, max_tokens=args.max_tokens, cache=False,
            role="task", tally=self.tally,
        )  # fmt: skip
        dspy.configure(lm=self.lm, max_errors=MAX_ERRORS)

    def counters(self) -> tuple[int, int]:
        roles = self.tally.read().values()
        spent = sum(u.prompt_tokens + u.completion_tokens for u in roles)
        return sum(u.calls for u in roles), spent

    def roles(self) -> dict[str, RoleUsage]:
        return self.tally.read()

    def setup_context(self, setup: Any) -> contextlib.AbstractContextManager[Any]:
        """The run's configuration; its prompt model parsed leniently where the setup says."""
        lenient = getattr(setup, "lenient_proposer", False)
        return configured(self.config, (LenientProposerParse,) if lenient else ())

    def mipro(self, setup: Setup) -> tuple[Any, list[str], str]:
        a = self.args
        proposer = RoleLM(
            MODEL, engine="litellm", temperature=0.0, max_tokens=setup.proposer_max_tokens,
            cache=False, role="proposer", tally=self.tally,
        )  # fmt: skip
        optimizer = dspy.MIPROv2(
            metric=exact_match,
            prompt_model=proposer,
            auto="light",
            max_bootstrapped_demos=a.max_bootstrapped,
            max_labeled_demos=a.max_labeled,
            num_threads=a.threads,
            max_errors=MAX_ERRORS,
            seed=a.mipro_seed,
            init_temperature=setup.init_temperature,
        )
        with contextlib.redirect_stdout(sys.stderr):  # the adapter: setup_context()
            program = optimizer.compile(
                self.student(),
                trainset=self.train,
                valset=self.val,
                requires_permission_to_run=False,
                **setup.compile_flags(),
            )
        return program, instructions_of(program), dspy_notes(program)


def dspy_notes(program: Any) -> str:
    """Full and minibatch evaluations DSPy logged, and its best full score."""
    full = len(getattr(program, "candidate_programs", []) or [])
    minibatch = len(getattr(program, "mb_candidate_programs", []) or [])
    score = getattr(program, "score", None)
    best = "?" if score is None else f"{float(score):.1f}%"
    return f"{full} full evaluations, {minibatch} minibatch evaluations logged; best val {best}"


def instructions_of(program: Any) -> list[str]:
    """The instruction of each predictor (Tunesmith and DSPy name it the same way)."""
    return [str(p.signature.instructions) for p in program.predictors()]


def progress(outcome: MiproOutcome) -> MiproOutcome:
    """One line per finished run, on stdout."""
    stamp = time.strftime("%H:%M:%S")
    compile_part = (
        f"FAILED after {outcome.compile.calls} calls / {outcome.compile.wall:.1f}s: "
        f"{outcome.failure}"
        if outcome.failed
        else f"compile {outcome.compile.calls} calls {outcome.compile.wall:.1f}s"
    )
    accuracy = "n/a" if outcome.accuracy is None else f"{outcome.accuracy:.1f}%"
    roles = ", ".join(f"{r} {u.calls}" for r, u in outcome.roles.items())
    print(
        f"[{stamp}] {outcome.framework:>10} [{outcome.setup}] acc {accuracy}, {compile_part} "
        f"({roles}), eval {outcome.evaluate.calls} calls {outcome.evaluate.wall:.1f}s",
        flush=True,
    )
    return outcome
