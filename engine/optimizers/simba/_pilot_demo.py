"""What a pilot measures of SIMBA's demos: how a program with one demo added answers.

SIMBA's first step builds programs by adding a demo (a run the model got right) to the
student. Whether that demo helps or hurts decides what the next steps draw and pay for: on the
135M model a single demo made it repeat the demo's label, its programs lost to the student,
and the run re-ran the student's cached rows. The pilot builds the demo program step 1 most
likely builds first and scores it on its rows (`spine._pilot.run_pilot`), so the run gets
those calls back from the cache when it builds the same program.
"""

from __future__ import annotations

from typing import Any

from engine.optimizers.simba._spread import buckets_by_spread, percentile
from engine.optimizers.simba._strategies import append_demo


def first_demo_program(optimizer: Any, student: Any, plain: Any, variants: list[Any]) -> Any:
    """The student with the demo of the first run SIMBA would call good in its spread order
    (rows where the variants agree first: half of the rows where they disagree get a rule
    instead); None when there is none (a batch all right or all wrong builds no demo) or the
    optimizer adds no demos."""
    if optimizer.max_demos <= 0:
        return None
    ids = [row["example_id"] for row in plain.rows]
    buckets = buckets_by_spread(ids, [plain, *variants])
    scores = [score for bucket in buckets for score in bucket.scores]
    low, top = percentile(scores, 10), max(scores, default=0.0)
    for bucket in sorted(buckets, key=lambda b: b.gap > 0):  # stable: spread order kept
        _, good = bucket.best()
        score = float(good["score"])
        if score <= 0 or not (score > low or (bucket.gap > 0 and score >= top)):
            continue  # not a run SIMBA calls good enough for a demo (`SimbaSearch.apply`)
        program = student.deepcopy()
        added = append_demo(
            program, good, bucket.example_id, optimizer.max_demos,
            optimizer.demo_input_field_maxlen,
        )  # fmt: skip
        if not isinstance(added, str):
            return program
    return None
