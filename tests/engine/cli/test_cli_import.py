"""`python -m engine import program.json --signatures program.py --csv data.csv -o spec.yaml`
end to end: a program saved by the real `dspy` becomes a spec that validates and runs; bad
input exits 2 with one clear line and writes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dspy_programs import CLASSIFY_DEMO, saved_program, user_program
from runs_helpers import subprocess_env

from engine.runs import RunStore, load_spec

pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


def cli(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    hooks = {"TUNESMITH_HOME": str(cwd), "TUNESMITH_TEST_LM": "scripted_lms:oracle_lm", **extra}
    env = subprocess_env(**hooks)
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
        cwd=cwd, timeout=300,
    )  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path, project: Path) -> Path:
    saved_program(tmp_path)
    (tmp_path / "tickets.csv").write_bytes((project / "support_tickets.csv").read_bytes())
    return tmp_path


def test_import_writes_a_spec_that_validates(folder: Path) -> None:
    result = cli("import", "program.json", "--signatures", "support_router.py", "--csv",
                 "tickets.csv", "-o", "router.yaml", "--name", "Router", cwd=folder)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "brought in 3 steps: restate (Predict) -> extract (Predict) -> classify " in (
        result.stderr
    )
    assert "with 2 demos, 60 rows of data; wrote router.yaml" in result.stderr
    spec = load_spec(folder / "router.yaml")
    assert spec.name == "Router" and spec.data.csv == "tickets.csv"
    assert spec.pipeline[2].demos == [CLASSIFY_DEMO]
    checked = cli("validate", "router.yaml", cwd=folder)
    assert checked.returncode == 0 and "spec OK" in checked.stdout, checked.stderr


def test_signature_strings_print_the_spec(folder: Path) -> None:
    result = cli("import", "program.json", "--signature", "ticket -> restated",
                 "--signature", "restated -> topic", "--signature",
                 "restated, topic -> category: Literal['billing', 'technical', 'shipping']",
                 "--csv", "tickets.csv", cwd=folder)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("name: ") and "module: ChainOfThought" in result.stdout


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("import requests\n", "support_router.py line 5: `import requests` imports requests"),
        ("import os\nos.system('id')\n", "line 5: `import os` imports os"),
        ("Sig = dspy.Signature('a -> b')\n", "line 5: `Sig = dspy.Signature('a -> b')` runs code"),
    ],
)
def test_a_signatures_file_that_needs_running_writes_nothing(folder: Path, change, words) -> None:
    source = folder / "support_router.py"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("import dspy\n", f"import dspy\n{change}"), encoding="utf-8")
    result = cli("import", "program.json", "--signatures", "support_router.py",
                 "--csv", "tickets.csv", "-o", "router.yaml", cwd=folder)  # fmt: skip
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "router.yaml").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["tickets.csv", "--signatures", "support_router.py"],
            "tickets.csv is not a program saved by DSPy: it is not JSON",
        ),
        (["program.json", "--signature", "ticket -> restated"], "has 3 predictor(s)"),
        (["program.json"], "give the program's signatures either as a file"),
        (["missing.json", "--signatures", "support_router.py"], "missing.json not found"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(folder: Path, args, words) -> None:
    result = cli("import", *args, "--csv", "tickets.csv", "-o", "router.yaml", cwd=folder)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "router.yaml").exists()


def test_a_csv_without_the_programs_columns_writes_nothing(folder: Path) -> None:
    (folder / "other.csv").write_text("question,answer\nhi,there\n", encoding="utf-8")
    result = cli("import", "program.json", "--signatures", "support_router.py",
                 "--csv", "other.csv", "-o", "router.yaml", cwd=folder)  # fmt: skip
    assert result.returncode == 2 and "ticket" in result.stderr, result.stderr
    assert not (folder / "router.yaml").exists()


def test_import_run_export_and_load_back_into_the_users_program(folder: Path) -> None:
    """Issue 66's goal, by commands only: a DSPy program of three predictors comes in, is
    tuned, and goes back into the person's own program object."""
    made = cli("import", "program.json", "--signatures", "support_router.py",
               "--csv", "tickets.csv", "-o", "router.yaml", cwd=folder)  # fmt: skip
    assert made.returncode == 0, made.stderr
    env_lm = {"TUNESMITH_TEST_LM": "dspy_programs:router_lm"}
    ran = cli("run", "router.yaml", cwd=folder, **env_lm)
    assert ran.returncode == 0, ran.stderr
    with RunStore(folder / "tunesmith_data" / "runs.db") as store:
        [run] = store.list_runs()
        program = store.get_run(run["id"])["program"]
    out = cli("export", run["id"], "-f", "json", "-o", "tuned.json", cwd=folder)
    assert out.returncode == 0, out.stderr
    mine = user_program(folder / "support_router.py")
    mine.load(str(folder / "tuned.json"))
    assert "clear gain" in ran.stdout  # the scripted classifier is right with 2+ demos
    assert list(dict(mine.named_predictors())) == ["restate", "extract", "classify.predict"]
    assert len(mine.classify.predict.demos) >= 2
    for name, predictor in mine.named_predictors():
        assert predictor.signature.instructions == program[name]["signature"]["instructions"]
        assert [dict(d.items()) for d in predictor.demos] == program[name]["demos"]
