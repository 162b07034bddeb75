"""The proposer on the embedded model (SmolLM2-135M as its own proposer): N distinct, cleaned
instructions for a small classification task, each saying honestly how it was made. Bounded:
12 tickets, no dataset summary, at most 3 draws per instruction (about 20 s)."""

from __future__ import annotations

import pytest
from local_lm_helpers import REAL_LM, Triage, ticket_rows

import engine as dspy
from engine.optimizers.proposing._cleaning import clean_proposal
from engine.optimizers.proposing._proposer import DRAWS_PER_CANDIDATE, GroundedProposer

pytestmark = REAL_LM
N = 5


@pytest.mark.timeout(300)
def test_smollm2_gives_n_distinct_cleaned_instructions_for_a_classification_task():
    train = [dspy.Example(ticket=r["ticket"], category=r["category"]).with_inputs("ticket")
             for r in ticket_rows()[:12]]  # fmt: skip
    lm = dspy.LM("local/smollm2-135m")
    with dspy.context(lm=lm):
        found = GroundedProposer(prompt_model=lm, data_aware=False, seed=0).propose(
            dspy.Predict(Triage), train, N
        )["self"]
    texts = found.instructions
    assert len(texts) == N and len({t.lower() for t in texts}) == N
    for text in texts[1:]:
        assert clean_proposal(text) == (text, "")  # already clean: no markers, not empty
        assert "[[" not in text and "billing" in text  # grounded in the labels
    hows = [m["how"] for m in found.made[1:]]
    assert set(hows) <= {"model", "template"} and "model" in hows  # the model wrote some
    for made, origin in zip(found.made[1:], found.origins[1:], strict=True):
        assert ("the model did not write it" in origin) == (made["how"] == "template")
    assert found.cleaning["draws"] <= DRAWS_PER_CANDIDATE * (N - 1)
    assert all(r["why"] for r in found.rejected)
