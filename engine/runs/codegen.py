"""Write a spec's pipeline as standalone Python (`import engine as dspy`).

The code mirrors `build_program`: one Signature class per step, one attribute per step in a
`Program(dspy.Module)`, a `forward` that wires outputs into later inputs. Replacing the import
with `import dspy` gives an equivalent DSPy program (same predictor paths, same state shape).
"""

from __future__ import annotations

import json
import pprint
from typing import Any

from engine.runs.codegen_many import many_classes
from engine.runs.codegen_refine import reward_functions
from engine.runs.codegen_steps import module_call, step_resources
from engine.runs.spec import FieldSpec, ProjectSpec, StepSpec

_PY_TYPES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "list[str]": "list[str]"}


def _type(field: FieldSpec) -> str:
    if field.type == "literal":
        return "Literal[" + ", ".join(repr(c) for c in field.choices) + "]"
    return _PY_TYPES[field.type]


def _docstring(text: str, indent: str) -> str:
    if text and '"""' not in text and "\\" not in text and not text.endswith('"'):
        if "\n" not in text:
            return f'{indent}"""{text}"""'
        body = "\n".join((indent + line) if line.strip() else "" for line in text.splitlines())
        return f'{indent}"""\n{body}\n{indent}"""'
    return f"{indent}{text!r}" if text else ""


def _signature_class(step: StepSpec) -> list[str]:
    from engine.runs.pipeline import class_name

    lines = [f"class {class_name(step.name)}(dspy.Signature):"]
    doc = _docstring(step.instructions, "    ")
    if doc:
        lines.append(doc)
    for f in step.fields:
        maker = "dspy.InputField" if f.role == "input" else "dspy.OutputField"
        desc = f"desc={f.description!r}" if f.description else ""
        lines.append(f"    {f.name}: {_type(f)} = {maker}({desc})")
    return lines


def _program_class(spec: ProjectSpec) -> list[str]:

    inputs = spec.input_fields
    lines = [
        "class Program(dspy.Module):",
        f'    """{spec.name}: {len(spec.pipeline)} step(s), inputs {", ".join(inputs)}."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    for step in spec.pipeline:
        lines.append(f"        self.{step.name} = {module_call(step)}")
    lines += ["", f"    def forward(self, {', '.join(inputs)}):"]
    available = set(inputs)
    outputs: list[tuple[str, str]] = []
    for step in spec.pipeline:
        var = f"{step.name}_out"
        if step.module == "Retrieve":
            query, out = step.inputs[0].name, step.outputs[0]
            lines.append(f"        with dspy.context(rm={step.name.upper()}_RM):")
            lines.append(f"            {var} = self.{step.name}({query})")
            value = f"{var}.passages"
            value = f'"\\n".join({value})' if out.type == "str" else value
            lines.append(f"        {out.name} = {value}")
            outputs.append((out.name, out.name))
            continue
        args = ", ".join(f"{f.name}={f.name}" for f in step.inputs)
        lines.append(f"        {var} = self.{step.name}({args})")
        for f in step.outputs:
            lines.append(f"        {f.name} = {var}.{f.name}")
            outputs.append((f.name, f.name))
            available.add(f.name)
    last = [f.name for f in spec.pipeline[-1].outputs]
    ordered = last + [name for name, _ in outputs if name not in last]
    fields = ", ".join(f"{name}={name}" for name in ordered)
    lines.append(f"        return dspy.Prediction({fields})")
    return lines


def _example_call(spec: ProjectSpec) -> str:
    args = ", ".join(f"{name}=..." for name in spec.input_fields)
    return f"program({args})"


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
    header = [f'"""{spec.name} - generated by Tunesmith.']
    if spec.description:
        header += ["", *spec.description.replace('"""', "'''").splitlines()]
    header += ["", f"Usage: prediction = {_example_call(spec)}", '"""', ""]
    resources = step_resources(spec)
    imports = ["from pathlib import Path"] if resources else []
    if needs_literal:
        imports.append("from typing import Literal")
    imports += ["", "import engine as dspy  # or: import dspy", ""]
    body: list[str] = []
    if resources:  # the engine's readers and safe tools (exported code still needs the engine)
        imports[-1:-1] = [
            "from engine.runs.corpus import read_passages",
            "from engine.runs.tools import tools_at",
        ]
        body += ["", *resources]
    for step in spec.pipeline:
        if step.module != "Retrieve":
            body += ["", *_signature_class(step), ""]
    rewards = reward_functions(spec)
    if rewards:
        body += [*rewards, ""]
    helpers = many_classes(spec)
    if helpers:
        body += [*helpers, ""]
    body += ["", *_program_class(spec), "", ""]
    if configure_lm:
        from engine.runs.pipeline import lm_kwargs

        kwargs = ", ".join(f"{k}={v!r}" for k, v in lm_kwargs(spec.models.task).items())
        body += [
            "# API keys are read from the environment (e.g. OPENAI_API_KEY), never stored here.",
            f"dspy.configure(lm=dspy.LM({spec.models.task.model!r}"
            f"{', ' + kwargs if kwargs else ''}))",
        ]
    body += tail if tail is not None else ["program = Program()"]
    if state is not None and tail is None:
        literal = pprint.pformat(
            json.loads(json.dumps(state, default=str)), width=100, sort_dicts=False
        )
        body += [
            "",
            "# tuned state: instructions and demos per predictor (same shape as program.save())",
            *_fitted_notes(state),
            f"STATE = {literal}",
            "program.load_state(STATE)",
        ]
    body += [
        "",
        'if __name__ == "__main__":',
        f"    print({_example_call(spec).replace('...', repr('...'))})",
    ]
    return "\n".join(header + imports + body).rstrip() + "\n"
