"""Safe pieces of the exported Python: the names the code makes up, its docstrings, literals.

Whatever a user types reaches the code only through here or through `repr()`. Field and step
names are Python identifiers already (spec validation refuses the ones the code itself uses,
engine/runs/spec/_names.py); the names the code makes from them (a step's signature class, its
`<STEP>_RM` retriever, its `<step>_out` variable, ...) are chosen here so that none hides
another, a field, a builtin or a name the module defines: `program` becomes a `Program2`
signature class rather than clash with the `Program` module. Texts become docstrings only when
they read the same in a triple-quoted string, else their repr().
"""

from __future__ import annotations

import builtins
import keyword
import math
import pprint
import unicodedata
from dataclasses import dataclass
from typing import Any

from engine.runs.spec import FieldSpec, ProjectSpec, class_name

# names the generated module defines or imports (this package, an optimizer's export hook)
MODULE_NAMES = frozenset(
    {
        "Path", "Literal", "dspy", "engine", "read_passages", "tools_at", "PROJECT_DIR",
        "rollout", "MultiChain", "Samples", "JUDGE", "Program", "program", "STATE", "make_metric",
        "TRAIN_ROWS", "TRAINSET", "METRIC", "BOOTSTRAP", "self", "args", "pred", "checks",
        "argparse", "csv", "io", "sys", "CsvProblem", "cast_cell", "read_table", "safe_cell",
        "INPUTS", "OUTPUTS", "answer", "answer_csv", "main",
    }
)  # fmt: skip
_PY_TYPES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "list[str]": "list[str]"}
# attributes of a Prediction (engine's and DSPy's): an output named so is read as `out["name"]`
PREDICTION_ATTRIBUTES = frozenset(
    {
        "choice_scores", "completions", "copy", "from_completions", "get", "get_lm_usage",
        "input_keys", "inputs", "items", "keys", "labels", "set_choice_scores", "set_lm_usage",
        "toDict", "to_dict", "values", "with_inputs", "without", "passages",
    }
)  # fmt: skip


@dataclass(frozen=True)
class StepNames:
    """The names the exported code gives one step's parts."""

    signature: str  # its Signature class
    out: str  # the variable holding its prediction in Program.forward
    reward: str  # its reward function (a step with refine)
    rm: str  # its retriever (a Retrieve step)
    tools: str  # its tools (a ReAct step)


def _usable(name: str) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and unicodedata.normalize("NFKC", name) == name
    )


def _fresh(name: str, fallback: str, taken: set[str]) -> str:
    """`name` (else `fallback`) made unique against `taken` (then taken too)."""
    base = name if _usable(name) else fallback
    chosen, n = base, 1
    while chosen in taken:
        n += 1
        chosen = f"{base}{n}"
    taken.add(chosen)
    return chosen


def step_names(spec: ProjectSpec) -> dict[str, StepNames]:
    """The names of every step's parts, unique in the module (see the module docstring)."""
    fields = {f.name for s in spec.pipeline for f in s.fields}
    steps = {s.name for s in spec.pipeline}
    taken = set(MODULE_NAMES) | set(dir(builtins)) | fields | steps
    names: dict[str, StepNames] = {}
    for i, step in enumerate(spec.pipeline, 1):
        upper = step.name.upper()
        names[step.name] = StepNames(
            signature=_fresh(class_name(step.name), f"Step{i}", taken),
            out=_fresh(f"{step.name}_out", f"step{i}_out", taken),
            reward=_fresh(f"{step.name}_reward", f"step{i}_reward", taken),
            rm=_fresh(f"{upper}_RM", f"STEP{i}_RM", taken),
            tools=_fresh(f"{upper}_TOOLS", f"STEP{i}_TOOLS", taken),
        )
    return names


def py_type(field: FieldSpec) -> str:
    """A field's type as the code writes it (`Literal[...]` for a closed choice)."""
    if field.type == "literal":
        return "Literal[" + ", ".join(repr(c) for c in field.choices) + "]"
    return _PY_TYPES[field.type]


def read_output(var: str, name: str) -> str:
    """`var.name`, or `var["name"]` when a Prediction attribute has that name."""
    return f"{var}[{name!r}]" if name in PREDICTION_ATTRIBUTES else f"{var}.{name}"


def _plain(text: str, closing: bool = True) -> bool:
    """Whether `text` reads the same between triple quotes (and shows as typed); `closing`:
    the closing quotes follow the text on its line."""
    return (
        bool(text)
        and all(c == "\n" or c.isprintable() for c in text)
        and "\\" not in text
        and '"""' not in text
        and not text.startswith('"')
        and not (closing and text.endswith('"'))
    )


def docstring(text: str, indent: str) -> str:
    """A docstring line (or lines) holding `text`: triple-quoted when that is safe and reads
    the same, else the repr() of the text (escapes, one line); "" for no text."""
    if not text:
        return ""
    if _plain(text):
        if "\n" not in text:
            return f'{indent}"""{text}"""'
        body = "\n".join((indent + line) if line.strip() else "" for line in text.split("\n"))
        return f'{indent}"""\n{body}\n{indent}"""'
    return f"{indent}{text!r}"


def module_docstring(text: str) -> list[str]:
    """The module docstring's lines: `text` between triple quotes when that is safe, else its
    repr()."""
    text = text.replace("\r\n", "\n")
    if _plain(text, closing=False):
        return ['"""' + text, '"""']
    return [repr(text + "\n")]


class _Literal(pprint.PrettyPrinter):
    """pprint whose output is Python that evaluates back: nan and infinities as float('...')."""

    def format(self, obj: Any, context: Any, maxlevels: int, level: int) -> tuple[str, bool, bool]:
        if isinstance(obj, float) and not math.isfinite(obj):
            return f"float({str(obj)!r})", True, False
        return super().format(obj, context, maxlevels, level)


def py_literal(value: Any, width: int = 100) -> str:
    """A Python expression for plain data (JSON-like values), pretty-printed like pprint."""
    return _Literal(width=width, sort_dicts=False).pformat(value)
