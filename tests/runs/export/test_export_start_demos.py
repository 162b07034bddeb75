"""The code of a spec whose steps start with demos (a DSPy program's, brought in) gives each
step those demos, so the Pipeline page's code runs the program as it is."""

from __future__ import annotations

import runpy
from pathlib import Path

from engine.runs.export.codegen import generate_python
from engine.runs.pipeline import build_program
from engine.runs.spec import spec_from_dict

DEMO = {"ticket": "Where is my parcel?", "summary": "a late parcel"}
COT_DEMO = {"summary": "a late parcel", "reasoning": "delivery", "team": "shipping",
            "augmented": True}  # fmt: skip


def spec():
    return spec_from_dict({
        "name": "t", "data": {"csv": "data.csv"},
        "pipeline": [
            {"name": "summarize", "fields": [{"name": "ticket", "role": "input"},
                                             {"name": "summary", "role": "output"}],
             "demos": [DEMO]},
            {"name": "route", "module": "ChainOfThought",
             "fields": [{"name": "summary", "role": "input"}, {"name": "team", "role": "output"}],
             "demos": [COT_DEMO]},
        ],
    })  # fmt: skip


def test_the_code_gives_each_step_its_starting_demos(tmp_path: Path) -> None:
    code = generate_python(spec())
    assert "# the demos each step starts with" in code
    path = tmp_path / "program.py"
    path.write_text(code, encoding="utf-8")
    program = runpy.run_path(str(path))["program"]
    assert program.dump_state() == build_program(spec()).dump_state()
    assert [dict(d.items()) for d in program.route.predict.demos] == [COT_DEMO]


def test_with_a_tuned_state_the_state_holds_the_demos() -> None:
    code = generate_python(spec(), state=build_program(spec()).dump_state())
    assert "# the demos each step starts with" not in code and "program.load_state" in code


def test_hostile_demo_text_stays_text_in_the_code(tmp_path: Path) -> None:
    """A brought-in demo's text (a file's, so anyone's) reaches the code as a literal: running
    the generated file creates nothing and gives back the text exactly."""
    marker = tmp_path / "pwned"
    hostile = (f'"""\nimport os; os.system("touch {marker}")\n"""\'); open("{marker}", "w")#'
               "\\x00 \\N{BULLET} {program}")  # fmt: skip
    data = spec().to_dict()
    data["pipeline"][0]["demos"] = [{"ticket": hostile, "summary": "a late parcel"}]
    code = generate_python(spec_from_dict(data))
    path = tmp_path / "program.py"
    path.write_text(code, encoding="utf-8")
    program = runpy.run_path(str(path))["program"]
    assert not marker.exists()
    assert program.summarize.demos[0]["ticket"] == hostile
