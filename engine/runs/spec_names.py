"""Names a spec may use (field types, metrics, optimizers) and the `auto` optimizer choice."""

from __future__ import annotations

import keyword
import unicodedata

from engine.signatures import RESERVED_NAMES

FIELD_TYPES = ("str", "int", "float", "bool", "list[str]", "literal")
MODULE_TYPES = ("Predict", "ChainOfThought")
# metrics scored by an LM (models.judge, else the task model)
LLM_METRIC_KINDS = ("judge", "semantic_f1")
METRIC_KINDS = ("exact", "normalized", "contains", "f1", "numeric", "regex", *LLM_METRIC_KINDS)

# spec name (lower-cased) -> DSPy class name
OPTIMIZER_ALIASES = {
    "auto": "auto",
    "labeled": "LabeledFewShot",
    "labeledfewshot": "LabeledFewShot",
    "bootstrap": "BootstrapFewShot",
    "bootstrapfewshot": "BootstrapFewShot",
    "random_search": "BootstrapFewShotWithRandomSearch",
    "randomsearch": "BootstrapFewShotWithRandomSearch",
    "bootstrapfewshotwithrandomsearch": "BootstrapFewShotWithRandomSearch",
    "mipro": "MIPROv2",
    "miprov2": "MIPROv2",
    "copro": "COPRO",
    "gepa": "GEPA",
    "simba": "SIMBA",
    "knn": "KNNFewShot",
    "knnfewshot": "KNNFewShot",
}
OPTIMIZER_CHOICES = (
    "auto", "labeled", "bootstrap", "random_search", "mipro", "copro", "gepa",
    "LabeledFewShot", "BootstrapFewShot", "BootstrapFewShotWithRandomSearch", "MIPROv2", "COPRO",
    "GEPA", "knn", "KNNFewShot", "simba", "SIMBA",
)  # fmt: skip
# optimizers that take a proposer model (`models.proposer` in the spec): the parameter it fills
PROPOSER_PARAMS = {
    "MIPROv2": "prompt_model", "COPRO": "prompt_model", "GEPA": "reflection_lm",
    "SIMBA": "prompt_model",
}  # fmt: skip
PROPOSER_OPTIMIZERS = tuple(PROPOSER_PARAMS)
# what `auto` sets for the optimizer it picks (the spec's own params come on top)
AUTO_PARAMS = {"MIPROv2": {"auto": "light", "max_bootstrapped_demos": 0, "max_labeled_demos": 0}}

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


def canonical_optimizer(name: str) -> str | None:
    """'random_search' / 'BootstrapRS'-style names -> the DSPy class name; None if unknown."""
    return OPTIMIZER_ALIASES.get(
        str(name).strip().lower().replace("-", "_").replace(" ", "_")
    ) or OPTIMIZER_ALIASES.get(str(name).strip().lower().replace("_", "").replace("-", ""))


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


def choose_optimizer(train_size: int) -> tuple[str, str]:
    """What `auto` picks for a trainset of this size, and why (shown to the user)."""
    if train_size <= 0:
        return (
            "LabeledFewShot",
            "no training examples: nothing to learn from, the program stays zero-shot",
        )
    if train_size <= 2:
        return "MIPROv2", (
            f"only {train_size} training example(s): too few for worked examples in the prompt, "
            "so MIPROv2 tunes the instruction alone (zero-shot mode: the proposer model writes "
            "candidate instructions, each is scored, the best is kept)"
        )
    if train_size < 20:
        return "BootstrapFewShot", (
            f"{train_size} training examples: enough to bootstrap demos from the model's "
            "own correct "
            "answers, too few for a reliable search over several candidate programs"
        )
    return "BootstrapFewShotWithRandomSearch", (
        f"{train_size} training examples: enough to bootstrap several candidate demo sets and "
        "pick the best on the validation set"
    )
