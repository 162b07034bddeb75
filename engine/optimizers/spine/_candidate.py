"""Candidates (program states with a stable content hash) and stable example ids."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from engine.optimizers.spine._events import to_jsonable

HASH_LENGTH = 12


def canonical_json(value: Any) -> str:
    """Deterministic JSON text: sorted keys, no whitespace, unknown objects as str."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    """First 12 hex chars of the sha256 of `value`'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:HASH_LENGTH]


def example_id(example: Any) -> str:
    """A stable content hash of an Example: its inputs and labels (same data -> same id)."""
    items = dict(example.items()) if hasattr(example, "items") else dict(example)
    input_keys = getattr(example, "input_keys", None)
    inputs = sorted(input_keys) if input_keys is not None else sorted(items)
    return content_hash({"fields": items, "inputs": inputs})


@dataclass
class Candidate:
    """A program state (instructions + demos per predictor), its hash, parents and origin."""

    state: dict[str, Any]
    hash: str
    parents: list[str] = field(default_factory=list)
    origin: str = ""

    @classmethod
    def from_program(
        cls, program: Any, parents: list[str] | None = None, origin: str = ""
    ) -> Candidate:
        """The candidate for `program`'s current state (`program.dump_state()`), hashed on what
        reaches the model (`prompt_view`): programs whose prompts are the same are one
        candidate, so their rows are scored once."""
        state = to_jsonable(program.dump_state())
        return cls(state, content_hash(prompt_view(program, state)), list(parents or []), origin)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "parents": list(self.parents),
            "origin": self.origin,
            "state": self.state,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        return cls(
            data["state"], data["hash"], list(data.get("parents", [])), data.get("origin", "")
        )

    def demo_counts(self) -> dict[str, int]:
        """Demos per predictor path (a bare Predict's state is reported under "self")."""
        if "demos" in self.state and "signature" in self.state:
            return {"self": len(self.state.get("demos", []))}
        return {
            path: len(s.get("demos", [])) for path, s in self.state.items() if isinstance(s, dict)
        }


def prompt_view(program: Any, state: dict[str, Any]) -> dict[str, Any]:
    """`state` with each predictor's demos cut to its signature's fields, the only ones the
    adapters render: a bootstrapped demo (`augmented`) whose outputs equal the labels, or a
    labeled demo carrying columns the signature does not use, counts as the same demo."""
    view = dict(state)
    for path, predictor in program.named_predictors():
        if predictor is program:  # a bare Predict: the state is its own
            return _cut_demos(view, predictor)
        if isinstance(view.get(path), dict) and "demos" in view[path]:
            view[path] = _cut_demos(view[path], predictor)
    return view


def _cut_demos(predictor_state: dict[str, Any], predictor: Any) -> dict[str, Any]:
    names = predictor.signature.fields
    demos = [{n: d[n] for n in names if n in d} for d in predictor_state.get("demos", [])]
    return {**predictor_state, "demos": demos}
