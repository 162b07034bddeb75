"""The exported .py of a finished run reads the person's own inputs (issue 65, item 4): run as
a script with one argument per input (or `--field value`), it prints the outputs; with
`--csv in.csv -o out.csv` it writes every row with the outputs added, formula-like cells
neutralised and a failing row kept with its error; with no argument it prints a usage naming
the inputs; imported, it runs nothing.

The script configures its own model (`dspy.configure(lm=dspy.LM(...))`, no test hook); the
runner below runs it as `__main__` in a child process inside `engine.context(lm=...)` with the
scripted oracle (whose answer is the true label once the prompt holds a demo; a ticket holding
"FAIL" makes its call fail), which outranks the script's own configuration."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import subprocess_env
from scripted_lms import scored_oracle_lm

from engine.runs import create_run, generate_python, load_spec
from engine.runs.export._files import export_python
from engine.runs.process.worker import run_worker
from engine.runs.spec._spec import spec_from_dict
from engine.runs.store._store import RunStore

RUNNER = """
import runpy, sys
import engine
from engine.runs import load_spec
from scripted_lms import scored_oracle_lm
spec, script, *args = sys.argv[1:]
sys.argv = [script, *args]
with engine.context(lm=scored_oracle_lm(load_spec(spec))):
    runpy.run_path(script, run_name="__main__")
"""
HOSTILE = '=HYPERLINK("http://evil.example","click me")'


@pytest.fixture
def script(db_path: Path, project: Path, tmp_path: Path) -> Path:
    """The exported .py of a finished LabeledFewShot run, saved as program.py."""
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=4)
    spec["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 2}}
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=scored_oracle_lm) == "finished"
    path = tmp_path / "program.py"
    path.write_text(export_python(run_id, db_path), encoding="utf-8")
    with RunStore(db_path) as store:
        assert store.get_run(run_id)["program"]["classify"]["demos"]  # tuned: demos in its state
    return path


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess:
    spec = script.parent / "project" / "support_tickets.yaml"
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(spec), str(script), *args],
        capture_output=True, text=True, env=subprocess_env(), cwd=script.parent, timeout=300,
    )  # fmt: skip


def truth(project: Path) -> dict[str, str]:
    with (project / "support_tickets.csv").open(newline="", encoding="utf-8") as fh:
        return {row["ticket"]: row["category"] for row in csv.DictReader(fh)}


def test_the_docstring_says_the_three_ways_in(script: Path) -> None:
    code = script.read_text(encoding="utf-8")
    top = code.split('"""')[1]
    assert 'python program.py "<ticket>"' in top and "prints category" in top
    assert 'python program.py --ticket "<ticket>"' in top
    assert "python program.py --csv in.csv -o out.csv" in top and "a column for ticket" in top
    assert '"error" column' in top and "shows this help" in top
    assert "'...'" not in code  # no placeholder call left


def test_one_input_as_an_argument_or_an_option(script: Path, project: Path) -> None:
    tickets = list(truth(project).items())
    text, label = tickets[0]
    other, other_label = next((t, v) for t, v in tickets if v != label)
    by_position = run_script(script, text)
    assert by_position.returncode == 0, by_position.stderr
    assert by_position.stdout == f"category: {label}\n"
    by_name = run_script(script, "--ticket", other)
    assert by_name.returncode == 0 and by_name.stdout == f"category: {other_label}\n"
    failing = run_script(script, "FAIL now")
    assert failing.returncode == 1 and failing.stdout == ""
    assert "error: LMError: the provider refused this row" in failing.stderr
    too_many = run_script(script, "one", "two")
    assert too_many.returncode == 2 and "give 1 input(s): ticket" in too_many.stderr
    for result in (failing, too_many):
        assert "Traceback" not in result.stderr


def test_a_csv_in_and_a_csv_out(script: Path, project: Path, tmp_path: Path) -> None:
    known = list(truth(project).items())[:3]
    rows = [*(["t1", text, label] for text, label in known), ["t2", HOSTILE, "billing"],
            ["t3", "FAIL this one", "billing"], ["t4", "  ", "x"]]  # fmt: skip
    source = tmp_path / "new tickets.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "ticket", "category"], *rows])
    target = tmp_path / "answered.csv"
    result = run_script(script, "--csv", str(source), "-o", str(target))
    assert result.returncode == 1, result.stderr  # two rows failed, the others were answered
    assert f"answered 4 of 6 row(s) into {target}" in result.stderr
    assert "2 row(s) failed: see their error column" in result.stderr
    with target.open(newline="", encoding="utf-8") as fh:
        out = list(csv.reader(fh))
    # the file's own `category` column (its labels) is kept; the answers go beside it
    assert out[0] == ["id", "ticket", "category", "category_predicted", "error"]
    assert len(out) == 1 + len(rows)
    for (text, label), row in zip(known, out[1:4]):
        assert row == ["t1", text, label, label, ""]
    hostile = out[4]
    assert hostile[1] == "'" + HOSTILE and hostile[3] in ("billing", "technical", "shipping")
    assert hostile[4] == ""
    assert out[5][:3] == ["t3", "FAIL this one", "billing"] and out[5][3] == ""
    assert out[5][4] == "LMError: the provider refused this row"
    assert out[6][3] == "" and out[6][4] == "ValueError: no text for ticket"

    printed = run_script(script, "--csv", str(source))  # no -o: the rows are printed
    assert printed.stdout.splitlines()[0] == "id,ticket,category,category_predicted,error"
    assert printed.stdout.count("\n") == 1 + len(rows)


def test_a_csv_without_the_input_column_changes_nothing(script: Path, tmp_path: Path) -> None:
    source = tmp_path / "other.csv"
    source.write_text("text\nhello\n", encoding="utf-8")
    target = tmp_path / "x.csv"
    for args in (["--csv", str(source), "-o", str(target)],
                 ["--csv", str(tmp_path / "missing.csv"), "-o", str(target)]):  # fmt: skip
        result = run_script(script, *args)
        assert result.returncode == 2 and result.stderr.startswith("error: ")
        assert "Traceback" not in result.stderr and not target.exists()
    assert (
        "has no column ticket; its columns: text" in run_script(script, "--csv", str(source)).stderr
    )


def test_no_argument_prints_the_usage_and_an_import_runs_nothing(script: Path) -> None:
    result = run_script(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: program.py")
    assert "--ticket TICKET" in result.stdout
    assert "the inputs, in this order: ticket" in result.stdout
    assert "--csv IN.CSV" in result.stdout and "How to use it" in result.stdout
    imported = subprocess.run(
        [sys.executable, "-c", "import program; print(program.OUTPUTS, program.INPUTS)"],
        capture_output=True, text=True, env=subprocess_env(), cwd=script.parent, timeout=300,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "['category'] {'ticket': <class 'str'>}\n"  # and nothing else ran
    # with `import dspy` in its place the module imports with DSPy alone (the engine blocked)
    code = script.read_text(encoding="utf-8")
    plain = code.replace("import engine as dspy  # or: import dspy", "import dspy")
    (script.parent / "plain.py").write_text(plain, encoding="utf-8")
    alone = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['engine'] = None; import plain; "
         "print(plain.program.classify.demos[0]['category'])"],
        capture_output=True, text=True, env=subprocess_env(), cwd=script.parent, timeout=300,
    )  # fmt: skip
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.strip() in ("billing", "technical", "shipping")


def test_inputs_named_like_the_script_s_own_options(tmp_path: Path) -> None:
    """Inputs named `csv` and `help` are given by position (no `--csv` of theirs to clash with
    the script's); a `%` in a description is shown as typed; an output named `answer` does not
    hide the script's own `answer`."""
    fields = [
        {"name": "question", "role": "input", "description": "asked by 50% of the users"},
        {"name": "csv", "role": "input"},
        {"name": "help", "role": "input"},
        {"name": "answer", "role": "output"},
    ]
    spec = spec_from_dict(
        {"name": "Odd names", "pipeline": [{"name": "reply", "module": "Predict",
                                            "fields": fields}],
         "data": {"csv": "none.csv"}, "models": {"task": {"model": "local/smollm2-135m"}}},
        base_dir=tmp_path,
    )  # fmt: skip
    script = tmp_path / "odd.py"
    script.write_text(generate_python(spec, configure_lm=True), encoding="utf-8")
    code = script.read_text(encoding="utf-8")
    assert 'python program.py "<question>" "<csv>" "<help>"' in code
    assert 'python program.py --question "<question>"\n' in code

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=300,
        )  # fmt: skip

    usage = run()
    assert usage.returncode == 0, usage.stderr
    assert "--question QUESTION  asked by 50% of the users" in usage.stdout
    assert "the inputs, in this order: question, csv, help" in usage.stdout
    short = run("--question", "why?", "only one")
    assert short.returncode == 2 and "give 2 input(s): csv, help" in short.stderr
