"""Names a spec may use: field types, module types, metrics, and the names a step or field
must not take (optimizer names live in `engine.optimizers.registry`)."""

from __future__ import annotations

import keyword
import unicodedata

from engine.core import RESERVED_NAMES

# metrics scored by an LM (models.judge, else the task model)
LLM_METRIC_KINDS = ("judge", "semantic_f1")
METRIC_KINDS = ("exact", "normalized", "contains", "f1", "numeric", "regex", *LLM_METRIC_KINDS)

# attributes of the generated Pipeline module that a step (stored as an attribute) must not hide
RESERVED_STEP_NAMES = frozenset(
    {
        "forward", "steps", "step_names", "named_predictors", "named_sub_modules", "predictors",
        "deepcopy", "reset_copy", "set_lm", "get_lm", "batch", "dump_state", "load_state", "save",
        "load", "spec", "lm", "demos", "signature", "config", "reasoning",
    }
)  # fmt: skip
# field names the exported Python uses itself (a field of that name would hide it there)
_CODE_NAMES = {
    "self": "the exported program's forward() and every module call take their own `self`",
    "dspy": "the exported Python imports the engine (or DSPy) under that name",
    "base": "an Example or Prediction (engine and DSPy) takes `base=` as its own parameter",
    **{
        name: f"the exported Python writes the fields' types with `{name}`"
        for name in ("Literal", "str", "int", "float", "bool", "list")
    },
}
# input names a module call takes as its own options (dspy's Predict: lm=..., config=...)
_CALL_OPTIONS = {
    "lm": "a module call takes `lm=` as the model to use",
    "config": "a module call takes `config=` as its LM settings",
}


def check_identifier(value: str, what: str, step: bool = False) -> str:
    """Raise ValueError unless `value` is a usable identifier (and, for steps, not reserved)."""
    if not isinstance(value, str) or not value.isidentifier() or keyword.iskeyword(value):
        raise ValueError(
            f"{what} {value!r} must be a Python identifier: letters, digits and underscores, "
            "not starting with a digit (e.g. 'ticket_text')"
        )
    if value.startswith("_"):
        raise ValueError(f"{what} {value!r} must not start with '_'")
    normal = unicodedata.normalize("NFKC", value)
    if normal != value:
        raise ValueError(
            f"{what} {value!r} has letters Python reads differently (as {normal!r}); "
            f"write it as {normal!r}"
        )
    if step and value in RESERVED_STEP_NAMES:
        raise ValueError(f"{what} {value!r} is reserved; choose another (e.g. '{value}_step')")
    return value


def check_field_name(value: str, role: str | None = None) -> str:
    """`check_identifier` for a field, and not a name the signature, the exported code or (for
    an input) a module call uses itself; ValueError naming the field and why."""
    check_identifier(value, "field name")
    why = _CODE_NAMES.get(value) or (_CALL_OPTIONS.get(value) if role == "input" else None)
    if value in RESERVED_NAMES:
        why = "a signature has an attribute of that name"
    if why:
        raise ValueError(
            f"field name {value!r} is reserved: {why}; choose another (e.g. '{value}_text')"
        )
    return value
