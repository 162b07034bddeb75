"""Reply rules: stop a reply once more text could not change what its caller keeps of it.

A caller that reads only part of a reply (an optimizer keeps one paragraph of a proposed
instruction) names a rule in the request parameter `reply_until`; the embedded model checks the
rule on the reply so far after every token and stops when it holds. A rule is a function of the
reply so far, registered here by the code that reads the reply, so the rule and the reading
cannot drift apart. A rule may also name what to keep of a reply it stopped (`keeper`): a loop
rule stops once a line comes a second time and keeps the reply without the repeat. Hosted
models never get the parameter (see `until_kwargs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

PARAM = "reply_until"

_RULES: dict[str, Callable[[str], bool]] = {}
_KEEPERS: dict[str, Callable[[str], str]] = {}


def register(
    name: str, settled: Callable[[str], bool], keep: Callable[[str], str] | None = None
) -> None:
    """Make `settled(reply_so_far) -> bool` available as rule `name`; `keep(reply) -> str`, if
    given, is what the model returns of a reply (it must leave a reply the rule never stopped
    as it is)."""
    _RULES[name] = settled
    if keep is not None:
        _KEEPERS[name] = keep


def rule(name: str | None) -> Callable[[str], bool] | None:
    """The rule called `name`, or None (an unknown name is logged and ignored)."""
    if not name:
        return None
    found = _RULES.get(name)
    if found is None:
        logger.debug("unknown reply rule %r ignored", name)
    return found


def keeper(name: str | None) -> Callable[[str], str] | None:
    """What rule `name` keeps of a reply, or None when it keeps the whole reply."""
    return _KEEPERS.get(name) if name else None


def until_kwargs(lm: Any, name: str) -> dict[str, Any]:
    """`{reply_until: name}` for an LM that takes such parameters (the embedded model), else
    nothing."""
    return {PARAM: name} if getattr(lm, "supports_stop", False) else {}
