"""InferRules: BootstrapFewShot, then rules induced from the examples appended to the
instruction; the rule set scoring best on the validation examples wins."""

from __future__ import annotations

import re
import threading

import pytest

import engine as dspy
from engine.lm import ScriptedLM, UsageLedger
from engine.optimizers.infer_rules import RULES_HEADING

GOOD_RULE = "Always answer with the number named after q."
BAD_RULE = "Always answer x."


def qa(n: int, start: int = 0) -> list[dspy.Example]:
    return [dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question")
            for i in range(start, start + n)]  # fmt: skip


def exact(example, pred, trace=None):
    return example.answer == pred.answer


class RuleFollowingLM:
    """Rules calls: a bad rule set first, then a good one; task calls follow the good rule."""

    def __init__(self) -> None:
        self.rule_calls = 0
        self.lock = threading.Lock()
        self.lm = ScriptedLM(by_input=self.answer)

    def answer(self, messages):
        system = messages[0]["content"]
        if "Study the worked examples" in system:
            assert "Example 1\nInputs:\n  question: q" in messages[-1]["content"]
            with self.lock:
                self.rule_calls += 1
                rule = BAD_RULE if self.rule_calls == 1 else GOOD_RULE
            return (f"[[ ## reasoning ## ]]\nthe examples\n\n[[ ## natural_language_rules ## ]]\n"
                    f"{rule}\n\n[[ ## completed ## ]]")  # fmt: skip
        question = re.findall(r"\[\[ ## question ## \]\]\n(q\d+)", messages[-1]["content"])[-1]
        value = question[1:] if GOOD_RULE in system else "x"
        return f"[[ ## answer ## ]]\n{value}\n\n[[ ## completed ## ]]"


def test_the_best_rule_set_is_appended_to_the_instruction():
    scripted = RuleFollowingLM()
    optimizer = dspy.InferRules(num_candidates=2, num_rules=3, metric=exact, num_threads=1,
                                max_bootstrapped_demos=2, max_labeled_demos=2)  # fmt: skip
    ledger = UsageLedger()
    with dspy.context(lm=scripted.lm, usage_trackers=(ledger,)):
        compiled = optimizer.compile(dspy.Predict("question -> answer"), trainset=qa(6),
                                     valset=qa(4, start=10))  # fmt: skip
    instructions = compiled.signature.instructions
    assert RULES_HEADING in instructions and GOOD_RULE in instructions
    assert BAD_RULE not in instructions
    assert compiled.result.best_score == 1.0
    assert scripted.rule_calls == 2 and len(compiled.demos) == 2
    roles = [record.role for record in ledger.records]
    assert roles.count("proposer") == 2 and "task" in roles
    with dspy.context(lm=scripted.lm):
        assert compiled(question="q42").answer == "42"


def test_without_a_valset_the_second_half_of_the_trainset_scores():
    scripted = RuleFollowingLM()
    optimizer = dspy.InferRules(num_candidates=2, metric=exact, num_threads=1)
    with dspy.context(lm=scripted.lm):
        compiled = optimizer.compile(dspy.Predict("question -> answer"), trainset=qa(6))
    assert compiled.result.best_score == 1.0
    assert {t.n for t in compiled.result.trials} == {3}


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="needs a metric"):
        dspy.InferRules().compile(dspy.Predict("question -> answer"), trainset=qa(4))
    with pytest.raises(ValueError, match="num_candidates"):
        dspy.InferRules(num_candidates=0, metric=exact)
    with pytest.raises(ValueError, match="validation examples"):
        dspy.InferRules(metric=exact).compile(dspy.Predict("question -> answer"), trainset=[])


def test_dspy_paths():
    from engine.teleprompt import InferRules

    assert InferRules is dspy.InferRules
    assert issubclass(InferRules, dspy.BootstrapFewShot)
