"""The LLM judge on the embedded model (SmolLM2-135M): bounded, 4 rows, about 10 s.

A model this small is a poor judge; what must hold is that every reply becomes a score in
[0, 1] with a non-empty reason (or a clear "could not be read"), never an exception, and that
its calls are counted under the role "judge"."""

from __future__ import annotations

from local_lm_helpers import REAL_LM, ticket_rows

import engine as dspy
from engine.lm import UsageLedger

pytestmark = REAL_LM


def test_judge_on_the_embedded_model_scores_and_explains_four_rows():
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=32)
    judge = dspy.metrics.Judge(
        criteria="The category is the team that should handle the ticket.",
        scale=(1, 5),
        lm=lm,
        max_tokens=40,
    )
    rows = ticket_rows()[:4]
    answers = ["billing", "shipping", "technical", "billing"]
    ledger = UsageLedger()
    with dspy.context(usage_trackers=(ledger,)):
        results = [
            judge(
                dspy.Example(ticket=r["ticket"], category=r["category"]).with_inputs("ticket"),
                dspy.Prediction(category=answer),
            )
            for r, answer in zip(rows, answers)
        ]
    for result in results:
        assert 0.0 <= result <= 1.0
        assert isinstance(result.feedback, str) and result.feedback.strip()
    roles = ledger.by_role()
    assert set(roles) == {"judge"} and roles["judge"].calls == 4
    print([(float(r), r.feedback) for r in results])  # the honest figures, with -s
