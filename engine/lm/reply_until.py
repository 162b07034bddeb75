"""Reply rules: stop a reply once more text could not change what its caller keeps of it.

A caller that reads only part of a reply (an optimizer keeps one paragraph of a proposed
instruction) names a rule in the request parameter `reply_until`; the embedded model checks the
rule on the reply so far after every token and stops when it holds. A rule is a function of the
reply so far, registered here by the code that reads the reply, so the rule and the reading
cannot drift apart. Hosted models never get the parameter (see `until_kwargs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

PARAM = "reply_until"

_RULES: dict[str, Callable[[str], bool]] = {}


def register(name: str, settled: Callable[[str], bool]) -> None:
    """Make `settled(reply_so_far) -> bool` available as rule `name`."""
    _RULES[name] = settled


def rule(name: str | None) -> Callable[[str], bool] | None:
    """The rule called `name`, or None (an unknown name is logged and ignored)."""
    if not name:
        return None
    found = _RULES.get(name)
    if found is None:
        logger.debug("unknown reply rule %r ignored", name)
    return found


def until_kwargs(lm: Any, name: str) -> dict[str, Any]:
    """`{reply_until: name}` for an LM that takes such parameters (the embedded model), else
    nothing."""
    return {PARAM: name} if getattr(lm, "supports_stop", False) else {}
