"""What the random-search tests share: numbered questions, an exact-match metric, and one
search on a scripted LM (one row at a time, so no candidate is built ahead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import engine as dspy
from engine.lm import ScriptedLM
from engine.optimizers import BootstrapFewShotWithRandomSearch, RunContext


def qa(n: int, start: int = 0) -> list[dspy.Example]:
    """Questions q<start>..q<start+n-1>, each answered by its number."""
    return [
        dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question")
        for i in range(start, start + n)
    ]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def search(answer: Callable[[list[dict[str, Any]]], dict[str, str]], **params: Any):
    """(the compiled program, the candidates' validation trials, the log lines) of a random
    search over 12 training and 10 validation questions answered by `answer`."""
    params = {
        "metric": exact,
        "num_candidate_programs": 4,
        "max_bootstrapped_demos": 2,
        "num_threads": 1,
        **params,
    }
    optimizer = BootstrapFewShotWithRandomSearch(**params)
    with dspy.context(lm=ScriptedLM(by_input=answer)):
        compiled = optimizer.compile(
            dspy.Predict("question -> answer"),
            trainset=qa(12),
            valset=qa(10, start=20),
            run=RunContext(seed=0),
        )
    result = compiled.result
    tried = [t for t in result.trials if t.subset in ("val", "minibatch")]
    logs = [e.data.get("message", "") for e in result.events if e.type == "log"]
    return compiled, tried, logs
