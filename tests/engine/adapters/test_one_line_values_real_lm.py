"""On the embedded model: a compile fits that the task's verdicts are one line, and a program
without demos then stops each verdict after its paragraph instead of writing on."""

import csv
from pathlib import Path

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.replies.one_line_values import value_end

pytestmark = REAL_LM
REVIEWS = Path(__file__).resolve().parents[3] / "sample_data" / "reviews.csv"


class Verdict(dspy.Signature):
    """Quote the sentence of a product review that states the reviewer's verdict."""

    review: str = dspy.InputField()
    verdict: str = dspy.OutputField()


def _rows() -> list[dspy.Example]:
    with REVIEWS.open(newline="") as handle:
        reviews = [row["review"] for row in csv.DictReader(handle)]
    return [
        dspy.Example(review=r, verdict=r.split(". ")[0].rstrip(".") + ".").with_inputs("review")
        for r in reviews
    ]


def test_a_fitted_verdict_ends_after_its_paragraph():
    rows = _rows()
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=64, cache=False)
    with dspy.context(lm=lm):
        fitted = dspy.LabeledFewShot(k=0).compile(dspy.Predict(Verdict), trainset=rows[:6])
        assert fitted.one_line_outputs == ["verdict"] and fitted.demos == []
        tests = rows[6:14]
        plain = [dspy.Predict(Verdict)(**e.inputs()) for e in tests]
        plain_calls = lm.history[-len(tests) :]
        cut = [fitted(**e.inputs()) for e in tests]
        cut_calls = lm.history[-len(tests) :]
    tokens = [
        sum(c["usage"]["completion_tokens"] for c in calls) for calls in (plain_calls, cut_calls)
    ]
    assert tokens[1] < tokens[0], f"generated tokens without / with the fit: {tokens}"
    for before, after, a, b in zip(plain, cut, plain_calls, cut_calls):
        reply = b["outputs"][0].rstrip()
        assert value_end(reply + "\n\n") in (None, len(reply))  # nothing after its value
        assert b["outputs"][0] in a["outputs"][0]  # the same greedy reply, cut short
        assert after.verdict.strip() in before.verdict
