"""KNNFewShot on the embedded model, per neighbour set (DSPy's way) and with `bootstrap_once`:
both answer every held-out ticket with a label, from demos of its neighbours; bootstrapping
once runs the teacher on each needed training ticket once, in fewer calls."""

from local_lm_helpers import REAL_LM, Triage, ticket_rows

import engine as dspy
from engine.optimizers.knn._knn import KNN

pytestmark = REAL_LM
LABELS = ("billing", "shipping", "technical")


def _rows() -> list[dspy.Example]:
    return [
        dspy.Example(ticket=r["ticket"], category=r["category"]).with_inputs("ticket")
        for r in ticket_rows()
    ]


def _exact(example, prediction, trace=None) -> bool:
    return example.category == prediction.category


def test_bootstrap_once_answers_from_neighbour_traces_in_fewer_teacher_calls():
    rows = _rows()
    train, tests = rows[:8], rows[20:26]
    knn = KNN(3, train)
    needed = {i for e in tests for i in knn.indices(**e.inputs())}
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=16, cache=False)
    teacher_calls = {}
    with dspy.context(lm=lm):
        for once in (False, True):
            program = dspy.KNNFewShot(
                3, train, metric=_exact, max_bootstrapped_demos=2, max_labeled_demos=2,
                bootstrap_once=once,
            ).compile(dspy.Predict(Triage))  # fmt: skip
            before = len(lm.history)
            for example in tests:
                nearest = {train[i].ticket for i in knn.indices(**example.inputs())}
                demos = program.demos_for(**example.inputs())["self"]
                assert len(demos) == 2 and {d["ticket"] for d in demos} <= nearest
                assert program(**example.inputs()).category in LABELS
            teacher_calls[once] = len(lm.history) - before - len(tests)
    assert 0 < teacher_calls[True] <= len(needed)
    assert program._row_traces.teacher_runs == teacher_calls[True]
    assert teacher_calls[True] < teacher_calls[False]
