"""A `dspy.Module` class read from its syntax tree: which attributes are steps (`__init__`),
the order forward() calls them in and what feeds each input (where the tree says so plainly).
"""

from __future__ import annotations

import ast

from engine.runs.from_dspy._shapes import MODULES, ImportProblem, ProgramShape, StepShape
from engine.runs.from_dspy._source import SourceFile
from engine.runs.from_dspy._strings import read_signature_string

_STEP_WORDS = "Tunesmith brings in steps made with dspy.Predict and dspy.ChainOfThought"


def read_module(source: SourceFile, node: ast.ClassDef) -> ProgramShape:
    """The program of one module class: its steps, in forward()'s order when it reads plainly."""
    methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
    for item in node.body:
        if not isinstance(
            item,
            ast.FunctionDef
            | ast.AsyncFunctionDef
            | ast.Expr
            | ast.Assign
            | ast.AnnAssign
            | ast.Pass,
        ):
            raise source.refuse(item, f"in {node.name} is not something Tunesmith reads")
    init = methods.get("__init__")
    if init is None:
        raise source.refuse(node, "has no __init__, so it has no steps")
    steps = [_step(source, item) for item in init.body]
    found = [s for s in steps if s is not None]
    if not found:
        raise source.refuse(node, f"makes no steps in __init__; {_STEP_WORDS}")
    program = ProgramShape(found)
    forward = methods.get("forward")
    if forward is None:
        program.notes.append(f"{node.name} has no forward(); the steps run in the order made")
        return program
    _read_forward(source, forward, program)
    return program


def _step(source: SourceFile, item: ast.stmt) -> StepShape | None:
    """A step for `self.x = dspy.Predict(Sig)`; None for `super().__init__()` and constants."""
    if isinstance(item, ast.Expr) and isinstance(item.value, ast.Call):
        if ast.unparse(item.value.func) == "super().__init__":
            return None
    if isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant):
        return None
    target = item.targets[0] if isinstance(item, ast.Assign) and len(item.targets) == 1 else None
    is_self = isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self"
    if not is_self or not isinstance(item, ast.Assign):
        raise source.refuse(item, f"in __init__ is not a step; {_STEP_WORDS}")
    value = item.value
    if isinstance(value, ast.Constant):
        return None  # a setting kept on the program (not part of its saved state)
    module = source.dspy_name(value.func) if isinstance(value, ast.Call) else None
    if module not in MODULES:
        raise source.refuse(item, f"is not a step Tunesmith can bring in; {_STEP_WORDS}")
    call: ast.Call = value  # type: ignore[assignment]
    if len(call.args) != 1 or call.keywords:
        raise source.refuse(item, "gives the step options besides its signature; remove them")
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        signature = read_signature_string(arg.value, source.where(item) + ": the signature")
    elif isinstance(arg, ast.Name) and arg.id in source.signatures:
        signature = source.signatures[arg.id]
    else:
        raise source.refuse(
            item, "builds its signature in a way that needs running; name a dspy.Signature "
            "class of this file or write the signature string",
        )  # fmt: skip
    return StepShape(target.attr, module, signature)  # type: ignore[union-attr]


class _NotPlain(Exception):
    """forward() does something other than call the steps one after another."""


def _read_forward(source: SourceFile, forward: ast.FunctionDef, program: ProgramShape) -> None:
    params = [a.arg for a in forward.args.args[1:] + forward.args.kwonlyargs]
    steps = {s.name: s for s in program.steps}
    reader = _Forward(source, steps, params)
    try:
        for item in forward.body:
            reader.statement(item)
    except _NotPlain as exc:
        node = exc.args[0]
        program.notes.append(
            f"{source.where(node)}: forward() is not read further (`{source.shown(node)}`); "
            "the steps run in the order they are made, each input fed by the data column or "
            "earlier output of its name"
        )
        return
    order = reader.order + [name for name in steps if name not in reader.order]
    for name in steps:
        if name not in reader.order:
            program.notes.append(f"forward() never calls {name}; it runs last")
    program.steps = [steps[name] for name in order]
    program.columns = reader.columns


class _Forward:
    """Walks forward(): `r = self.step(field=param_or_r.field)` and `return ...`."""

    def __init__(self, source: SourceFile, steps: dict[str, StepShape], params: list[str]):
        self.source, self.steps, self.params = source, steps, params
        self.results: dict[str, str] = {}  # variable -> the step whose prediction it holds
        self.order: list[str] = []
        self.columns: dict[str, str] = {}  # data column -> input field

    def statement(self, item: ast.stmt) -> None:
        if isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant):
            return
        if isinstance(item, ast.Assign) and len(item.targets) == 1:
            step = self.value(item.value)
            if isinstance(item.targets[0], ast.Name) and step is not None:
                self.results[item.targets[0].id] = step
                return
        if isinstance(item, ast.Return) and item.value is not None:
            self.value(item.value, final=True)
            return
        raise _NotPlain(item)

    def value(self, node: ast.expr, final: bool = False) -> str | None:
        """The step a call returns (after reading its arguments), or None for a field read."""
        if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("self."):
            return self.call(node)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
            self.value(node.value)
            return None
        if final and (isinstance(node, ast.Name) and node.id in self.results):
            return None
        prediction = isinstance(node, ast.Call) and self.source.dspy_name(node.func) == "Prediction"
        if final and prediction:
            for keyword in node.keywords:  # type: ignore[union-attr]
                self.value(keyword.value, final=True)
            return None
        if final and isinstance(node, ast.Attribute | ast.Name):
            return None
        raise _NotPlain(node)

    def call(self, node: ast.Call) -> str:
        name = ast.unparse(node.func).removeprefix("self.")
        step = self.steps.get(name)
        if step is None or name in self.order or node.args:
            raise _NotPlain(node)
        for keyword in node.keywords:
            self.feed(step, keyword)
        self.order.append(name)
        return name

    def feed(self, step: StepShape, keyword: ast.keyword) -> None:
        """Check what feeds input `keyword.arg` of `step`: a parameter, or an earlier output."""
        field, value = keyword.arg, keyword.value
        if field is None:
            raise _NotPlain(value)
        if isinstance(value, ast.Name) and value.id in self.params:
            if value.id != field:
                if self.columns.get(value.id, field) != field:
                    raise self._renamed(keyword, step, f"the data's {value.id}")
                self.columns[value.id] = field
            return
        source_step = self._output_of(value)
        if source_step is None:
            raise self.source.refuse(
                value, f"feeds {step.name}'s input {field!r}; Tunesmith feeds a step's input "
                "from a data column or an earlier step's output, nothing computed",
            )  # fmt: skip
        output = value.attr  # type: ignore[attr-defined]
        if output != field:
            raise self._renamed(keyword, step, f"{source_step}'s output {output!r}")

    def _output_of(self, node: ast.expr) -> str | None:
        if not isinstance(node, ast.Attribute):
            return None
        if isinstance(node.value, ast.Name) and node.value.id in self.results:
            return self.results[node.value.id]
        if isinstance(node.value, ast.Call):
            return self.value(node.value)
        return None

    def _renamed(self, keyword: ast.keyword, step: StepShape, what: str) -> ImportProblem:
        return ImportProblem(
            f"{self.source.where(keyword.value)}: {what} is passed to {step.name} as "
            f"{keyword.arg!r}. Tunesmith feeds each input from the output (or data column) of "
            "the same name, and the tuned demos must keep your field names: give the two fields "
            "one name in the signatures"
        )
