"""Write a spec's pipeline as standalone Python (`import engine as dspy`).

The code mirrors `engine.runs.pipeline._program.build_program`: one Signature class per step, one
attribute per step in a `Program(dspy.Module)`, a `forward` that wires outputs into later
inputs. Replacing the import with `import dspy` gives an equivalent DSPy program (same
predictor paths, same state shape).
"""

from __future__ import annotations

import json
from typing import Any

from engine.runs.export.codegen._main import IMPORTS, how_to_use, main_lines
from engine.runs.export.codegen._many import many_classes
from engine.runs.export.codegen._names import (
    docstring,
    module_docstring,
    py_literal,
    py_type,
    read_output,
    step_names,
)
from engine.runs.export.codegen._refine import reward_functions
from engine.runs.export.codegen._steps import module_call, step_resources
from engine.runs.pipeline import lm_kwargs
from engine.runs.spec import ProjectSpec, StepSpec, redact


def _signature_class(spec: ProjectSpec, step: StepSpec) -> list[str]:
    lines = [f"class {step_names(spec)[step.name].signature}(dspy.Signature):"]
    doc = docstring(step.instructions, "    ")
    if doc:
        lines.append(doc)
    for f in step.fields:
        maker = "dspy.InputField" if f.role == "input" else "dspy.OutputField"
        desc = f"desc={f.description!r}" if f.description else ""
        lines.append(f"    {f.name}: {py_type(f)} = {maker}({desc})")
    return lines


def _program_class(spec: ProjectSpec) -> list[str]:
    inputs = spec.input_fields
    names = step_names(spec)
    about = f"{spec.name}: {len(spec.pipeline)} step(s), inputs {', '.join(inputs)}."
    lines = [
        "class Program(dspy.Module):",
        docstring(about, "    "),
        "",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    for step in spec.pipeline:
        lines.append(f"        self.{step.name} = {module_call(step, names[step.name])}")
    lines += ["", f"    def forward(self, {', '.join(inputs)}):"]
    for step in spec.pipeline:
        var = names[step.name].out
        if step.module == "Retrieve":
            query, out = step.inputs[0].name, step.outputs[0]
            lines.append(f"        with dspy.context(rm={names[step.name].rm}):")
            lines.append(f"            {var} = self.{step.name}({query})")
            value = f"{var}.passages"
            value = f'"\\n".join({value})' if out.type == "str" else value
            lines.append(f"        {out.name} = {value}")
            continue
        args = ", ".join(f"{f.name}={f.name}" for f in step.inputs)
        lines.append(f"        {var} = self.{step.name}({args})")
        for f in step.outputs:
            lines.append(f"        {f.name} = {read_output(var, f.name)}")
    fields = ", ".join(f"{name}={name}" for name in returned_outputs(spec))
    lines.append(f"        return dspy.Prediction({fields})")
    return lines


def returned_outputs(spec: ProjectSpec) -> list[str]:
    """The outputs the program's Prediction holds: the last step's, then the others in order
    (a Retrieve step's one output included)."""
    last = [f.name for f in spec.pipeline[-1].outputs]
    every = [
        f.name
        for step in spec.pipeline
        for f in (step.outputs[:1] if step.module == "Retrieve" else step.outputs)
    ]
    return last + [name for name in every if name not in last]


_FITTED_NOTES = {
    "choice_offsets": [
        "# choice_offsets: shifts of the model's closed choices fitted by the run; Tunesmith",
        "# applies them on the embedded model only, and DSPy ignores them.",
    ],
    "one_line_outputs": [
        "# one_line_outputs: open outputs the training labels write on one line; on the",
        "# embedded model Tunesmith ends them after their value's paragraph, DSPy ignores them.",
    ],
}


def _fitted_notes(state: dict[str, Any]) -> list[str]:
    """A comment for each kind of fitted predictor entry the state holds (only Tunesmith
    applies them)."""
    parts = [p for p in (state.values() if isinstance(state, dict) else []) if isinstance(p, dict)]
    return [
        line
        for key, lines in _FITTED_NOTES.items()
        if any(part.get(key) for part in parts)
        for line in lines
    ]


def _start_demos(spec: ProjectSpec) -> list[str]:
    """Lines giving each step the demos it starts with (a DSPy program's, brought in)."""
    lines = []
    for step in spec.pipeline:
        if step.demos:
            path = f"program.{step.name}" + (".predict" if step.module == "ChainOfThought" else "")
            literal = py_literal(json.loads(json.dumps(step.demos, default=str)))
            lines.append(f"{path}.demos = [dspy.Example(**demo) for demo in {literal}]")
    return ["", "# the demos each step starts with", *lines] if lines else []


def render_program(
    spec: ProjectSpec,
    *,
    state: dict[str, Any] | None = None,
    configure_lm: bool = False,
    tail: list[str] | None = None,
) -> str:
    """The standalone source text (see the module docstring). `tail`: lines that make
    `program` in place of `Program()` and the state (e.g. a KNNFewShot program)."""
    needs_literal = any(f.type == "literal" for s in spec.pipeline for f in s.fields)
    about = f"{spec.name} - generated by Tunesmith.\n"
    if spec.description:
        about += f"\n{spec.description}\n"
    about += "\n" + how_to_use(spec, returned_outputs(spec))
    header = [*module_docstring(about), ""]
    resources = step_resources(spec)
    imports = IMPORTS + (["from typing import Literal"] if needs_literal else [])
    imports += ["", "import engine as dspy  # or: import dspy", ""]
    body: list[str] = []
    if resources:  # the engine's readers and safe tools (exported code still needs the engine)
        imports[-1:-1] = [
            "from engine.runs.data._corpus import read_passages",
            "from engine.runs.pipeline._tools import tools_at",
        ]
        body += ["", *resources]
    for step in spec.pipeline:
        if step.module != "Retrieve":
            body += ["", *_signature_class(spec, step), ""]
    for helpers in (reward_functions(spec), many_classes(spec)):  # each may be empty
        if helpers:
            body += [*helpers, ""]
    body += ["", *_program_class(spec), "", ""]
    if configure_lm:
        kwargs = ", ".join(f"{k}={py_literal(v)}" for k, v in lm_kwargs(spec.models.task).items())
        body += [
            "# API keys are read from the environment (e.g. OPENAI_API_KEY), never stored here.",
            f"dspy.configure(lm=dspy.LM({spec.models.task.model!r}"
            f"{', ' + kwargs if kwargs else ''}))",
        ]
    body += tail if tail is not None else ["program = Program()"]
    if state is not None and tail is None:
        literal = py_literal(json.loads(json.dumps(state, default=str)))
        body += [
            "",
            "# tuned state: instructions and demos per predictor (same shape as program.save())",
            *_fitted_notes(state),
            f"STATE = {literal}",
            "program.load_state(STATE)",
        ]
    elif tail is None:
        body += _start_demos(spec)
    body += ["", "", *main_lines(spec, returned_outputs(spec))]
    return "\n".join(header + imports + body).rstrip() + "\n"


def generate_python(
    spec: ProjectSpec, state: dict[str, Any] | None = None, configure_lm: bool = False
) -> str:
    """Standalone Python that rebuilds the pipeline with `import engine as dspy`.

    With `state`, the tuned program state is embedded and loaded; with `configure_lm`, the
    spec's task model is configured (keys still come from the environment).
    """
    # keys are refused at entry; a key-shaped value that got into the state is masked here
    return redact(render_program(spec, state=state, configure_lm=configure_lm), []) or ""
