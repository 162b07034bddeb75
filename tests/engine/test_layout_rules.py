"""The engine's house rules, read from its own source: no import circles between its modules,
and function-local imports of its own modules only with a stated reason (at most ten)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"
MAX_LOCAL_IMPORTS = 10


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
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
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


def test_no_import_circle_between_engine_modules():
    graph = {name: module_level_imports(path) - {name} for name, path in MODULES.items()}
    # a package's __init__ re-exporting its own modules is not a circle of the house
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    assert find_cycle(graph) is None


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


def test_the_check_sees_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
