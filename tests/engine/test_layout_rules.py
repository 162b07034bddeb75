"""The engine's house rules, read from its own source (docs/design/layout.md states them): no
import circles between modules or between folders, each part imports only what the layout's
table allows, no import reaches into another package's private module, no module is named by
a string, and function-local imports of the engine's own modules are few and explained."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"
LAYOUT = ROOT / "docs" / "design" / "layout.md"
MAX_LOCAL_IMPORTS = 10
DOORS = {"teleprompt", "predict", "clients", "primitives", "dsp", "utils"}  # DSPy's paths


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ENGINE.rglob("*.py")}


def targets(node: ast.AST) -> list[str]:
    """The engine modules an import statement names (a `from` import of a submodule counts as
    that submodule)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in MODULES:
        subs = [f"{node.module}.{a.name}" for a in node.names]
        return [s for s in subs if s in MODULES] or [node.module]
    return []


def module_level_imports(path: Path) -> set[str]:
    """Imports outside functions (TYPE_CHECKING blocks included: they are arrows too)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        found.update(targets(node))
    local = {t for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
             for n in ast.walk(fn) for t in targets(n)}  # fmt: skip
    return found - local


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def file_graph() -> dict[str, set[str]]:
    graph = {name: module_level_imports(path) - {name} for name, path in MODULES.items()}
    # a package's __init__ re-exporting its own modules is not a circle of the house
    return {n: {t for t in ts if not t.startswith(n + ".")} for n, ts in graph.items()}


def folder_of(module: str) -> str:
    """The package a module lives in (a package's __init__: the package itself)."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def part_of(module: str) -> str:
    """The layout table's row of a module: its first folder below engine/; the top-level files
    and DSPy's path folders are the doors."""
    parts = module.split(".")
    if len(parts) == 1 or MODULES[module].parent == ENGINE or parts[1] in DOORS:
        return "doors"
    return parts[1]


def test_no_import_circle_between_engine_modules():
    assert find_cycle(file_graph()) is None


def test_no_import_circle_between_folders():
    graph: dict[str, set[str]] = {}
    for module, imported in file_graph().items():
        here = folder_of(module)
        for target in imported:
            there = folder_of(target)
            inside = there.startswith(here + ".") or here.startswith(there + ".")
            if there != here and not inside:
                graph.setdefault(here, set()).add(there)
    assert find_cycle(graph) is None


def layout_table() -> dict[str, set[str]]:
    """docs/design/layout.md's table: row (`engine/<part>/`, or "doors") -> parts it may import."""
    rows: dict[str, set[str]] = {}
    for line in LAYOUT.read_text().splitlines():
        match = re.match(r"\| `engine/([a-z_]*)/?` .*\|([^|]*)\|\s*$", line)
        if match:
            part = match.group(1) or "doors"
            rows[part] = set(re.findall(r"`([a-z_]+)`", match.group(2)))
    return rows


def test_each_part_imports_only_what_the_layout_table_allows():
    table = layout_table()
    assert {"core", "lm", "adapters", "modules", "optimizers", "runs", "doors"} <= set(table)
    found: dict[str, set[str]] = {}
    for module, imported in file_graph().items():
        for target in imported:
            if part_of(target) != part_of(module):
                found.setdefault(part_of(module), set()).add(part_of(target))
    parts = {part_of(m) for m in MODULES}
    assert parts <= set(table), f"parts the table does not list: {parts - set(table)}"
    wrong = {part: sorted(found[part] - table[part]) for part in found if found[part] - table[part]}
    assert wrong == {}, f"imports the table does not allow: {wrong}"


def private_reaches(source: str, package: str) -> list[str]:
    """The imports in `source` (a module of `package`) that reach into another package's
    private module or name: `from engine.a._b import x`, `import engine.a._b`, `from engine.a
    import _x`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            segs = name.split(".")
            private = [i for i, s in enumerate(segs) if s.startswith("_") and s[:2] != "__"]
            if segs[0] != "engine" or not private:
                continue
            owner = ".".join(segs[: private[0]])
            if package != owner and not package.startswith(owner + "."):
                found.append(name)
    return found


def test_no_import_reaches_into_another_packages_private_module():
    wrong = {}
    for path in [*ENGINE.rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")]:
        here = module_name(path)
        package = here if path.name == "__init__.py" else here.rpartition(".")[0]
        if reaches := private_reaches(path.read_text(), package):
            wrong[str(path.relative_to(ROOT))] = reaches
    assert wrong == {}


def test_no_module_is_named_by_a_string():
    """No importlib of the engine's own modules and no "dashboard." module path in the engine
    (engine/__init__.py's lazy names are the one exception; plugins and test hooks load
    modules the user names)."""
    wrong = []
    for path in ENGINE.rglob("*.py"):
        text = path.read_text()
        if re.search(r"[\"']dashboard\.[a-z_]+", text):
            wrong.append(f"{path.relative_to(ROOT)}: a dashboard module by name")
        if path == ENGINE / "__init__.py":
            continue
        for node in ast.walk(ast.parse(text)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "import_module" and node.args
                    and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):  # fmt: skip
                literal = ast.unparse(node.args[0])
                if "engine" in literal:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {literal}")
    assert wrong == []


def test_function_local_imports_of_the_engine_are_few_and_explained():
    local = []
    for path in sorted(ENGINE.rglob("*.py")):
        lines = path.read_text().splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if targets(node):
                    said = lines[node.lineno - 1] + lines[node.lineno - 2]
                    local.append((f"{path.relative_to(ROOT)}:{node.lineno}", "#" in said))
    assert len(local) <= MAX_LOCAL_IMPORTS, local
    assert all(explained for _, explained in local), local


def test_the_checks_see_what_they_look_for():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    source = (
        "from engine.optimizers.spine._base import Optimizer\n"
        "from engine.optimizers.spine import Trial\nimport engine.lm._litellm\n"
        "from engine.modules.module import _SECRET\n"
    )
    assert private_reaches(source, "engine.optimizers.gepa") == [
        "engine.optimizers.spine._base.Optimizer", "engine.lm._litellm",
        "engine.modules.module._SECRET",
    ]
    assert private_reaches(source.splitlines()[0], "engine.optimizers.spine") == []
    assert layout_table()["core"] == set()  # the core imports nothing of the engine
    assert "core" in layout_table()["lm"]
