"""docs/COMPATIBILITY.md is what tools/compat_table.py writes, and every name engine lacks says
why (after a merge that adds names, rerun `python tools/compat_table.py`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    pytest.importorskip("dspy")
    spec = importlib.util.spec_from_file_location("compat_table", ROOT / "tools/compat_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_dspy_name_has_a_row_and_every_gap_a_reason():
    tool = _tool()
    import dspy

    table = tool.rows()
    assert [n for n, _, _ in table] == tool.dspy_names()
    assert set(tool.dspy_names()) <= set(dir(dspy)) and len(table) > 100
    assert [n for n, status, note in table if status == tool.MISSING and "No note" in note] == []
    names = {n for n, _, _ in table}
    for name in ("MIPRO", "BayesianSignatureOptimizer"):  # the old names are listed apart
        assert name not in names and name in tool.EXTRA


def test_the_document_is_up_to_date():
    tool = _tool()
    assert (ROOT / "docs/COMPATIBILITY.md").read_text(encoding="utf-8") == tool.render(), (
        "run python tools/compat_table.py"
    )
