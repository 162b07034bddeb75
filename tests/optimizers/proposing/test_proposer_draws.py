"""The proposer's draws from a weak writer: N distinct instructions, honest origins, the
budget respected, the estimate counting the draws (scripted LMs)."""

from __future__ import annotations

from typing import Any, Literal

from instruction_lms import exact, is_proposer_call, qa

import engine as dspy
from engine.core._reply_hints import REPLY_START, REPLY_UNTIL
from engine.lm import ScriptedLM
from engine.optimizers import COPRO, Budget, MIPROv2, RunContext
from engine.optimizers.gepa._reflection import ReflectionRecord
from engine.optimizers.proposing._grounding import (
    complete_stem,
    keep_stem_sentence,
    reflection_variations,
    stem_sentence_settled,
    task_facts,
)
from engine.optimizers.proposing._proposer import DRAWS_PER_CANDIDATE, GroundedProposer


class Ticket(dspy.Signature):
    """Route the ticket."""

    ticket: str = dspy.InputField()
    team: Literal["billing", "technical", "shipping"] = dspy.OutputField()


def tickets(n: int) -> list[Any]:
    teams = ["billing", "technical", "shipping"]
    return [
        dspy.Example(ticket=f"ticket number {i} about {teams[i % 3]}", team=teams[i % 3])
        .with_inputs("ticket")
        for i in range(n)
    ]  # fmt: skip


def writer(reply: Any) -> ScriptedLM:
    """A proposer whose every proposal is `reply(user message)`; summaries are junk too."""

    def answer(messages: list[dict[str, Any]]) -> str:
        return reply(messages[-1]["content"])

    return ScriptedLM(by_input=answer, name="writer")


class EmbeddedLike(ScriptedLM):
    """A scripted LM that takes reply hints like the embedded model (and returns the required
    start first, as it does)."""

    @property
    def supports_stop(self) -> bool:
        return True


def stem_of(user: str) -> str:
    return user.rsplit("Instruction: ", 1)[1]


def test_a_proposer_that_repeats_itself_still_gives_n_distinct_with_honest_origins():
    lm = writer(lambda _: "Route the ticket.")  # the same text every time
    found = GroundedProposer(prompt_model=lm, seed=1).propose(
        dspy.Predict(Ticket), tickets(12), 6
    )["self"]
    assert len(found.instructions) == 6 and len(set(found.instructions)) == 6
    # every reply was the same text (as a whole, or after a stem): all duplicates
    assert found.cleaning["kept"] == 0 and found.cleaning["draws"] == DRAWS_PER_CANDIDATE * 5
    assert found.cleaning["templates"] == 5 and [m["how"] for m in found.made[1:]] == [
        "template"] * 5  # fmt: skip
    assert all("the model did not write it" in o for o in found.origins[1:])
    assert "too few distinct" in found.cleaning["filled_because"]
    assert len(found.rejected) == DRAWS_PER_CANDIDATE * 5
    assert {r["why"] for r in found.rejected} == {"duplicate"}
    assert {r["reply"] for r in found.rejected} == {"Route the ticket."}
    assert any(r["form"].startswith("wrote its own") for r in found.rejected)
    assert any("billing, technical, shipping" in text for text in found.instructions[1:])


def test_a_junk_writer_gives_templates_grounded_in_the_data():
    lm = writer(lambda _: "[[ ## completed ## ]]")
    found = GroundedProposer(prompt_model=lm, data_aware=False).propose(
        dspy.Predict(Ticket), tickets(9), 4
    )["self"]
    assert len(set(found.instructions)) == 4
    assert [m["how"] for m in found.made] == ["original", "template", "template", "template"]
    assert all(m["data"].startswith("9 training rows; team values:") for m in found.made[1:])
    assert {r["why"] for r in found.rejected} <= {"empty", "field markers"}


def test_a_small_model_finishes_stems_with_a_required_start_a_seed_and_a_sentence_rule():
    def answer(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not is_proposer_call(messages) or "Instruction: " not in user:
            return "Tickets."
        words = user.count("ticket")  # differs with the examples shown: distinct sentences
        return f"{stem_of(user)} it names a charge, seen {words} times."

    lm = EmbeddedLike(by_input=answer, name="small")
    found = GroundedProposer(prompt_model=lm, data_aware=False, seed=2).propose(
        dspy.Predict(Ticket), tickets(15), 4
    )["self"]
    calls = [h for h in lm.history if "Instruction: " in h["messages"][-1]["content"]]
    assert len(calls) == 3 and found.cleaning["templates"] == 0  # every draw was kept
    for call in calls:
        stem = stem_of(call["messages"][-1]["content"])
        assert call["kwargs"][REPLY_START] == stem and call["kwargs"][REPLY_UNTIL]
        assert isinstance(call["kwargs"]["seed"], int)
    assert len({c["kwargs"]["seed"] for c in calls}) == 3
    assert all(m["form"] == "finished a stem" for m in found.made[1:])
    assert all(t.startswith("Read the ticket and give the team: billing, technical, shipping.")
               for t in found.instructions[1:])  # fmt: skip
    assert all("finished a stem" in o for o in found.origins[1:])


def test_stem_replies_are_cut_to_one_sentence():
    stem = 'Read the ticket. The team is "billing" when the ticket'
    assert not stem_sentence_settled(stem + " mentions")
    assert stem_sentence_settled(stem + " mentions money. The")
    assert stem_sentence_settled(stem + " mentions money\nNext")
    assert keep_stem_sentence(stem + " mentions money. The") == stem + " mentions money."
    assert keep_stem_sentence(stem + " mentions money") == stem + " mentions money"
    assert complete_stem(stem, stem + " mentions money. More.") == (
        stem + " mentions money.", "")
    assert complete_stem(stem, "mentions a refund") == (stem + " mentions a refund.", "")
    assert complete_stem(stem, stem + " .")[1] == "empty completion"
    assert complete_stem(stem, "[[ ## team ## ]] billing")[1] == "field markers"


def test_labels_come_from_the_data_when_the_output_is_plain_text():
    data = [dspy.Example(question=f"q{i}", answer=["yes", "no"][i % 2]).with_inputs("question")
            for i in range(6)]  # fmt: skip
    facts = task_facts(dspy.Predict("question -> answer"), data)
    assert set(facts.labels) == {"yes", "no"} and facts.rows == 6
    assert task_facts(dspy.Predict("question -> answer"), qa(6)).labels == ()  # all distinct


def test_reflection_variations_go_from_the_examples_to_the_data_to_both():
    data = [dspy.Example(question=f"q{i}", answer=["yes", "no"][i % 2]).with_inputs("question")
            for i in range(4)]  # fmt: skip
    facts = task_facts(dspy.Predict("question -> answer"), data)
    records = [ReflectionRecord({"question": "q1"}, {"answer": "yes"}, 0.0, "expected 'no'"),
               ReflectionRecord({"question": "q2"}, {"answer": "yes"}, 1.0, "correct")]  # fmt: skip
    found = list(reflection_variations("Answer", records, facts))
    texts = [text for text, _, _ in found]
    assert len(set(texts)) == len(texts) and all(t.startswith("Answer. ") for t in texts)
    assert [(name, grounded) for _, name, grounded in found[:3]] == [
        ("a failed example and its feedback", "the reflection's examples"),
        ("a correct example", "the reflection's examples"),
        ("labels", "the training data"),
    ]
    assert "q1" in texts[0] and "expected 'no'" in texts[0]
    both = [(t, n) for t, n, g in found if g.endswith("and the training data")]
    assert len(both) == 2 * len([g for _, _, g in found if g == "the training data"])
    assert both[0] == (f"{texts[0]} The answer is exactly one of: yes, no.",
                       "a failed example and its feedback, and labels")  # fmt: skip
    assert len(list(reflection_variations("Answer", records, None))) == 2  # no data: rows only


def test_the_estimate_counts_the_draws_and_a_tight_proposer_budget_is_never_passed():
    optimizer = MIPROv2(
        metric=exact, prompt_model=writer(lambda _: "Route the ticket."), auto=None,
        num_candidates=4, max_bootstrapped_demos=0, max_labeled_demos=0,
        data_aware_proposer=False, fewshot_aware_proposer=False,
    )  # fmt: skip
    run = RunContext(seed=0, budget=Budget(per_role={"proposer": {"max_calls": 4}}))
    with dspy.context(lm=ScriptedLM(answers=[{"answer": "1"}], cycle=True)):
        compiled = optimizer.compile(
            dspy.Predict("question -> answer"), trainset=qa(8), valset=qa(6, 8),
            num_trials=3, minibatch=False, run=run,
        )  # fmt: skip
    result = compiled.result
    assert result.estimate.calls["proposer"] == DRAWS_PER_CANDIDATE * 3
    assert result.usage["by_role"]["proposer"]["calls"] == 4  # the proposer's share, no more
    (offered,) = [e.data for e in result.events if e.type == "proposals"]
    assert len({i["text"] for i in offered["instructions"]}) == 4
    assert offered["cleaning"]["filled_because"] == "the proposer's budget ended"
    assert result.status == "finished"


def test_copro_rounds_keep_n_distinct_with_a_repeating_proposer():
    proposer = writer(lambda _: "Answer the question.")
    with dspy.context(lm=ScriptedLM(answers=[{"answer": "1"}], cycle=True)):
        compiled = COPRO(prompt_model=proposer, metric=exact, breadth=3, depth=2,
                         race=False).compile(dspy.Predict("question -> answer"),
                                             trainset=qa(6))  # fmt: skip
    last = [e.data for e in compiled.result.events if e.type == "proposals"][-1]
    texts = [i["text"] for i in last["instructions"]]
    assert len(texts) == 1 + 2 + 3 and len(set(texts)) == len(texts)
    assert all(i["made"]["round"] in (1, 2) for i in last["instructions"][1:])
    assert last["rejected"] and all("why" in r and "round" in r for r in last["rejected"])
    assert "rejected" not in last["cleaning"]  # one record of the dropped draws: the event's
    assert sum(last["cleaning"]["dropped"].values()) == len(last["rejected"])
    estimate = compiled.result.estimate.calls["proposer"]
    assert compiled.result.usage["by_role"]["proposer"]["calls"] <= estimate == 3 * 2 + 3 * 3
