"""A `module: MultiChainComparison` step: M ChainOfThought attempts, then one comparison
(docs/design/step_types.md). Predictor paths: `<step>.attempt.predict`, `<step>.compare.predict`.

The prediction lists the attempts under `attempts_key(step)`: `{"outputs": {...}}` each, with
`"error"` for a failed one (shown to the comparison as an empty attempt).
"""

from __future__ import annotations

import logging
from typing import Any

from engine.core import BudgetExhausted, Prediction, total_lm_usage
from engine.modules import ChainOfThought, Module, MultiChainComparison
from engine.runs.pipeline._rollouts import attempt_inputs

logger = logging.getLogger(__name__)


class StepMultiChain(Module):
    """M ChainOfThought attempts of a signature compared by MultiChainComparison."""

    def __init__(self, signature: Any, M: int, attempts_field: str = "attempts") -> None:  # noqa: N803
        self.M = M
        self.attempt = ChainOfThought(signature)
        self.compare = MultiChainComparison(signature, M=M)
        self.compare.predict.config.pop("temperature", None)  # the task model's own
        self.attempts_field = attempts_field

    def lm_calls_per_run(self) -> int:
        """M attempts and one comparison."""
        return self.M * self.attempt.lm_calls_per_run() + self.compare.lm_calls_per_run()

    def forward(self, **kwargs: Any) -> Prediction:
        completions: list[dict[str, Any]] = []
        done: list[Prediction] = []
        listed: list[dict[str, Any]] = []
        last_error: Exception | None = None
        for i in range(self.M):
            try:
                prediction = self.attempt(**attempt_inputs(self.attempt, kwargs, i))
            except BudgetExhausted:
                raise
            except Exception as exc:  # an unreadable reply: an empty attempt
                last_error = exc
                logger.warning("multi-chain attempt %d failed: %s: %s", i + 1,
                               type(exc).__name__, exc)  # fmt: skip
                completions.append({})
                listed.append({"outputs": {}, "error": f"{type(exc).__name__}: {exc}"[:300]})
                continue
            done.append(prediction)
            completions.append(dict(prediction.items()))
            listed.append({"outputs": dict(prediction.items())})
        if last_error is not None and not any(completions):
            raise last_error
        answer = self.compare(completions=completions, **kwargs)
        answer[self.attempts_field] = listed
        answer.set_lm_usage(total_lm_usage([*done, answer]))
        return answer
