"""SIMBA's program variants and its pool of kept programs.

A variant is a kept program run with a different LM setting: rollout `i` of its LM, sampled at
a temperature (or the teacher LM). The trial runner caches rows per candidate hash, and a
program's hash comes from its state (instructions + demos), so a variant must carry its LM
setting in its state or it would share the program's rows. `RolloutVariant` records it where
DSPy's saved state keeps a predictor's own LM: each predictor's `"lm"` entry (None for plain
programs) becomes `{"rollout_id": i, "temperature": t}`. Loading that state gives back the plain
program (`"lm"` is never read), so a variant can never leak into a result.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.modules.module import Module
from engine.modules.predict import resolve_lm
from engine.optimizers.spine import Candidate

DEFAULT_ROLLOUT_TEMPERATURE = 1.0  # DSPy's SIMBA samples its rollouts at 1.0


def rollout_temperature(lm: Any) -> float:
    """The LM's own temperature when it samples, else DSPy's 1.0 (greedy would repeat itself)."""
    own = (getattr(lm, "kwargs", None) or {}).get("temperature")
    return float(own) if own else DEFAULT_ROLLOUT_TEMPERATURE


class RolloutVariant(Module):
    """`program` with every predictor calling `lm_for(its LM)`; `marker` (a small dict naming
    the setting) goes into each predictor state's "lm" entry. Predictor paths are the
    program's own, so traces and demos read the same as the program's."""

    runs_without_backtracking = True  # the wrapped program handles its own constraints

    def __init__(self, program: Any, marker: dict[str, Any], lm_for: Callable[[Any], Any]):
        # the candidate it varies (its own hash differs: its predictors carry another LM)
        self.source_hash = Candidate.from_program(program).hash
        self.program = program.deepcopy()
        for predictor in self.program.predictors():
            predictor.lm = lm_for(resolve_lm(predictor.lm))
        self.marker = dict(marker)

    @classmethod
    def rollout(cls, program: Any, rollout_id: int) -> RolloutVariant:
        """Rollout `rollout_id` of each predictor's LM, at `rollout_temperature` of that LM."""

        def lm_for(lm: Any) -> Any:
            return lm.copy(rollout_id=rollout_id, temperature=rollout_temperature(lm))

        probe = resolve_lm(program.predictors()[0].lm) if program.predictors() else None
        temperature = rollout_temperature(probe)
        return cls(program, {"rollout_id": rollout_id, "temperature": temperature}, lm_for)

    @classmethod
    def teacher(cls, program: Any, lm: Any) -> RolloutVariant:
        """Every predictor calls the teacher `lm` (DSPy: `teacher_settings={"lm": ...}`)."""
        return cls(program, {"teacher": getattr(lm, "model", type(lm).__name__)}, lambda _: lm)

    def forward(self, **kwargs: Any) -> Any:
        return self.program(**kwargs)

    def named_predictors(self) -> list[tuple[str, Any]]:
        return self.program.named_predictors()

    def named_parameters(self) -> list[tuple[str, Any]]:
        return self.program.named_parameters()

    def dump_state(self) -> dict[str, Any]:
        state = self.program.dump_state()
        if "signature" in state and "demos" in state:  # a bare Predict
            return {**state, "lm": dict(self.marker)}
        paths = {path for path, _ in self.program.named_predictors()}
        return {
            path: {**part, "lm": dict(self.marker)} if path in paths else part
            for path, part in state.items()
        }


@dataclass(eq=False)
class Kept:
    """A program SIMBA keeps: its hash, how it was made and its scores seen so far."""

    program: Any
    hash: str
    origin: str
    scores: dict[str, float] = field(default_factory=dict)  # example id -> score

    @property
    def score(self) -> float:
        return sum(self.scores.values()) / len(self.scores) if self.scores else 0.0


class ProgramPool:
    """The programs kept so far (entry 0: the student). A program's score is the mean of its
    rows in the trials seen so far in this run, so a resumed run (which replays the same
    trials in the same order) ranks programs exactly as the first attempt did."""

    def __init__(self) -> None:
        self.entries: list[Kept] = []
        self._by_hash: dict[str, Kept] = {}

    def add(self, program: Any, cand_hash: str, origin: str) -> Kept:
        if cand_hash in self._by_hash:
            return self._by_hash[cand_hash]
        entry = Kept(program, cand_hash, origin)
        self.entries.append(entry)
        self._by_hash[cand_hash] = entry
        return entry

    def get(self, cand_hash: str) -> Kept | None:
        return self._by_hash.get(cand_hash)

    def observe(self, trial: Any) -> None:
        """Count a trial's rows toward its candidate's score (if the candidate is kept)."""
        entry = self._by_hash.get(trial.candidate)
        if entry is not None:
            entry.scores.update(trial.example_scores)

    def top(self, k: int) -> list[Kept]:
        """The k best kept programs by score (ties: the older first), the student always in."""
        ranked = sorted(self.entries, key=lambda e: -e.score)[: max(1, k)]
        if self.entries and self.entries[0] not in ranked:
            ranked[-1] = self.entries[0]
        return ranked

    def sample(self, rng: random.Random, k: int, temperature: float) -> Kept:
        """One of the top k, drawn with softmax(score / temperature) weights."""
        entries = self.top(k)
        scores = [e.score / max(temperature, 1e-6) for e in entries]
        weights = [math.exp(s - max(scores)) for s in scores]
        return rng.choices(entries, weights=weights, k=1)[0]
