"""What a pilot measures of SIMBA's rules: whether the prompt model's rules, written for the
rows the sampled variants disagree on, survive cleaning."""

from __future__ import annotations

from typing import Any

from engine.optimizers.simba._spread import buckets_by_spread
from engine.optimizers.simba._strategies import RuleWriter, rule_target
from engine.optimizers.spine import example_id

MAX_PILOT_RULES = 2  # rules written on disagreeing rows (one prompt-model call each)


def try_rules(
    optimizer: Any, student: Any, examples: list[Any], plain: Any, variants: list[Any]
) -> tuple[int, int]:
    """On up to MAX_PILOT_RULES rows where the variants disagree, the prompt model
    writes a rule from the best and the worst run, picked as SIMBA's first step picks them
    (`buckets_by_spread`), so the run asks the same and gets the reply from the cache;
    (written, kept by the cleaning)."""
    if not variants:
        return 0, 0
    writer = RuleWriter(getattr(optimizer, "prompt_model", None))
    paths = [path for path, _ in student.named_predictors()]
    by_id = {example_id(ex): ex for ex in examples}
    buckets = buckets_by_spread(list(by_id), [plain, *(t for _, t in variants)])
    tried = kept = 0
    for bucket in buckets:
        if tried >= MAX_PILOT_RULES or not paths:
            break
        if bucket.gap <= 0:
            continue
        (_, good), (_, bad) = bucket.best(), bucket.worst()
        text, _ = writer.write(
            student.deepcopy(), rule_target(good, bad, paths), by_id.get(bucket.example_id),
            good, bad,
        )  # fmt: skip
        tried += 1
        kept += text is not None
    return tried, kept
