"""The dashboard reaches the engine through its facade only: `engine`, `engine.runs` and the
optimizer registry (checked on the ast of every dashboard file)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"engine", "engine.runs", "engine.optimizers.registry"}


def engine_imports(path: Path) -> list[str]:
    """The engine modules a file imports, as `module` or `module:name` for `from` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "engine"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            if module.split(".")[0] == "engine":
                found += [f"{module}:{a.name}" for a in node.names]
    return found


def outside_the_facade(target: str) -> bool:
    module, _, name = target.partition(":")
    if module in ALLOWED:
        return module == "engine.runs" and name not in _runs_names()
    return not (module == "engine.optimizers" and name == "registry")


def _runs_names() -> set[str]:
    import engine.runs

    return set(engine.runs.__all__)  # a name of the facade; never one of its rooms or modules


def test_every_dashboard_file_imports_the_engine_through_its_facade():
    files = sorted((ROOT / "dashboard").rglob("*.py"))
    assert len(files) > 30
    wrong = {
        str(path.relative_to(ROOT)): bad
        for path in files
        if (bad := [t for t in engine_imports(path) if outside_the_facade(t)])
    }
    assert wrong == {}


def test_the_check_sees_a_deep_import(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text(
        "from engine.optimizers.gepa._plan import auto_metric_calls\n"
        "import engine.lm.cache\nfrom engine.runs import load_data\n"
        "from engine.optimizers import registry\nfrom engine.runs import export, store\n"
        "from engine.runs.store import RunStore\n"
    )
    bad = [t for t in engine_imports(sample) if outside_the_facade(t)]
    assert bad == [
        "engine.optimizers.gepa._plan:auto_metric_calls", "engine.lm.cache",
        "engine.runs:export", "engine.runs:store", "engine.runs.store:RunStore",
    ]
