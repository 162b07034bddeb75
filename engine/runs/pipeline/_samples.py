"""A step's `samples` option: run it n times through engine's Parallel and keep the majority
of its last output (docs/design/step_types.md). Predictor paths: `<step>.module...`.

The prediction lists the samples under `attempts_key(step)`: `{"outputs", "kept"}` each, with
`"error"` for a failed one.
"""

from __future__ import annotations

from typing import Any

from engine.core import BudgetExhausted, Prediction, record_trace, settings, total_lm_usage
from engine.modules import Module, Parallel, majority
from engine.runs.pipeline._rollouts import attempt_inputs


class StepSamples(Module):
    """n samples of a module reduced by majority over one output field."""

    def __init__(self, module: Module, n: int, field: str, attempts_field: str) -> None:
        self.module = module
        self.n = n
        self.field = field
        self.attempts_field = attempts_field

    def lm_calls_per_run(self) -> int:
        """n runs of the module."""
        return self.n * self.module.lm_calls_per_run()

    def _sample(self, **kwargs: Any) -> tuple[Prediction, list[Any]]:
        trace: list[Any] = []
        with settings.context(trace=trace):
            return self.module(**kwargs), trace

    def forward(self, **kwargs: Any) -> Prediction:
        pairs = [(self._sample, attempt_inputs(self.module, kwargs, i)) for i in range(self.n)]
        parallel = Parallel(max_errors=self.n, return_failed_examples=True)
        results, _, errors = parallel(pairs)
        for error in errors:
            if isinstance(error, BudgetExhausted):
                raise error
        done = [r for r in results if r is not None]
        if not done:
            raise errors[-1]
        chosen = majority([p for p, _ in done], field=self.field)
        kept = next(i for i, (p, _) in enumerate(done) if dict(p.items()) == dict(chosen.items()))
        record_trace(*done[kept][1])
        listed, index, pending = [], 0, iter(errors)  # a failed sample: the next error's text
        for result in results:
            if result is None:
                error = next(pending, None)
                reason = f"{type(error).__name__}: {error}"[:300] if error else "failed"
                listed.append({"outputs": {}, "kept": False, "error": reason})
                continue
            listed.append({"outputs": dict(result[0].items()), "kept": index == kept})
            index += 1
        answer = Prediction(**dict(done[kept][0].items()))
        answer[self.attempts_field] = listed
        answer.set_lm_usage(total_lm_usage([p for p, _ in done]))
        return answer

