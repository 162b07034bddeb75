"""The shape matrix's Ensemble: `--members` copies of the student, each showing its own
`--max-labeled` training rows, voted by majority on the case's answer.

The rows each member shows are drawn by the bench (member i: `random.Random(i)`), so both
frameworks ensemble the same programs and make the same prompts. DSPy's compile makes no LM call;
Tunesmith's Ensemble calls each member once for a closed last output (content-free calibration).
The vote is `majority` on the first output that is not ChainOfThought's reasoning, with values
compared as lowercased text (DSPy's default normalizer cannot read a bool).
"""

from __future__ import annotations

import functools
import random
from typing import Any

REASONING = "reasoning"


def as_text(value: Any) -> str | None:
    """A vote's value: its text, stripped and lowercased (None, no vote, when empty)."""
    return str(value).strip().lower() or None


class DemoSetEnsemble:
    """`compile(student, trainset)`: the members, ensembled with `module.Ensemble`."""

    def __init__(self, module: Any, members: int, demos: int) -> None:
        self.module, self.members, self.demos = module, members, demos

    def compile(self, student: Any, trainset: list[Any]) -> Any:
        programs = []
        for i in range(self.members):
            picks = random.Random(i).sample(range(len(trainset)), min(self.demos, len(trainset)))
            member = student.deepcopy()
            for predictor in member.predictors():
                predictor.demos = [trainset[j] for j in picks]
            programs.append(member)
        outputs = student.predictors()[0].signature.output_fields
        field = next(name for name in outputs if name != REASONING)
        vote = functools.partial(self.module.majority, normalize=as_text, field=field)
        return self.module.Ensemble(reduce_fn=vote).compile(programs)
