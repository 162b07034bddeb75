"""No engine or dashboard code outside an optimizer's own subpackage (one optimizer may build on
another there) names an optimizer (a string it compares or keys on, or its class imported), and
no string names a dashboard module: what differs between optimizers is a field of their registry
entries. Read from the ast of every file; docstrings, and the DSPy-shaped doors that re-export
the classes, aside."""

from __future__ import annotations

import ast
from pathlib import Path

from engine.optimizers import registry

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = [e for e in registry.entries() if e.factory.__module__.startswith("engine.")]
SHARED = {"spine", "proposing", "calibration", "__pycache__"}  # what every optimizer builds on
HOMES = [d for d in (ROOT / "engine/optimizers").iterdir() if d.is_dir() and d.name not in SHARED]
NAMES = {n for e in ENTRIES for n in (e.name, *e.aliases, e.factory.__name__)}
DOORS = [ROOT / "engine/__init__.py", ROOT / "engine/optimizers/__init__.py",
         ROOT / "engine/teleprompt"]  # fmt: skip


def docstrings(tree: ast.AST) -> set[int]:
    kinds = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    nodes = [n for n in ast.walk(tree) if isinstance(n, kinds)]
    return {
        id(n.body[0].value) for n in nodes
        if n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
    }  # fmt: skip


def named(path: Path, names: set[str] = NAMES) -> list[str]:
    """The optimizer `names` a file uses as logic, and the dashboard modules its strings name."""
    tree = ast.parse(path.read_text(), str(path))
    skip = docstrings(tree) | {
        id(c) for n in ast.walk(tree) if isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
        for c in ast.walk(n.value)
    }  # fmt: skip
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if node.value in names or node.value.startswith("dashboard."):
                found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine"):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name in names]
    return sorted(found, key=lambda f: int(f.split(":")[0]))


def files() -> list[Path]:
    everything = [*(ROOT / "engine").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")]
    away = [*HOMES, *DOORS]
    return [p for p in everything if not any(p == a or a in p.parents for a in away)]


def test_no_code_outside_an_optimizers_own_subpackage_names_one():
    assert len(ENTRIES) >= 10 and len(files()) > 200
    found = {str(p.relative_to(ROOT)): bad for p in files() if (bad := named(p))}
    assert found == {}


def test_no_engine_string_names_a_dashboard_module():
    found = {str(p): bad for p in (ROOT / "engine").rglob("*.py") if (bad := named(p, set()))}
    assert found == {}


def test_the_check_sees_a_name_a_key_an_import_and_a_dashboard_module(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text(
        '"""Docstrings may say GEPA."""\n__all__ = ["GEPA"]\n'
        'from engine.optimizers import KNNFewShot\n'
        'if name != "LabeledFewShot":\n    SHARE = {"BootstrapFewShotWithRandomSearch": 0.6}\n'
        'VIEW = "dashboard.widgets.x:view"\n'
    )
    assert named(sample) == [
        "3: import KNNFewShot", "4: 'LabeledFewShot'", "5: 'BootstrapFewShotWithRandomSearch'",
        "6: 'dashboard.widgets.x:view'",
    ]
