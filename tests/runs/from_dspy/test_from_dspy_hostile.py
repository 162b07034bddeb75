"""Attack family: a DSPy program file or saved JSON that would run code, or hang or crash the
reader, when brought in. The file is read from its syntax tree and never imported, run or
evaluated: what would run on import is refused naming its line, and nothing in it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from dspy_programs import saved_program

from engine.runs.from_dspy import ImportProblem, import_dspy

pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


@pytest.fixture
def saved(tmp_path: Path) -> tuple[str, str]:
    program, source = saved_program(tmp_path)
    return program.read_text(encoding="utf-8"), source.read_text(encoding="utf-8")


RUNS_CODE = [
    ("import requests\n", "line 3: `import requests` imports requests"),
    ("import os\nos.system('echo hi')\n", "line 3: `import os` imports os"),
    ("import subprocess as sp\n", "line 3: `import subprocess as sp` imports subprocess"),
    ("from urllib.request import urlopen\n", "line 3: `from urllib.request import urlopen`"),
    ("dspy.configure(lm=dspy.LM('x/y'))\n", "line 3: `dspy.configure(lm=dspy.LM('x/y'))` runs"),
    ("Made = dspy.Signature('a -> b')\n", "line 3: `Made = dspy.Signature('a -> b')` runs code"),
    ("__import__('os').system('id')\n", "line 3: `__import__('os').system('id')` runs code"),
    ("print('hello')\n", "line 3: `print('hello')` runs code when the file is imported"),
    ("from .helpers import make\n", "line 3: `from .helpers import make` imports .helpers"),
    ("X = 10 ** 10 ** 10\n", "line 3: `X = 10 ** 10 ** 10` runs code"),
    ("try:\n    import dspy\nexcept ImportError:\n    pass\n", "line 3: `try:` runs code"),
    ("@dataclass\nclass A:\n    pass\n", "line 3: `dataclass` decorates a class, which runs"),
    ("class M(dspy.Signature, metaclass=Evil):\n    pass\n", "passes options to its class"),
]


@pytest.mark.parametrize(("line", "words"), RUNS_CODE)
def test_a_signatures_file_that_needs_running_is_refused_naming_the_line(saved, line, words):
    source = saved[1].replace("from typing import Literal\n", f"from typing import Literal\n{line}")
    with pytest.raises(ImportProblem) as caught:
        import_dspy(saved[0], source, signatures_name="router.py")
    assert "router.py line " in str(caught.value) and words in str(caught.value)


def test_reading_the_file_runs_nothing_in_it(saved, tmp_path: Path):
    marker = tmp_path / "ran.txt"
    opens = f"open({str(marker)!r}, 'w')"
    forward = "def forward(self, ticket):"
    source = saved[1].replace(forward, f"def forward(self, ticket, x={opens}):")
    source = source.replace("    restated: str = dspy.OutputField()\n",
                            f"    restated: str = dspy.OutputField(desc='d' if {opens} else '')\n",
                            1)  # fmt: skip
    with pytest.raises(ImportProblem, match="has a desc= that is not text written out"):
        import_dspy(saved[0], source)
    source = saved[1].replace(forward, f"def forward(self, ticket, x={opens}):")
    assert import_dspy(saved[0], source).spec.pipeline  # a default it never evaluates
    assert not marker.exists()


def test_an_annotation_that_would_run_code_is_refused_unevaluated(saved):
    hostile = "topic: __import__('os').system('id') = dspy.OutputField("
    source = saved[1].replace("topic: str = dspy.OutputField(", hostile)
    with pytest.raises(ImportProblem, match=r"has the type `__import__\('os'\).system\('id'\)`"):
        import_dspy(saved[0], source)


@pytest.mark.parametrize(
    ("json_text", "source", "words"),
    [
        ("[" * 100_000, None, "nested too deeply to read"),
        (None, "x = " + "-" * 100_000 + "1\n", "nested too deeply to read"),
        (None, "x = " + "(" * 1000 + ")" * 1000 + "\n", "line 1: not valid Python"),
        (None, "def broken(:\n", "line 1: not valid Python"),
    ],
)
def test_a_file_built_to_crash_the_reader_gets_a_message(saved, json_text, source, words):
    with pytest.raises(ImportProblem, match=words):
        import_dspy(json_text or saved[0], source or saved[1])
