"""The grounded proposer and proposal cleaning (scripted LM)."""

import pytest
from instruction_lms import instruction_sensitive, is_proposer_call, qa

import engine as dspy
from engine.core._errors import BudgetExhausted
from engine.lm import ScriptedLM
from engine.optimizers import Budget
from engine.optimizers.proposing._cleaning import (
    MAX_INSTRUCTION_CHARS,
    ProposalCleaner,
    clean_proposal,
)
from engine.optimizers.proposing._proposer import TIPS, GroundedProposer, describe_program


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Answer with the number.", "Answer with the number."),
        ('"Answer with the number."', "Answer with the number."),
        ("Instruction: Answer with the number.", "Answer with the number."),
        ("**Proposed instruction:** Answer carefully.", "Answer carefully."),
        ("[[ ## proposed_instruction ## ]]\nAnswer with the number.\n\n[[ ## completed ## ]]",
         "Answer with the number."),
        ("Sure! Here is the instruction:\nRead the question and answer it.",
         "Read the question and answer it."),
        ("Answer the question.\n\nThis instruction works because it is short.",
         "Answer the question."),
        ("In this case, a better instruction for the step is:\n\nRoute the ticket by its topic.",
         "Route the ticket by its topic."),
        ("You're an expert. Here's the rewritten instruction:\n\n### Route the ticket by topic.\n\n"
         "Why: it is shorter.", "Route the ticket by topic."),
    ],
)  # fmt: skip
def test_cleaning_strips_markers_labels_quotes_and_chatter(reply, expected):
    assert clean_proposal(reply) == (expected, "")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [("", "empty"), ("   \n ", "empty"), ("[[ ## completed ## ]]", "empty"), ("Ok.", "too short"),
     ("Write one new instruction for this step.", "echoed the request"),
     # replies GEPA's reflection got from the embedded model (support tickets, 2026-11-26)
     ("Write a better instruction for this step. Fix what the feedback points out.",
      "echoed the request"),
     ("Example 4 You are an expert prompt engineer. You read how one step did.",
      "echoed the request"),
     ("Example 1 - [insert example 1 here] - [insert example 2 here]", "echoed the request"),
     ('```python\ndef classify_ticket(ticket):\n    """Takes a ticket."""\n```', "code"),
     ('The fix: def classify(ticket): return "billing"', "code"),
     ("The outputs should be more often correct. Here's how to do it:", "incomplete"),
     ("Some thoughts first:\n\nThe feedback says more:\n\nRead the ticket closely.", "incomplete"),
     ("The current instruction: classify" + " - to: to" * 30, "repetitive"),
     ("Read the ticket closely. " * 60, "repetitive")],
)  # fmt: skip
def test_cleaning_drops_unusable_replies_with_a_reason(reply, reason):
    assert clean_proposal(reply) == ("", reason)


def test_a_long_instruction_that_repeats_some_words_is_kept():
    text = (
        "Read the message and pick the intent. If the message is about a card, pick the card "
        "intent; if it is about a transfer, pick the transfer intent; else pick the closest."
    )
    assert clean_proposal(text) == (text, "")


def test_cleaning_caps_length_at_a_sentence_end():
    long = " ".join(f"Sentence {i} names term{i}a and term{i}b only." for i in range(60))
    text, reason = clean_proposal(long)
    assert reason == "" and len(text) <= MAX_INSTRUCTION_CHARS and text.endswith(".")


def test_cleaner_counts_duplicates_and_drops():
    cleaner = ProposalCleaner(existing=["Answer the question."])
    kept = [
        cleaner.add("answer the question"),  # duplicate of the original (case, punctuation)
        cleaner.add("Answer carefully, please."),
        cleaner.add("ANSWER CAREFULLY PLEASE"),  # duplicate of the one before
        cleaner.add(""),
        cleaner.add(None, failure="call failed (LMError)"),
        cleaner.add("x" * 700 + " end."),
    ]
    assert kept[1] == "Answer carefully, please." and kept.count(None) == 4
    summary = cleaner.summary(kept=2)
    assert summary["proposed"] == 6 and summary["kept"] == 2 and summary["capped"] == 1
    assert summary["dropped"] == {"duplicate": 2, "empty": 1, "call failed (LMError)": 1}


def test_proposer_reads_summary_program_demos_history_and_a_tip():
    lm = instruction_sensitive(["Answer carefully."])
    program = dspy.Predict("question -> answer")
    demos = [dspy.Example(question="q7", answer="7")]
    proposer = GroundedProposer(prompt_model=lm, seed=3)
    found = proposer.propose(
        program, qa(25), 3, demo_sets={"self": [demos]},
        history={"self": [("Old instruction.", 0.25)]},
    )["self"]  # fmt: skip
    prompts = [h["messages"][-1]["content"] for h in lm.history if is_proposer_call(h["messages"])]
    summary_prompts = [p for p in prompts if p.startswith("Here are")]
    assert len(summary_prompts) == 2  # two batches of 10 examples, then one merge
    assert any("Combine these notes" in p for p in prompts)
    proposal_prompt = next(p for p in prompts if "Write one new instruction" in p)
    assert "About the data: Questions named q<number>" in proposal_prompt
    assert "The program has 1 step(s)" in proposal_prompt  # program description
    assert "question: q7\nanswer: 7" in proposal_prompt  # a demo
    assert "score 0.25: Old instruction." in proposal_prompt  # history
    assert any(tip and f"Tip: {tip}" in p for p in prompts for tip in TIPS.values())
    assert found.instructions[0] == program.signature.instructions  # the original is first
    # every later reply was a duplicate: after 2 x 3 draws a template fills the last place
    assert found.instructions[1] == "Answer carefully."
    assert found.origins[2].startswith("template 1") and found.made[2]["how"] == "template"
    assert found.cleaning["dropped"] == {"duplicate": 5} and found.cleaning["draws"] == 6
    assert found.rejected[0]["why"] == "duplicate" and found.rejected[0]["how"] == "model"


def test_each_input_can_be_switched_off():
    lm = instruction_sensitive(["Answer carefully.", "Answer very carefully."])
    proposer = GroundedProposer(
        prompt_model=lm, program_aware=False, data_aware=False, tip_aware=False,
        fewshot_aware=False,
    )  # fmt: skip
    demos = [dspy.Example(question="q7", answer="7")]
    proposer.propose(dspy.Predict("question -> answer"), qa(5), 3, demo_sets={"self": [demos]})
    prompts = [h["messages"][-1]["content"] for h in lm.history]
    assert len(prompts) == 2  # no dataset summary calls
    for prompt in prompts:
        assert "About the data" not in prompt and "The program has" not in prompt
        assert "Tip:" not in prompt and "q7" not in prompt


def test_the_proposers_own_budget_ends_the_draws_and_templates_fill_the_rest():
    lm = instruction_sensitive(["Answer carefully."])
    ledger = dspy.optimizers.RunContext().ledger
    budget = Budget(per_role={"proposer": {"max_calls": 2}})
    with dspy.context(usage_trackers=(ledger,), budget=budget):
        found = GroundedProposer(prompt_model=lm, data_aware=False).propose(
            dspy.Predict("question -> answer"), qa(5), 5
        )["self"]
    assert {r.role for r in ledger.records} == {"proposer"} and len(ledger.records) == 2
    assert len(found.instructions) == 5 and len(set(found.instructions)) == 5
    assert found.cleaning["draws"] == 2 and found.cleaning["templates"] == 3
    assert found.cleaning["filled_because"] == "the proposer's budget ended"
    assert [m["how"] for m in found.made] == ["original", "model", "template", "template",
                                              "template"]  # fmt: skip
    assert all("the model did not write it" in o for o in found.origins[2:])


def test_an_overall_budget_still_stops_the_run():
    lm = instruction_sensitive(["Answer carefully."])
    with dspy.context(budget=Budget(max_calls=2)):
        with pytest.raises(BudgetExhausted):
            GroundedProposer(prompt_model=lm, data_aware=False).propose(
                dspy.Predict("question -> answer"), qa(5), 5
            )


def test_failed_proposer_calls_are_dropped_not_fatal():
    lm = ScriptedLM(answers=[])  # every call raises LMError (script used up)
    found = GroundedProposer(prompt_model=lm, data_aware=False).propose(
        dspy.Predict("question -> answer"), qa(3), 3
    )["self"]
    assert len(found.instructions) == 3 and found.cleaning["templates"] == 2
    assert found.cleaning["dropped"] == {"call failed (LMError)": 6}  # 3 draws per instruction
    assert {r["why"] for r in found.rejected} == {"call failed (LMError)"}


def test_program_description_fits_a_small_context():
    class Two(dspy.Module):
        def __init__(self):
            self.draft = dspy.Predict("question -> draft")
            self.answer = dspy.ChainOfThought("question, draft -> answer: int")

    text = describe_program(Two())
    assert "Step `draft`" in text and "Step `answer.predict`" in text and "(int)" in text
    lm = instruction_sensitive(["Answer carefully."])
    GroundedProposer(prompt_model=lm).propose(
        Two(), [dspy.Example(question="long " * 400, answer="1").with_inputs("question")] * 12, 2
    )
    longest = max(sum(len(m["content"]) for m in h["messages"]) for h in lm.history)
    assert longest < 4 * 3000  # characters: well under a 4096-token context
