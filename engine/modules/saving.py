"""Whole-program saving (`save(path, save_program=True)`, `engine.load(path)`) and pickled
state files, with the standard library's pickle (cloudpickle is not a dependency).

Signature classes built at run time (`"question -> answer"`) are saved by value; every other
class and function is saved by reference, so a program's own classes must be importable
(defined in a module, not only in `__main__` or a notebook cell) where the file is loaded.
"""

from __future__ import annotations

import contextvars
import io
import json
import logging
import pickle
import sys
import uuid
import weakref
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.core import Signature, build_signature
from engine.lm import LM
from engine.lm.lm_state import UNSAFE_LM_STATE_KEYS
from engine.modules import saved_versions as base_module

logger = logging.getLogger(__name__)


def serialize_object(obj: Any) -> Any:
    """`obj` with every pydantic model inside it (lists, tuples, dicts) dumped in JSON mode, as
    a predictor's saved demos hold them (DSPy's `dspy.predict.predict.serialize_object`)."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {key: serialize_object(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(serialize_object(item) for item in obj)
    return obj

# set by Module.load(allow_unsafe_lm_state=...): may a saved LM name a custom LM class
ALLOW_UNSAFE_LM_STATE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tunesmith_allow_unsafe_lm_state", default=False
)

PICKLE_WARNING = (
    "Loading untrusted .pkl files can run arbitrary code, which may be dangerous. To avoid this, "
    'prefer saving the state as JSON: module.save("module.json").'
)


def dependency_versions() -> dict[str, str]:
    """Written into saved files (`saved_versions`, looked up at each call)."""
    return base_module.get_dependency_versions()


def save_metadata() -> dict[str, Any]:
    return {"dependency_versions": dependency_versions(), "saved_by": "tunesmith"}


# run-time signature classes pickled in this process, by token: loading in the same process
# gives back the very class (as cloudpickle does for DSPy), so `loaded.signature == saved`
_SAVED_SIGNATURES: weakref.WeakValueDictionary[str, type] = weakref.WeakValueDictionary()
_SIGNATURE_TOKENS: weakref.WeakKeyDictionary[type, str] = weakref.WeakKeyDictionary()


def _signature_token(cls: type) -> str:
    token = _SIGNATURE_TOKENS.get(cls)
    if token is None:
        token = _SIGNATURE_TOKENS[cls] = uuid.uuid4().hex
        _SAVED_SIGNATURES[token] = cls
    return token


def _rebuild_signature(
    name: str, fields: tuple[Any, ...], instructions: str, token: str | None = None
) -> type:
    known = _SAVED_SIGNATURES.get(token) if token else None
    if known is not None and known._instructions == instructions:
        return known
    return build_signature(name, fields, instructions)


def _importable(cls: type) -> bool:
    module = sys.modules.get(cls.__module__)
    target: Any = module
    for part in cls.__qualname__.split("."):
        target = getattr(target, part, None)
    return target is cls


class _ProgramPickler(pickle.Pickler):
    """Pickles run-time signature classes by value (their fields and instructions)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type) and issubclass(obj, Signature) and not _importable(obj):
            fields = tuple(obj._fields.values())
            token = _signature_token(obj)
            return _rebuild_signature, (obj.__name__, fields, obj._instructions, token)
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """Pickle `obj` (a program or a state dict)."""
    buffer = io.BytesIO()
    _ProgramPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


# the first sentence of the refusal, as DSPy words it for each kind of file
WHOLE_PROGRAM = (
    "Loading with pickle is not allowed: a whole program is saved with pickle, and loading it "
    "can run arbitrary code, which may be dangerous."
)
PKL_STATE = "Loading .pkl files can run arbitrary code, which may be dangerous."


def load_pickle(path: Path, allow_pickle: bool, refusal: str) -> Any:
    """Unpickle `path`; without `allow_pickle`, raise ValueError starting with `refusal`."""
    if not allow_pickle:
        raise ValueError(
            f"{refusal} Prefer JSON state files where you can. Set `allow_pickle=True` if you "
            "are sure you trust the source of the file."
        )
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 (allowed explicitly by the caller)


def warn_versions(
    metadata: dict[str, Any] | None, current: dict[str, str] | None = None
) -> None:
    """Warn (never fail) when the file was saved with other versions than `current` (default:
    this environment's), as dspy does."""
    saved = (metadata or {}).get("dependency_versions") or {}
    current = dependency_versions() if current is None else current
    for key, version in saved.items():
        if key in current and current[key] != version:
            logger.warning(
                "There is a mismatch of %s version between the saved file (%s) and this "
                "environment (%s).", key, version, current[key]
            )  # fmt: skip


def save_program(program: Any, path: str | Path) -> None:
    """Write `program` whole into the directory `path`: program.pkl and metadata.json."""
    folder = Path(path)
    if folder.suffix:
        raise ValueError(
            "`path` must point to a directory without a suffix when `save_program=True`, but "
            f"received: {folder}"
        )
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"The path '{folder}' exists but is not a directory.")
    folder.mkdir(parents=True, exist_ok=True)
    base_module.logger.warning(PICKLE_WARNING)
    try:
        blob = dumps(program)
    except Exception as exc:
        raise RuntimeError(
            f"Saving failed with error: {exc}. Remove the attributes that cannot be pickled "
            "(lambdas, open clients) from the program, define its classes in an importable "
            "module, or save its state only with save_program=False."
        ) from exc
    (folder / "program.pkl").write_bytes(blob)
    (folder / "metadata.json").write_text(json.dumps(save_metadata(), indent=2) + "\n")


def load(
    path: str | Path, allow_pickle: bool = False, *, current_versions: dict[str, str] | None = None
) -> Any:
    """A program saved with `save(path, save_program=True)`. Needs `allow_pickle=True`.
    `current_versions`: what the saved versions are compared with (default: this
    environment's)."""
    folder = Path(path)
    if not allow_pickle:
        load_pickle(folder, False, WHOLE_PROGRAM)
    if not folder.exists():
        raise FileNotFoundError(f"The path '{folder}' does not exist.")
    metadata_file = folder / "metadata.json"
    if metadata_file.exists():
        warn_versions(json.loads(metadata_file.read_text()), current_versions)
    return load_pickle(folder / "program.pkl", True, WHOLE_PROGRAM)


def lm_from_saved(state: Any) -> Any:
    """The LM a predictor's saved state names, or None to keep the predictor's own: when the
    entry names no model (None, or a marker such as SIMBA's rollout settings) or a custom LM
    class that `allow_unsafe_lm_state` does not allow (a warning; DSPy raises there)."""
    if not isinstance(state, dict) or not state.get("model"):
        return None
    dropped = [key for key in UNSAFE_LM_STATE_KEYS if state.get(key)]
    if dropped:
        logger.warning(
            "A saved LM state names endpoint or credential settings %s; they are not restored "
            "(set them on the LM in code for files you trust).",
            dropped,
        )
    try:
        return LM.load_state(state, allow_custom_lm_class=ALLOW_UNSAFE_LM_STATE.get())
    except ValueError as exc:
        logger.warning("%s The predictor keeps its current LM.", exc)
        return None
