"""On the embedded model: an ensemble voting by majority stops once the vote is settled, with the
answers every member running would give, in fewer calls."""

import csv
from pathlib import Path
from typing import Literal

from local_lm_helpers import REAL_LM

import engine as dspy

pytestmark = REAL_LM
TICKETS = Path(__file__).resolve().parents[3] / "sample_data" / "support_tickets.csv"


class Route(dspy.Signature):
    """Route a customer support ticket to the right team."""

    ticket: str = dspy.InputField()
    category: Literal["billing", "shipping", "technical"] = dspy.OutputField()


def _rows() -> list[dspy.Example]:
    with TICKETS.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        dspy.Example(ticket=r["ticket"], category=r["category"]).with_inputs("ticket") for r in rows
    ]


def test_a_settled_vote_skips_the_members_left_and_answers_the_same():
    rows = _rows()
    members = []
    for start in (0, 3, 6):  # three members, each showing two different labeled tickets
        member = dspy.Predict(Route)
        member.demos = rows[start : start + 2]
        members.append(member)
    tests = rows[10:18]
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=16, cache=False)
    with dspy.context(lm=lm):
        every = dspy.Ensemble(reduce_fn=dspy.majority, stop_when_settled=False).compile(members)
        settled = dspy.Ensemble(reduce_fn=dspy.majority).compile(members)
        compiled = len(lm.history)  # each member's content-free call, in each compile
        full = [every(**e.inputs()).category for e in tests]
        calls_full = len(lm.history) - compiled
        early = [settled(**e.inputs()).category for e in tests]
        calls_early = len(lm.history) - compiled - calls_full
    assert compiled == 2 * len(members)
    assert all(m.predictors()[0].choice_offsets for m in settled.programs)
    assert calls_full == 3 * len(tests)
    assert early == full
    assert 2 * len(tests) <= calls_early < calls_full  # a third member only where two disagree
