"""The safe built-in tools a spec's ReAct step may use: calculator, search, lookup.

None of them runs model-written code: the calculator parses arithmetic with `ast` and
evaluates only numbers and + - * / // % ** (with bounded exponents); search ranks the
project's corpus with BM25 or embeddings (engine.runs.pipeline._corpus_index); lookup reads a CSV
table from the project folder. An mcp entry starts (once per process) the server its command
names, in the project folder, and takes the tools it picks (engine.adapters.mcp).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from engine.adapters.mcp import (
    START_TIMEOUT,
    McpServer,
    McpServerError,
    McpToolInfo,
    shared_server,
)
from engine.adapters.types.tool import Tool
from engine.core import SpecError
from engine.runs.data import read_csv, resolve_path
from engine.runs.pipeline._corpus_index import corpus_index
from engine.runs.spec import ProjectSpec, ToolSpec

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}  # fmt: skip
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
MAX_EXPONENT = 100
MAX_CHARS = 200


def _value(node: ast.AST) -> float | int:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise ValueError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
        return _BINARY[type(node.op)](left, right)
    raise ValueError("only numbers, + - * / // % ** and parentheses are allowed")


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as (12 + 3) * 4 / 2 and return the result."""
    text = str(expression).strip().replace("^", "**").replace(",", "")
    if len(text) > MAX_CHARS:
        raise ValueError(f"expression too long (at most {MAX_CHARS} characters)")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(f"cannot read {expression!r} as arithmetic") from None
    try:
        result = _value(tree.body)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    if isinstance(result, float) and result.is_integer():
        result = int(result)
    return str(result)


def make_search(index: Any, k: int = 3) -> Tool:
    """A `search(query)` tool: the top `k` passages by the corpus index `index` (its `rm`)."""

    def search(query: str) -> str:
        """Search the project's documents; returns the most relevant passages."""
        found = [p.long_text for p in index(str(query), k=k)]
        return "\n".join(f"[{i}] {text}" for i, text in enumerate(found, 1)) or "no passage found"

    return Tool(search)


def make_lookup(rows: list[dict[str, str]], key: str, table: str) -> Tool:
    """A `lookup(<key>)` tool: the row of `rows` whose `key` column matches (case-insensitive)."""
    index = {" ".join(r[key].lower().split()): r for r in rows if r.get(key, "").strip()}

    def lookup(value: str) -> str:
        row = index.get(" ".join(str(value).lower().split()))
        if row is None:
            known = ", ".join(list(r[key] for r in index.values())[:20])
            return f"no row with {key} = {value!r}; known values: {known}"
        return "; ".join(f"{col}: {cell}" for col, cell in row.items())

    return Tool(
        lookup,
        desc=f"Look up the row of the table {table} whose {key} is the given value.",
        arg_desc={"value": f"the {key} to look up"},
    )


def build_tools(spec: ProjectSpec, tools: list[ToolSpec], key: str) -> list[Tool]:
    """The tools of a ReAct step; files are read (inside the project folder) now."""
    built = []
    for i, tool in enumerate(tools):
        where = f"{key}.tools.{i}"
        if tool.name == "calculator":
            built.append(Tool(calculator))
        elif tool.name == "mcp":
            built += _mcp_tools(spec, tool, where)
        elif tool.name == "search":
            rm = corpus_index(spec, tool.corpus, tool.retriever, tool.embedder, where)  # type: ignore[arg-type]
            built.append(make_search(rm, tool.k))
        else:
            path = resolve_path(spec, tool.table or "", key=f"{where}.table")
            header, rows = read_csv(path, key=f"{where}.table")
            if tool.key not in header:
                raise SpecError(
                    f"{where}.key: column {tool.key!r} is not in {path.name}; its columns: {header}"
                )
            built.append(make_lookup(rows, tool.key or "", path.name))
    return built


def _mcp_tools(spec: ProjectSpec, tool: ToolSpec, where: str) -> list[Tool]:
    """The picked tools of a running server; a server that does not start or no longer has a
    picked tool is a SpecError (before any LM call)."""
    try:
        return shared_server(tool.command or "", cwd=spec.base_dir).tools(tool.pick)
    except McpServerError as exc:
        raise SpecError(f"{where}: {exc}") from None


def server_tools(
    command: str, base_dir: str | Path, timeout: float = START_TIMEOUT
) -> list[McpToolInfo]:
    """The tools of the MCP server `command` starts in `base_dir` (started, listed, stopped),
    for choosing them; SpecError saying why when it does not start, has no tools or does not
    list them within `timeout` seconds."""
    try:
        with McpServer(command, cwd=base_dir) as server:
            return server.list_tools(timeout=timeout)
    except McpServerError as exc:
        raise SpecError(str(exc)[0].upper() + str(exc)[1:]) from None


def tools_at(base_dir: str | Path, tools: list[dict[str, Any]]) -> list[Tool]:
    """`build_tools` for exported code: tool specs as dicts, files read inside `base_dir`."""
    project = SimpleNamespace(base_dir=Path(base_dir))
    return build_tools(project, [ToolSpec(**t) for t in tools], "tools")  # type: ignore[arg-type]
