"""Exports of hostile specs (issue 37): whatever a user types (project name, description,
instructions, field descriptions, choices, field and step names, model settings) reaches every
export (.py, program JSON, spec YAML, prompt text) escaped, or is refused at spec validation
with a message naming it. Every exported .py imports in a fresh interpreter, defines
`program`, holds the run's state, answers as the engine's program does, and runs none of the
typed text. Results-CSV cells a spreadsheet may read as a formula are neutralised."""

from __future__ import annotations

import ast
import copy
import csv
import io
import json
import keyword
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from runs_helpers import subprocess_env

from engine.core._errors import SpecError
from engine.core._signatures import RESERVED_NAMES
from engine.runs.data._csv import safe_cell
from engine.runs.export._files import (
    SafeWriter,
    program_json,
    python_code,
    rebuild,
    render_prompts,
)
from engine.runs.export.codegen import generate_python
from engine.runs.pipeline._program import build_program
from engine.runs.spec._names import RESERVED_STEP_NAMES
from engine.runs.spec._spec import spec_from_dict, spec_from_text

MARKER = "INJECTED"  # every payload tries to create this file in the importing process's cwd
CODE = f"__import__('pathlib').Path({MARKER!r}).touch()"
CODE2 = CODE.replace("'", '"')
PAYLOADS = [
    f'"""\n{CODE}\n"""',  # closes a triple-quoted docstring
    f'x"""+{CODE}+"""',
    f"'''\n{CODE}\n'''",
    f"'+{CODE}+'",  # closes a quoted literal
    f'"+{CODE2}+"',
    f'\\"""\n{CODE}\n"""',
    f"\n{CODE}\n",  # a new line after a comment
    f"\\\n{CODE}",
    f"\r{CODE}\r",
    f"\u2028{CODE}\u2029",
    f"\x0c{CODE}\x0b",
    f"{{{CODE}}}",
    f'{CODE}"',
    '"' + CODE,
]
PIECES = [
    '"""', "'''", '"', "'", "\\", "\\U", "\\N{", "\\N{DIGIT ONE}", "\\x", "\\u12", "\\0",
    "\x00", "\n", "\r", "\r\n", "\u2028", "\u2029", "\t", "\x0b", "\x0c", "\x85", "\ufeff",
    "\u202e", "#", "{", "}", "{{", "%s", "é", "日本語", " ", "a", "x = 1", "):", "ﬁ", "＝1",
]  # fmt: skip
TEXTS = st.one_of(
    st.lists(st.sampled_from(PIECES + PAYLOADS), min_size=1, max_size=10).map("".join),
    st.sampled_from(PAYLOADS),
    st.text(max_size=40),
    st.builds(lambda piece, n: piece * n, st.sampled_from(PIECES + PAYLOADS), st.integers(1, 600)),
    st.just(""),
)

# names the spec takes as field names / step names, though the exported module uses them too
FIELD_NAMES_KEPT = [
    "program", "Program", "Path", "print", "len", "range", "super", "type", "object", "id",
    "input", "args", "kwargs", "pred", "checks", "items", "keys", "get", "copy",
    "values", "inputs", "labels", "toDict", "with_inputs", "passages", "JUDGE", "STATE",
    "rollout", "MultiChain", "Samples", "PROJECT_DIR", "TRAINSET", "make_metric",
    "classify_out", "CLASSIFY_RM", "match", "case", "none", "true", "false", "literal", "path",
    "samples", "multi_chain", "a_b", "aB", "a__b", "A", "a", "Step", "Step1", "step1_out",
    "x_reward", "ticket", "category", "é", "Ünïcode", "forward", "Exception", "Ellipsis",
    "NotImplemented", "answer",
]  # fmt: skip
STEP_NAMES_KEPT = [
    "program", "Program", "samples", "multi_chain", "literal", "Literal", "path", "Path",
    "none", "true", "false", "JUDGE", "STATE", "self", "dspy", "print", "str", "list",
    "rollout", "a_b", "aB", "a__b", "A", "a", "Step", "ticket", "category", "classify", "é",
    "items", "base", "args", "x_reward", "PROJECT_DIR", "Exception", "TRAINSET", "make_metric",
]  # fmt: skip
NOT_IDENTIFIERS = ["", "a b", "1x", "a-b", "x.y", "a\nb", "a\x00", "ticket'"]
# field name -> what the refusal says
FIELD_NAMES_REFUSED = {
    **{name: "must be a Python identifier" for name in keyword.kwlist + NOT_IDENTIFIERS},
    **{name: "is reserved: the exported Python" for name in ("dspy", "Literal", "str", "list")},
    **{name: "is reserved: the exported Python" for name in ("int", "float", "bool")},
    "self": "is reserved: the exported program's forward()",
    "base": "is reserved: an Example or Prediction",
    **{name: "is reserved: a signature has" for name in RESERVED_NAMES},
    "_x": "must not start with '_'",
    "ﬁeld": "has letters Python reads differently (as 'field')",
    "ｔｉｃｋｅｔ": "has letters Python reads differently (as 'ticket')",
}
STEP_NAMES_REFUSED = {
    **{name: "must be a Python identifier" for name in keyword.kwlist + NOT_IDENTIFIERS},
    **{name: "is reserved" for name in RESERVED_STEP_NAMES},
    "_x": "must not start with '_'",
    "ﬁeld": "has letters Python reads differently (as 'field')",
}
REASONS = sorted(set(FIELD_NAMES_REFUSED.values()) | set(STEP_NAMES_REFUSED.values()))
SHAPES = ["predict", "cot_samples", "refine", "mcc", "two_steps", "retrieve", "react", "knn"]
TWO_STEPS = ("two_steps", "retrieve")


# refusals at spec validation ---------------------------------------------------------------
def _with_names(base: dict, field: str | None = None, step: str | None = None, role: int = 0):
    raw = copy.deepcopy(base)
    raw["data"]["columns"], raw["metric"]["field"] = {}, None
    if field is not None:
        raw["pipeline"][0]["fields"][role]["name"] = field
    if step is not None:
        raw["pipeline"][0]["name"] = step
    return raw


@pytest.mark.parametrize("name", sorted(FIELD_NAMES_REFUSED))
@pytest.mark.parametrize("role", [0, 1])
def test_field_names_the_code_uses_are_refused_with_a_reason(tickets_spec, name, role):
    with pytest.raises(SpecError) as info:
        spec_from_dict(_with_names(tickets_spec.to_dict(), field=name, role=role))
    message = str(info.value)
    assert f"pipeline.0.fields.{role}.name: field name {name!r}" in message
    assert FIELD_NAMES_REFUSED[name] in message


@pytest.mark.parametrize("name", sorted(STEP_NAMES_REFUSED))
def test_step_names_the_code_uses_are_refused_with_a_reason(tickets_spec, name):
    with pytest.raises(SpecError) as info:
        spec_from_dict(_with_names(tickets_spec.to_dict(), step=name))
    message = str(info.value)
    assert f"pipeline.0.name: step name {name!r}" in message
    assert STEP_NAMES_REFUSED[name] in message


@pytest.mark.parametrize("name", ["lm", "config"])
def test_module_call_options_are_refused_as_inputs_only(tickets_spec, name):
    with pytest.raises(SpecError, match=f"field name '{name}' is reserved: a module call takes"):
        spec_from_dict(_with_names(tickets_spec.to_dict(), field=name, role=0))
    spec = spec_from_dict(_with_names(tickets_spec.to_dict(), field=name, role=1))
    assert spec.label_fields == [name]


def test_multi_chain_comparison_refuses_a_completions_field(tickets_spec):
    raw = _with_names(tickets_spec.to_dict(), field="completions")
    raw["pipeline"][0]["module"] = "MultiChainComparison"
    with pytest.raises(SpecError, match="'completions' is passed by MultiChainComparison"):
        spec_from_dict(raw)


# the property: hostile specs export safely ------------------------------------------------
@st.composite
def hostile_cases(draw) -> dict:
    bad_field = st.sampled_from(sorted(FIELD_NAMES_REFUSED))
    bad_step = st.sampled_from(sorted(STEP_NAMES_REFUSED))
    bad = draw(
        st.none()
        | st.tuples(st.just("field"), st.integers(0, 2), bad_field)
        | st.tuples(st.just("step"), st.integers(0, 1), bad_step)
    )
    fields = draw(st.lists(st.sampled_from(FIELD_NAMES_KEPT), min_size=3, max_size=3, unique=True))
    steps = draw(st.lists(st.sampled_from(STEP_NAMES_KEPT), min_size=2, max_size=2, unique=True))
    if bad is not None:
        (fields if bad[0] == "field" else steps)[bad[1]] = bad[2]
    choice = draw(TEXTS.filter(lambda c: c not in ("billing", "technical", "shipping")))
    return {
        "shape": draw(st.sampled_from(SHAPES)),
        "bad": bad,
        "fields": fields,
        "steps": steps,
        "texts": draw(st.lists(TEXTS, min_size=8, max_size=8)),
        "choice": choice,
        "temperature": draw(st.sampled_from([0.0, 0.7, float("nan"), float("inf")])),
    }


def _raw_spec(base: dict, case: dict) -> dict:
    """The tickets spec with the case's names, texts and shape."""
    raw = copy.deepcopy(base)
    name, description, instructions, instructions2, *descs = case["texts"]
    first, second = case["steps"]
    source, label, middle = case["fields"]
    raw.update(name=name, description=description)
    raw["models"]["task"]["temperature"] = case["temperature"]
    step = raw["pipeline"][0]
    step.update(name=first, instructions=instructions)
    step["fields"][0].update(name=source, description=descs[0])
    step["fields"][1].update(name=label, description=descs[1])
    step["fields"][1]["choices"].append(case["choice"])
    raw["data"]["columns"] = {"ticket": source, "category": label}
    raw["metric"]["field"] = label
    shape = case["shape"]
    if shape == "cot_samples":
        step.update(module="ChainOfThought", samples={"n": 2})
    elif shape == "refine":
        step["refine"] = {"n": 2}
    elif shape == "mcc":
        step.update(module="MultiChainComparison", m=2)
    elif shape == "react":
        step.update(module="ReAct", tools=[{"name": "calculator"}], max_iters=2)
    elif shape in TWO_STEPS:
        head = {
            "name": second,
            "instructions": instructions2,
            "fields": [
                {"name": source, "role": "input", "description": descs[2]},
                {"name": middle, "role": "output", "description": descs[3]},
            ],
        }
        if shape == "retrieve":
            head.update(module="Retrieve", corpus={"path": "corpus.txt"}, k=2, instructions="")
            head["fields"][1]["type"] = "list[str]"
        step["fields"][0]["name"] = middle
        raw["pipeline"].insert(0, head)
    return raw


def _every_shape(test):
    """One explicit hostile case per shape (names clashing with the module's, payloads)."""
    for i, shape in enumerate(SHAPES):
        test = example(
            {
                "shape": shape,
                "bad": None,
                "fields": ["program", "items", "args"] if i % 2 else ["Program", "get", "kwargs"],
                "steps": ["literal", "Program"] if i % 2 else ["program", "samples"],
                "texts": (PAYLOADS * 2)[i : i + 8],
                "choice": PAYLOADS[i - 1],
                "temperature": 0.7,
            }
        )(test)
    return test


def _used_bad_name(case: dict) -> str | None:
    """The refused name the case's spec uses, if any (a single step uses 2 fields, 1 step)."""
    if case["bad"] is None:
        return None
    kind, index, name = case["bad"]
    two = case["shape"] in TWO_STEPS
    used = (3 if two else 2) if kind == "field" else (2 if two else 1)
    return name if index < used else None


def _knn_state(spec) -> dict:
    from engine.optimizers import KNNFewShot
    from engine.runs.data._load import load_data
    from engine.runs.pipeline._models import build_metric

    optimizer = KNNFewShot(k=2, trainset=load_data(spec).train[:6], metric=build_metric(spec))
    return optimizer.compile(build_program(spec)).dump_state()


def _state(spec, case: dict) -> dict:
    if case["shape"] == "knn":
        return _knn_state(spec)
    program = build_program(spec)
    if case["shape"] in ("predict", "refine", "two_steps", "retrieve"):
        predictor = program.predictors()[-1]
        demo = dict.fromkeys(predictor.signature.input_fields, case["texts"][0])
        predictor.demos = [{**demo, spec.label_fields[0]: "billing"}]
    return program.dump_state()


def _no_call_of_injected_code(code: str) -> None:
    names = {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    attributes = {n.attr for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Attribute)}
    assert "__import__" not in names and "touch" not in attributes


def _check_exports(spec, state: dict) -> str:
    """Every export kind of the spec and state; returns the .py text."""
    code = python_code(spec, state)  # what `export_python` writes
    _no_call_of_injected_code(code)
    saved = json.loads(program_json(spec, state))
    assert {k for k in saved if k != "metadata"} == set(state)
    again = spec_from_text(spec.to_yaml(), spec.base_dir)
    assert json.dumps(again.to_dict()) == json.dumps(spec.to_dict())
    prompts = render_prompts(rebuild(spec, state))
    for path, _ in rebuild(spec, state).named_predictors():
        assert f"===== {path}: " in prompts
    return code


# run in a fresh interpreter: imports each exported module, compares it with the engine's
CHECK_SCRIPT = r"""
import importlib, json, re, sys, traceback
import engine as dspy
from engine.lm import ScriptedLM
from engine.runs.export._files import rebuild
from engine.runs.spec._spec import spec_from_dict

REQUESTED = re.compile(r"`\[\[ ## (\w+) ## \]\]`")


def answer(program, case):
    outputs = set(case["outputs"]) | {"reasoning", "rationale"}

    def reply(messages):
        asked = REQUESTED.findall(messages[0]["content"].rsplit("Respond with", 1)[-1])
        return {n: "billing" if n == case["label"] else "x" for n in asked if n in outputs}

    try:
        with dspy.context(lm=ScriptedLM(by_input=reply, name="hostile")):
            return ["ok", str(program(**case["inputs"])[case["label"]])], ""
    except Exception as exc:
        return ["error", type(exc).__name__], traceback.format_exc()[-1500:]


def norm(state):
    return json.loads(json.dumps(state, default=str))


results = []
for case in json.load(open(sys.argv[1], encoding="utf-8")):
    problems = []
    try:
        exported = importlib.import_module(case["module"]).program
        engine = rebuild(spec_from_dict(case["spec"], case["base_dir"]), case["state"])
        if not isinstance(exported, dspy.Module):
            problems.append(f"program is a {type(exported).__name__}")
        paths = [[p for p, _ in m.named_predictors()] for m in (exported, engine)]
        if paths[0] != paths[1]:
            problems.append(f"predictor paths {paths[0]} != {paths[1]}")
        if norm(exported.dump_state()) != norm(engine.dump_state()):
            problems.append("the exported program's state differs from the engine's")
        if case["run"]:
            (got, why), (want, why_not) = answer(exported, case), answer(engine, case)
            if got != want:
                problems.append(f"answer {got} != the engine's {want}: {why}{why_not}")
    except BaseException:
        problems.append(traceback.format_exc())
    results.append({"module": case["module"], "problems": problems})
print(json.dumps(results))
"""


def _import_in_subprocess(folder: Path, manifest: list[dict]) -> list[dict]:
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHECK_SCRIPT, "manifest.json"],
        cwd=folder, env=subprocess_env(), capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_hostile_specs_export_safely_and_every_export_imports(tickets_spec, project: Path):
    (project / "corpus.txt").write_text(
        "Refunds take five days.\n\nReset a password from the login page.\n\nParcels ship "
        "within two days.\n",
        encoding="utf-8",
    )
    base = tickets_spec.to_dict()
    out = project / "exported"
    out.mkdir()
    manifest: list[dict] = []
    refused: list[str] = []

    @settings(
        max_examples=40, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )  # fmt: skip
    @given(hostile_cases())
    @_every_shape
    def build(case: dict) -> None:
        bad = _used_bad_name(case)
        try:
            spec = spec_from_dict(_raw_spec(base, case), project)
        except SpecError as exc:
            message = str(exc)
            if not math.isfinite(case["temperature"]):  # .nan / .inf: refused first (issue 62)
                assert "models.task.temperature: " in message and "not a finite" in message
                refused.append(message)
                return
            assert "pipeline." in message, message
            assert any(reason in message for reason in REASONS), message
            if bad is not None:
                assert repr(bad) in message, message
            refused.append(message)
            return
        assert bad is None, f"{bad!r} was accepted"
        assert math.isfinite(case["temperature"]), "a temperature of nan or inf was accepted"
        state = _state(spec, case)
        code = _check_exports(spec, state)
        module = f"hostile_{len(manifest)}"
        (out / f"{module}.py").write_text(code, encoding="utf-8")
        manifest.append(
            {
                "module": module,
                "spec": spec.to_dict(),
                "base_dir": str(project),
                "state": json.loads(json.dumps(state, default=str)),
                "inputs": dict.fromkeys(spec.input_fields, "my invoice is wrong"),
                "label": spec.label_fields[0],
                "outputs": [f.name for s in spec.pipeline for f in s.outputs],
                "run": case["shape"] not in ("react", "knn"),
                "shape": case["shape"],
            }
        )

    build()
    assert len(manifest) >= 8, f"too few accepted specs to check ({len(manifest)})"
    results = _import_in_subprocess(out, manifest)
    assert not (out / MARKER).exists(), "an export ran text the user typed"
    failed = [r for r in results if r["problems"]]
    assert not failed, json.dumps(failed[:3], indent=1)
    assert len(results) == len(manifest)


def test_typed_text_becomes_a_literal_not_code(tickets_spec):
    raw = tickets_spec.to_dict()
    raw["name"] = f'x"""\n{CODE}\n"""'
    raw["description"] = "C:\\Users\\me\\N{x} \x00 \u2028"
    raw["pipeline"][0]["instructions"] = "say \x00 and \\U0001F600"
    code = generate_python(spec_from_dict(raw))
    _no_call_of_injected_code(code)
    module = ast.parse(code)
    assert ast.get_docstring(module, clean=False).startswith(raw["name"] + " - generated by")
    assert raw["description"] in ast.get_docstring(module, clean=False)
    signature = next(n for n in module.body if isinstance(n, ast.ClassDef))
    assert ast.get_docstring(signature, clean=False) == raw["pipeline"][0]["instructions"]


def test_plain_texts_stay_readable_docstrings(tickets_spec):
    code = generate_python(tickets_spec)
    assert code.startswith('"""Support ticket routing - generated by Tunesmith.\n\nRoute a ')
    assert '    """Read the customer\'s support ticket and decide which team' in code
    assert "class Classify(dspy.Signature):" in code


def test_generated_names_never_hide_the_modules_own(tickets_spec):
    raw = tickets_spec.to_dict()
    raw["pipeline"][0]["name"] = "program"  # its signature class would be `Program`
    raw["pipeline"][0]["fields"][1]["name"] = "items"  # a Prediction method
    raw["data"]["columns"]["category"], raw["metric"]["field"] = "items", "items"
    code = generate_python(spec_from_dict(raw))
    assert "class Program2(dspy.Signature):" in code and "dspy.Predict(Program2)" in code
    assert "items = program_out['items']" in code


# CSV exports: formula cells are neutralised -------------------------------------------------
FORMULAS = [
    " =1+1", "\n=1+1", "＝1+1", "+1", "@SUM(1)", "-2", "=A1", "\t=1", "\r\n@x", "\u3000＋1",
    "﹦1", "＠A1", "－1", "\u200b=1", " \n\t =HYPERLINK(\"http://x\")",
]  # fmt: skip


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_cells_get_a_leading_quote(cell: str) -> None:
    """A leading quote; a formula after a tab or line break inside gets its own (a spreadsheet
    may cut the cell there: tests/runs/label/test_spreadsheet_output.py)."""
    safe = safe_cell(cell)
    assert safe.startswith("'") and safe.replace("'", "") == cell
    assert safe == "'" + cell or set(cell) & set("\t\r\n")
    out = io.StringIO()
    SafeWriter(out).writerow(["id", cell, 3])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["id", safe, "3"]


@pytest.mark.parametrize("cell", ["plain", "a=b", "", "  ", "1+1", "日本", "me@example.com"])
def test_other_cells_are_kept(cell: str) -> None:
    assert safe_cell(cell) == cell
    assert safe_cell(-1.5) == -1.5 and safe_cell(0) == 0
