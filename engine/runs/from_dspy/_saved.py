"""A program saved by DSPy 3.x (`program.save("x.json")`) read as data: per predictor, its
instructions, its fields' (prefix, description) in saved order, and its demos."""

from __future__ import annotations

import json
from typing import Any

from engine.runs.from_dspy._shapes import ImportProblem, SavedPredictor

_NOT_DSPY = (
    "{name} is not a program saved by DSPy: {why}. Save it in DSPy with "
    "program.save('program.json') (state only, JSON)"
)


def read_saved(text: str | bytes, name: str = "the saved program") -> list[SavedPredictor]:
    """Each predictor of a saved program, in saved order; ImportProblem when it is not one."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = f"it is not JSON ({getattr(exc, 'msg', exc)}, line {getattr(exc, 'lineno', '?')})"
        raise ImportProblem(_NOT_DSPY.format(name=name, why=why)) from None
    if not isinstance(data, dict):
        why = f"it holds a {type(data).__name__}, not a mapping of predictors"
        raise ImportProblem(_NOT_DSPY.format(name=name, why=why))
    _check_version(data.get("metadata"), name)
    entries = {k: v for k, v in data.items() if k != "metadata"}
    if not entries:
        raise ImportProblem(_NOT_DSPY.format(name=name, why="it holds no predictors"))
    return [_predictor(key, value, name) for key, value in entries.items()]


def _check_version(metadata: Any, name: str) -> None:
    versions = metadata.get("dependency_versions") if isinstance(metadata, dict) else None
    version = str((versions or {}).get("dspy") or "")
    if version and not version.split(".")[0].isdigit():
        return
    if version and int(version.split(".")[0]) < 3:
        raise ImportProblem(
            f"{name} was saved by DSPy {version}; Tunesmith reads programs saved by DSPy 3. "
            "Load it in DSPy 3 and save it again"
        )


def _predictor(key: str, value: Any, name: str) -> SavedPredictor:
    where = f"{name}, entry {key!r}"
    if not isinstance(value, dict) or "signature" not in value or "demos" not in value:
        keys = ", ".join(map(str, value)) if isinstance(value, dict) else type(value).__name__
        raise ImportProblem(
            f"{where} is not a predictor's state (it holds {keys or 'nothing'}; a predictor "
            "holds demos and signature). Tunesmith brings in Predict and ChainOfThought steps"
        )
    signature, demos = value["signature"], value["demos"]
    fields = signature.get("fields") if isinstance(signature, dict) else None
    instructions = signature.get("instructions") if isinstance(signature, dict) else None
    if not isinstance(fields, list) or not isinstance(instructions, str):
        raise ImportProblem(f"{where}: its signature has no instructions and fields list")
    pairs = []
    for field in fields:
        if not isinstance(field, dict):
            raise ImportProblem(f"{where}: a saved field is not a mapping")
        pairs.append((str(field.get("prefix") or ""), str(field.get("description") or "")))
    if not isinstance(demos, list) or not all(isinstance(d, dict) for d in demos):
        raise ImportProblem(f"{where}: its demos are not a list of examples")
    lm = value.get("lm")
    model = str(lm.get("model") or "") if isinstance(lm, dict) else ""
    return SavedPredictor(key, instructions, pairs, demos, model)
