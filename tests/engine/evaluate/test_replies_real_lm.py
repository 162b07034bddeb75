"""Each row keeps the reply as the embedded model wrote it (SmolLM2-135M, 3 rows, a few
seconds): the text its answer was read from, kept in the row's trace."""

from __future__ import annotations

from local_lm_helpers import REAL_LM, Triage, ticket_rows

import engine as dspy
from engine.evaluate.metrics import ExactMatch

pytestmark = REAL_LM


def test_each_row_keeps_the_embedded_models_reply():
    rows = [dspy.Example(**r).with_inputs("ticket") for r in ticket_rows()[:3]]
    with dspy.context(lm=dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=48)):
        result = dspy.Evaluate(devset=rows, metric=ExactMatch(), num_threads=1)(
            dspy.Predict(Triage)
        )
    for row in result.rows:
        if row.error:  # a reply that could not be read: the error quotes it instead
            continue
        (step,) = row.trace
        assert isinstance(step["reply"], str) and step["reply"].strip()
        assert step["outputs"]["category"] in step["reply"].lower()
    assert any(not row.error for row in result.rows)
