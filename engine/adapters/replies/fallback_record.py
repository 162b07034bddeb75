"""Which parse-fallback calls are worth making: fallback outcomes per prompt family.

When a reply cannot be parsed, the adapter spends one more call asking for the answer in its
fallback format (JSON). A model that cannot do that for a prompt keeps not doing it: SmolLM2
zero-shot on banking77 made 34 such calls for 40 examples and none gave a usable answer, which
was half of that candidate's time. So the outcomes are kept per prompt family (the model, its
temperature, and every message but the last, i.e. the instructions and demos), and a family
whose first `failures_before_skip` fallbacks all failed gets no more; the parse error stands,
as it would after a failed fallback. One success keeps fallbacks on for the family for good.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

FAILURES_BEFORE_SKIP = 5
MAX_FAMILIES = 1024


@dataclass
class FamilyOutcomes:
    failed: int = 0
    succeeded: int = 0
    skipped: int = 0


class FallbackRecord:
    """Thread-safe counts of fallback outcomes per prompt family (least recently used dropped)."""

    def __init__(self, failures_before_skip: int = FAILURES_BEFORE_SKIP) -> None:
        self.failures_before_skip = failures_before_skip
        self._families: OrderedDict[str, FamilyOutcomes] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def family(lm: Any, lm_kwargs: dict[str, Any], messages: list[dict[str, Any]]) -> str:
        """The prompt family of a request: model, temperature and all messages but the last."""
        temperature = lm_kwargs.get("temperature", getattr(lm, "kwargs", {}).get("temperature"))
        identity = [getattr(lm, "model", type(lm).__name__), temperature, messages[:-1]]
        blob = json.dumps(identity, sort_keys=True, default=str).encode()
        return hashlib.blake2b(blob, digest_size=16).hexdigest()

    def worth_trying(self, family: str) -> bool:
        """False once the family's first fallbacks all failed (and none ever succeeded)."""
        with self._lock:
            outcomes = self._touch(family)
            hopeless = outcomes.succeeded == 0 and outcomes.failed >= self.failures_before_skip
            if hopeless:
                outcomes.skipped += 1
            return not hopeless

    def record(self, family: str, succeeded: bool) -> None:
        with self._lock:
            outcomes = self._touch(family)
            if succeeded:
                outcomes.succeeded += 1
            else:
                outcomes.failed += 1

    def snapshot(self) -> list[FamilyOutcomes]:
        """A copy of every family's counts, least recently used first."""
        with self._lock:
            return [FamilyOutcomes(**vars(o)) for o in self._families.values()]

    def by_family(self) -> dict[str, FamilyOutcomes]:
        """A copy of every family's counts, by family."""
        with self._lock:
            return {family: FamilyOutcomes(**vars(o)) for family, o in self._families.items()}

    def add(self, family: str, outcomes: FamilyOutcomes) -> None:
        """Count outcomes seen elsewhere (rows scored in another process) as if seen here."""
        with self._lock:
            mine = self._touch(family)
            mine.failed += outcomes.failed
            mine.succeeded += outcomes.succeeded
            mine.skipped += outcomes.skipped

    def clear(self) -> None:
        with self._lock:
            self._families.clear()

    def _touch(self, family: str) -> FamilyOutcomes:
        outcomes = self._families.pop(family, None) or FamilyOutcomes()
        self._families[family] = outcomes
        while len(self._families) > MAX_FAMILIES:
            self._families.popitem(last=False)
        return outcomes
