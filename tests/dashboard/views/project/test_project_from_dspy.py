"""Project page, "Bring in a DSPy program": the JSON saved by the real `dspy`, the program's
.py (or signatures typed in) and a CSV become a new, open project with the program's steps and
demos; a refused file says why, its text shown as text, and creates nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from apphelpers import SAMPLE, go, shown, texts

from dashboard.home import projects_dir

RUNS = Path(__file__).resolve().parents[3] / "runs"  # the runs tests' DSPy program helper
if str(RUNS) not in sys.path:
    sys.path.insert(0, str(RUNS))

from dspy_programs import CLASSIFY_DEMO, saved_program  # noqa: E402

pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")
TICKETS = (SAMPLE / "support_tickets.csv").read_bytes()


@pytest.fixture
def files(tmp_path: Path) -> tuple[bytes, bytes]:
    saved, source = saved_program(tmp_path)
    return saved.read_bytes(), source.read_bytes()


def bring_in(at, saved: bytes, source: bytes | None, csv: bytes = TICKETS, strings: str = ""):
    at.file_uploader(key="dspy_json").upload("program.json", saved, "application/json").run()
    if source is not None:
        at.file_uploader(key="dspy_py").upload("router.py", source, "text/x-python").run()
    else:
        at.radio(key="dspy_how").set_value("Signatures typed in").run()
        at.text_area(key="dspy_strings").set_value(strings).run()
    at.file_uploader(key="dspy_csv").upload("tickets.csv", csv, "text/csv").run()
    at.text_input(key="dspy_name").set_value("Router").run()
    at.button(key="dspy_go").click().run()
    assert not at.exception, at.exception
    return at


def projects() -> list[Path]:
    return sorted(p for p in projects_dir().iterdir() if p.is_dir())


def test_the_program_becomes_an_open_project_with_its_steps_and_demos(app, files):
    at = bring_in(app, *files)
    page = texts(at)
    assert "Brought in 3 steps (restate → extract → classify) with 2 worked examples." in page
    [folder] = projects()
    spec = yaml.safe_load((folder / "project.yaml").read_text(encoding="utf-8"))
    assert spec["name"] == "Router" and spec["data"]["csv"] == "data.csv"
    assert [s["module"] for s in spec["pipeline"]] == ["Predict", "Predict", "ChainOfThought"]
    assert spec["pipeline"][2]["demos"] == [CLASSIFY_DEMO]
    assert (folder / "data.csv").read_bytes().count(b"\n") == TICKETS.count(b"\n")
    at = go(at, "pipeline")
    instructions = [t.value for t in at.text_area]
    assert "Decide which team should handle the ticket." in instructions


def test_signatures_typed_in_do_the_same(app, files):
    last = "restated, topic -> category: Literal['billing', 'technical', 'shipping']"
    strings = f"ticket -> restated\nrestated -> topic\n{last}"
    at = bring_in(app, files[0], None, strings=strings)
    assert "Brought in 3 steps" in texts(at) and len(projects()) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("import requests\n", "router.py line 5: `import requests` imports requests"),
        ("import os\nos.system('id')\n", "router.py line 5: `import os` imports os"),
        ("Sig = dspy.Signature('a -> b')\n", "`Sig = dspy.Signature('a -> b')` runs code"),
    ],
)
def test_a_file_that_needs_running_is_refused_and_nothing_is_made(app, files, change, words):
    source = files[1].replace(b"import dspy\n", b"import dspy\n" + change.encode())
    at = bring_in(app, files[0], source)
    error = "\n".join(shown(e.value) for e in at.error)
    assert "The program cannot come in." in error and words in error
    assert projects() == [] and "Brought in" not in texts(at)


def test_a_json_that_is_not_a_dspy_program_and_a_csv_without_its_columns(app, files):
    at = bring_in(app, b'{"hello": "world"}', files[1])
    error = "\n".join(shown(e.value) for e in at.error)
    assert "program.json, entry 'hello' is not a predictor's state" in error
    at = bring_in(at, files[0], files[1], csv=b"question,answer\nhi,there\n")
    error = "\n".join(shown(e.value) for e in at.error)
    assert "tickets.csv has no column 'ticket', 'category'" in error
    assert projects() == []


def test_text_from_the_files_reaches_the_page_as_text(app, files):
    hostile = b'{"[click](http://evil.example) <b>x</b>": {"k": 1}}'
    at = bring_in(app, hostile, files[1])
    [error] = at.error
    assert "[click](http://evil.example) <b>x</b>" in shown(error.value)
    assert "](http" not in error.value and "<b>" not in error.value
    assert projects() == []


def test_the_pipeline_page_shows_the_starting_demos_and_can_drop_them(app, files):
    at = go(bring_in(app, *files), "pipeline")
    labels = [e.label for e in at.expander]
    assert labels.count("Starts with 1 worked example in its prompt (from the DSPy program)") == 2
    assert at.button(key="drop_demos_2").value is False
    with pytest.raises(KeyError):  # the extract step starts with none
        at.button(key="drop_demos_1")
    at.button(key="drop_demos_0").click().run()
    assert not at.exception, at.exception
    pipeline = at.session_state["draft"]["pipeline"]
    assert "demos" not in pipeline[0] and pipeline[2]["demos"] == [CLASSIFY_DEMO]
