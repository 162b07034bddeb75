"""KNNFewShot on the support-tickets sample with a scripted LM: demos come from each input's
nearest training examples (BM25 by default, or an embedder), through the optimizer spine."""

from __future__ import annotations

from local_lm_helpers import Triage, ticket_rows

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers.knn._knn import KNN, example_text

KEYWORDS = {
    "billing": ("bill", "charge", "refund", "invoice", "price", "paid", "pay", "subscription"),
    "shipping": ("ship", "parcel", "deliver", "package", "track", "arriv", "courier", "order"),
}


def router(messages):
    ticket = input_fields(messages[-1]["content"]).get("ticket", "").lower()
    for category, words in KEYWORDS.items():
        if any(w in ticket for w in words):
            return {"category": category}
    return {"category": "technical"}


def examples():
    return [
        dspy.Example(ticket=r["ticket"], category=r["category"]).with_inputs("ticket")
        for r in ticket_rows()
    ]


def exact(example, prediction, trace=None):
    return example.category == prediction.category


def test_knn_default_is_bm25_over_the_inputs_text():
    train = examples()[:30]
    query = train[3].ticket
    nearest = KNN(3, train)(ticket=query)
    assert nearest[0] is train[3]  # an example is nearest to itself
    assert len(nearest) == 3 and example_text({"ticket": "x"}) == "ticket: x"
    assert len(KNN(5, train[:2])(ticket="zzz qqq")) == 2  # filled up, capped by the trainset


def test_each_input_gets_demos_from_its_nearest_examples():
    lm = ScriptedLM(by_input=router)
    dspy.configure(lm=lm)
    train, dev = examples()[:30], examples()[40:46]
    optimizer = dspy.KNNFewShot(
        k=3, trainset=train, metric=exact, max_bootstrapped_demos=2, max_labeled_demos=3
    )
    program = optimizer.compile(dspy.Predict(Triage))
    knn = KNN(3, train)
    for example in dev:
        nearest = {e.ticket for e in knn(ticket=example.ticket)}
        demos = program.demos_for(ticket=example.ticket)["self"]
        assert 0 < len(demos) <= 3 and {d["ticket"] for d in demos} <= nearest
        before = len(lm.history)
        prediction = program(ticket=example.ticket)
        sent = lm.history[-1]["messages"]
        shown = {input_fields(m["content"]).get("ticket") for m in sent[:-1] if m["role"] == "user"}
        assert shown == {d["ticket"] for d in demos}  # the prompt's demos are those neighbours
        assert prediction.category in ("billing", "shipping", "technical")
        assert len(lm.history) > before
    calls = lm.calls_made
    program(ticket=dev[0].ticket)  # same neighbours: demos reused, one call for the answer
    assert lm.calls_made == calls + 1


def test_knn_fewshot_runs_through_the_spine_with_a_valset():
    dspy.configure(lm=ScriptedLM(by_input=router))
    train, val = examples()[:24], examples()[40:48]
    optimizer = dspy.KNNFewShot(k=3, metric=exact, max_bootstrapped_demos=1, max_labeled_demos=2)
    estimate = optimizer.estimate(train, val)
    program = optimizer.compile(dspy.Predict(Triage), trainset=train, valset=val)
    result = program.result
    assert result.status == "finished" and len(result.trials) == 2
    baseline, knn_trial = result.trials
    assert baseline.candidate != knn_trial.candidate  # the KNN settings are in its state
    assert "KNN few-shot (k=3, BM25" in result.candidates[-1].origin
    assert program.dump_state()["knn"]["k"] == 3 and len(program.dump_state()["knn"]["trainset"])
    actual = result.actual_calls()["task"]
    assert actual <= estimate.calls["task"]  # the estimate is an upper bound


def test_knn_fewshot_with_an_embedder_vectorizer():
    dspy.configure(lm=ScriptedLM(by_input=router))
    words = ("refund", "charge", "parcel", "arrive", "crash", "password")

    def bag(texts):
        return [[t.lower().count(w) + 0.01 for w in words] for t in texts]

    train = [
        dspy.Example(ticket=t, category=c).with_inputs("ticket")
        for t, c in [
            ("I want a refund", "billing"),
            ("Double charge on my card", "billing"),
            ("My parcel did not arrive", "shipping"),
            ("The app will crash", "technical"),
            ("Forgot my password", "technical"),
        ]
    ]
    program = dspy.KNNFewShot(1, train, dspy.Embedder(bag), metric=exact).compile(
        dspy.Predict(Triage)
    )
    demos = program.demos_for(ticket="refund please, the charge was wrong")["self"]
    assert [d["ticket"] for d in demos][:1] in (["I want a refund"], ["Double charge on my card"])
    assert program(ticket="parcel never arrived").category == "shipping"


def test_bootstrap_once_runs_the_teacher_on_each_training_example_at_most_once():
    train, dev = examples()[:30], examples()[40:52]
    knn = KNN(3, train)
    needed = {i for example in dev for i in knn.indices(ticket=example.ticket)}
    calls = {}
    for once in (False, True):
        lm = ScriptedLM(by_input=router)
        dspy.configure(lm=lm)
        optimizer = dspy.KNNFewShot(
            k=3, trainset=train, metric=exact, max_bootstrapped_demos=2, max_labeled_demos=3,
            bootstrap_once=once,
        )  # fmt: skip
        program = optimizer.compile(dspy.Predict(Triage))
        for example in dev:
            nearest = [train[i].ticket for i in knn.indices(ticket=example.ticket)]
            demos = program.demos_for(ticket=example.ticket)["self"]
            tickets = [d["ticket"] for d in demos]
            assert 0 < len(demos) <= 3 and set(tickets) <= set(nearest)
            if once:  # accepted traces first, nearest first, then labeled neighbours
                flags = [bool(d.get("augmented")) for d in demos]
                traced = [nearest.index(t) for t, f in zip(tickets, flags, strict=True) if f]
                assert flags == sorted(flags, reverse=True) and traced == sorted(traced)
            assert program(ticket=example.ticket).category in ("billing", "shipping", "technical")
        calls[once] = lm.calls_made - len(dev)
    traced = program._row_traces.teacher_runs
    assert calls[True] == traced <= len(needed) < calls[False]
    assert program.dump_state()["knn"]["bootstrap"]["bootstrap_once"] is True


def test_bootstrap_once_is_its_own_candidate_and_rebuilds_from_its_saved_state():
    dspy.configure(lm=ScriptedLM(by_input=router))
    train = examples()[:12]
    per_set = dspy.KNNFewShot(3, train, metric=exact, max_bootstrapped_demos=1)
    once = dspy.KNNFewShot(3, train, metric=exact, max_bootstrapped_demos=1, bootstrap_once=True)
    state = once.compile(dspy.Predict(Triage)).dump_state()
    assert state != per_set.compile(dspy.Predict(Triage)).dump_state()
    assert "bootstrap_once" not in per_set.compile(dspy.Predict(Triage)).dump_state()["knn"]
    rebuilt = dspy.KNNFewShot(3, train, metric=exact, **state["knn"]["bootstrap"])
    assert rebuilt.bootstrap_once and rebuilt.bootstrapper.max_bootstrapped_demos == 1
    assert once.estimate(train, examples()[40:48]).calls["task"] <= 12 + 2 * 8


def test_bootstrap_once_counts_a_failing_teacher_run_as_a_failed_example():
    def flaky(messages):
        if "password" in input_fields(messages[-1]["content"]).get("ticket", "").lower():
            raise RuntimeError("the provider dropped the connection")
        return router(messages)

    dspy.configure(lm=ScriptedLM(by_input=flaky))
    train = [
        dspy.Example(ticket=t, category=c).with_inputs("ticket")
        for t, c in [
            ("Forgot my password again", "technical"),
            ("My password reset mail never came", "technical"),
            ("Double charge on my card", "billing"),
        ]
    ]
    program = dspy.KNNFewShot(
        3, train, metric=exact, max_bootstrapped_demos=2, max_labeled_demos=2, bootstrap_once=True
    ).compile(dspy.Predict(Triage))
    demos = program.demos_for(ticket="refund the double charge")["self"]
    assert [d["ticket"] for d in demos][0] == "Double charge on my card" and demos[0]["augmented"]
    assert len(demos) == 2 and not demos[1].get("augmented")  # a labeled neighbour fills up
