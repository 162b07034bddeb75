"""The check a weights run makes before it hands back its program: what it tuned against the
program as given, on validation rows it did not train on (the valset, or a share of the training
rows held back when none is given; never test rows). The start comes back under the same rule
as the prompt optimizers' (`start_kept_reason`, the run's `keep_start`); the spine applies it,
this module says it: the run's log, a warning on Python's log and `result.details["check"]`."""

from __future__ import annotations

import logging
import random
from typing import Any

from engine.optimizers.spine import RunContext, Trial, start_kept_reason

logger = logging.getLogger(__name__)

# Without a valset, this share of the training rows is held back to check the tuned program.
CHECK_SHARE = 0.2
BASELINE_ORIGIN = "baseline (student as given)"  # the spine's name for the start's trial


def hold_back(trainset: list[Any], share: float, keep: int) -> tuple[list[Any], list[Any]]:
    """(rows to train on, rows held back to check on): a seeded `share` of the rows, at least
    one; none when fewer than `keep` rows would be left to train on."""
    count = max(1, round(len(trainset) * share)) if share > 0 else 0
    if count == 0 or len(trainset) - count < keep:
        return list(trainset), []
    held = set(random.Random(0).sample(range(len(trainset)), count))
    return ([row for i, row in enumerate(trainset) if i not in held],
            [row for i, row in enumerate(trainset) if i in held])  # fmt: skip


def check_result(run: RunContext, name: str, start: Trial | None, best: Trial | None,
                 unchecked: str = "") -> dict[str, Any]:  # fmt: skip
    """What the check found (`result.details["check"]`), logged for the run; a warning on
    Python's log when the start comes back. `unchecked` says why nothing was checked."""
    if start is None or best is None:
        why = unchecked or "no validation rows"
        run.recorder.log(f"not checked against the program as given: {why}")
        return {"rows": 0, "start_score": None, "result_score": None, "kept_start": None,
                "unchecked": why}  # fmt: skip
    kept = start_kept_reason(start, best, run.keep_start)
    run.recorder.log(
        f"checked on {start.n} validation rows it did not train on: {best.score:.0%} against "
        f"{start.score:.0%} for the program as given"
    )
    if kept is not None:
        logger.warning("%s hands back the program as given: %s (scores in "
                       ".result.details['check'])", name, kept)  # fmt: skip
    return {"rows": start.n, "start_score": start.score, "result_score": best.score,
            "kept_start": kept, "unchecked": None}  # fmt: skip
