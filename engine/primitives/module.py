"""DSPy's `dspy.primitives.module` path: `Module`, and `set_attribute_by_name` (set the attribute
a dotted path such as `sub.items[0]['key'].lm` names, the paths `named_sub_modules` gives)."""

from __future__ import annotations

import ast
import re
from typing import Any

from engine.modules.module import Module

# one step of a path: `.name`, `name` at the start, or `[index]` / `['key']`
_STEP = re.compile(r"\.?([A-Za-z_]\w*)|\[([^\]]+)\]")


def _steps(path: str) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(path):
        match = _STEP.match(path, pos)
        if match is None or (pos == 0 and path.startswith(".")):
            raise ValueError(f"cannot read the attribute path {path!r} at character {pos}")
        if match.group(1) is not None:
            steps.append(("attr", match.group(1)))
        else:
            try:
                steps.append(("item", ast.literal_eval(match.group(2))))
            except (ValueError, SyntaxError):
                raise ValueError(f"bad index {match.group(2)!r} in {path!r}") from None
        pos = match.end()
    if not steps or steps[-1][0] != "attr":
        raise ValueError(f"the attribute path {path!r} must end with an attribute name")
    return steps


def set_attribute_by_name(obj: Any, name: str, value: Any) -> None:
    """Set the attribute `name` (a path like `sub.items[0]['key'].attr`) of `obj` to `value`."""
    steps = _steps(name)
    target = obj
    for kind, key in steps[:-1]:
        target = getattr(target, key) if kind == "attr" else target[key]
    setattr(target, steps[-1][1], value)


__all__ = ["Module", "set_attribute_by_name"]
