"""Rows the LM cache already answers: what a forecast should not count as calls to pay for.

A run scores the program as given on the validation rows (its baseline) and on the held-out
rows; when an earlier run of the same rows with the same model asked the same questions (a
second run of a project, another seed over the same CSV), those replies come from the run's LM
cache and cost nothing. `cached_rows` finds them without calling the model: it runs the program
on each row under a budget of no calls, so a row counts only if every call it makes is a cache
hit (a row whose first step is cached but not its second counts as a miss).
"""

from __future__ import annotations

import logging
from typing import Any

from engine.errors import TunesmithError
from engine.lm.budget import Budget
from engine.settings import settings

logger = logging.getLogger(__name__)


def cached_rows(program: Any, rows: list[Any], lm: Any) -> int:
    """How many of `rows` `program` would answer from the LM cache alone, with `lm`."""
    if lm is not None and not getattr(lm, "cache", True):
        return 0  # an LM whose cache is off pays for every call
    hits = 0
    with settings.context(lm=lm, budget=Budget(max_calls=0), callbacks=[]):
        for example in rows:
            try:
                program(**dict(example.inputs().items()))
            except TunesmithError:  # the budget of no calls: a call the cache did not answer
                continue
            except Exception as error:  # noqa: BLE001 - a row the run would fail on: not cached
                logger.debug("cache probe: a row failed (%s)", error)
                continue
            hits += 1
    return hits
