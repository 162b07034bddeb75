"""On the embedded model: a demo the teacher bootstrapped (flagged `augmented`) whose answer
equals the label renders the same prompt as that labeled row, so a program showing either is
one candidate and its rows cost one call each (MIPROv2 had scored such twin demo sets twice)."""

from local_lm_helpers import REAL_LM, Triage, ticket_rows

import engine as dspy
from engine.evaluate import ExactMatch
from engine.optimizers import RunContext, TrialRunner

pytestmark = REAL_LM


def test_a_bootstrapped_demo_equal_to_its_label_is_scored_once():
    rows = ticket_rows()
    train = [dspy.Example(**r).with_inputs("ticket") for r in rows[:6]]
    val = [dspy.Example(**r).with_inputs("ticket") for r in rows[30:33]]
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=16, cache=False)
    with dspy.context(lm=lm):
        booted = dspy.BootstrapFewShot(
            metric=ExactMatch(), max_bootstrapped_demos=1, max_labeled_demos=0
        ).compile(dspy.Predict(Triage), trainset=train)
    demo = booted.demos[0]
    assert demo.get("augmented") is True, "the model passed no training ticket"
    labeled = dspy.Predict(Triage)
    labeled.demos = [next(e for e in train if e.ticket == demo.ticket).copy(source="faq.csv")]
    labeled.choice_offsets = booted.choice_offsets  # fitted on the training rows, if any
    assert labeled.demos[0].category == demo.category  # passed the exact-match metric

    run = RunContext()
    runner = TrialRunner(run, ExactMatch(), num_threads=1)
    with dspy.context(lm=lm), run.activate():
        before = len(lm.history)
        first = runner.evaluate(booted, val)
        after_first = len(lm.history)
        second = runner.evaluate(labeled, val)
    assert after_first - before == len(val)
    assert len(lm.history) == after_first and second is first
