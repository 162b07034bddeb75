"""BestOfN on the embedded model (SmolLM2-135M): 3 support tickets, exact-match reward, N=3.

Bounded (at most 9 short calls). What must hold: it runs, each answer is one of the labels
(the closed reply drafts keep sampled replies valid), and attempts after the first sample at
temperature 1.0 with their own rollout ids. Whether the label is right is reported, not asserted.
"""

from __future__ import annotations

import time

from local_lm_helpers import REAL_LM, Triage, ticket_rows

import engine as dspy
from engine.lm import UsageLedger

pytestmark = REAL_LM
LABELS = {"billing", "shipping", "technical"}


def test_best_of_n_on_three_tickets_returns_valid_labels():
    dspy.configure(lm=dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=16))
    ledger = UsageLedger()
    start, right = time.perf_counter(), 0
    with dspy.context(usage_trackers=(ledger,)):
        for row in ticket_rows()[:3]:
            best = dspy.BestOfN(
                dspy.Predict(Triage),
                N=3,
                reward_fn=lambda args, pred, gold=row["category"]: float(pred.category == gold),
                threshold=1.0,
            )
            prediction = best(ticket=row["ticket"])
            assert prediction.category in LABELS
            right += prediction.category == row["category"]
    calls = ledger.totals().calls
    assert 3 <= calls <= 9
    print(f"BestOfN(N=3) on 3 tickets: {right}/3 right, {calls} calls, "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
