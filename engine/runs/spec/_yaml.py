"""YAML for specs and project files: the safe loader, with a cap on what aliases expand to.

`yaml.safe_load` builds no objects, but anchors and aliases still let a few hundred bytes
stand for billions of nodes (the "billion laughs" bomb), which blows up whatever walks the
result. `load_yaml` counts the nodes the document expands to and refuses past a limit.
Deep nesting is refused from the scanner's tokens before anything recursive reads it: the
composer recurses once per level, and in a thread with a small stack (the dashboard's script
threads, a test worker) a few thousand levels crash the process instead of raising.
A key written twice in one mapping is refused (YAML keeps the last, a reader sees the first),
and so is an integer written with more than MAX_NUMBER_CHARS characters (Python cannot turn
one of 4,300 digits into text, and no setting needs one that long).
"""

from __future__ import annotations

from typing import Any

import yaml

from engine.core import SpecError

MAX_NODES = 100_000
MAX_DEPTH = 64  # a spec is a few levels deep; YAML's composer recurses once per level
MAX_NUMBER_CHARS = 100  # an integer's text (a seed of 2**256 has 78 digits)
_OPENS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"


def _too_deep(text: str) -> bool:
    """Whether the document nests collections deeper than MAX_DEPTH (read token by token, with
    no recursion)."""
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif isinstance(token, _CLOSES):
            depth -= 1
    return False


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _check_node(node: yaml.Node, what: str) -> None:
    """SpecError for a key written twice in a mapping, or an integer too long to read."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _INT:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise SpecError(
                f"{what} holds a number {len(node.value):,} characters long (line "
                f"{_line(node)}); no setting needs more than {MAX_NUMBER_CHARS} digits"
            )
    if isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
                continue
            mark = (key.tag, key.value)
            if mark in first:
                raise SpecError(
                    f"{what} gives the key {key.value!r} twice (lines {first[mark]} and "
                    f"{_line(key)}); YAML keeps only the last one, so write it once"
                )
            first[mark] = _line(key)


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int], what: str) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise SpecError("the YAML refers to itself (a recursive alias); write the values out")
    active.add(key)
    _check_node(node, what)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo, active, what)
            if total > MAX_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, active, what) + _expanded_size(v, memo, active, what)
            if total > MAX_NODES:
                break
    active.discard(key)
    memo[key] = total
    return total


def load_yaml(text: str, what: str = "the spec") -> Any:
    """Parse YAML/JSON text safely; SpecError for bad YAML or a document too big once expanded."""
    try:
        if _too_deep(text):
            raise SpecError(
                f"{what} nests lists or mappings more than {MAX_DEPTH} levels deep; a spec "
                "never needs that, so it is refused"
            )
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            return None
        if _expanded_size(node, {}, set(), what) > MAX_NODES:
            raise SpecError(
                f"{what} expands to more than {MAX_NODES:,} values through YAML anchors and "
                "aliases (&name / *name); a spec never needs that many, so it is refused"
            )
        return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 (SafeLoader)
    except yaml.YAMLError as exc:
        raise SpecError(f"{what} is not valid YAML/JSON: {exc}") from None
    except SpecError:
        raise
    except ValueError as exc:  # a value the constructors cannot build, e.g. a 13th month
        raise SpecError(f"{what} holds a value that cannot be read: {exc}") from None
    except RecursionError:
        raise SpecError(f"{what} is nested too deeply to read") from None
