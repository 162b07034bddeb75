"""Choice scores and offsets: how sure the embedded model was at a closed choice, and a learned
shift of that choice (calibration).

A closed reply (`reply_closed`, `engine.core._reply_hints`) is decided where the drafts part
ways. Where each token the model may write there leads to exactly one value (`true`/`false`,
`positive`/`negative`/`neutral`), the embedded model reports its log-probabilities of those
values, normalised over them, keyed by the line written just before the choice (the chat
adapter's field header, `[[ ## positive ## ]]`): `{line: {value: logprob}}`.

A small model's choice often carries a constant bias: SmolLM2-135M answers `true` to every
review in the chat format, while its `true - false` log-odds still rank the reviews (AUC 0.85
on the 60 sample reviews, zero-shot). The request parameter `reply_bias` (same keys,
`engine.core._reply_hints`) subtracts an offset from each value's score before the pick, greedy or
sampled; the optimizers fit these offsets on the validation set
(`engine.optimizers.calibration`).

Scores travel beside the reply: in the local provider's response, in the LM cache entry, and
to whoever is `collecting()` in this context (a `Predict` call). A served or hosted model whose
provider reports log-probabilities has the same scores read from them
(`engine.lm._logprob_scores`); it takes no `reply_bias`, so `Predict` re-picks its answer with
the offsets. A model that reports neither gets nothing fitted and nothing sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from engine.core import Scores

_collector: ContextVar[list[list[Scores]] | None] = ContextVar("choice_scores", default=None)


@contextmanager
def collecting() -> Iterator[list[list[Scores]]]:
    """Within: each LM call that reports choice scores appends them (one `Scores` per
    completion) to the yielded list."""
    found: list[list[Scores]] = []
    token = _collector.set(found)
    try:
        yield found
    finally:
        _collector.reset(token)


def publish(scores: Any) -> None:
    """Hand one call's choice scores (a list per completion) to the active collector."""
    found = _collector.get()
    if found is not None and scores:
        found.append([dict(s) for s in scores])
