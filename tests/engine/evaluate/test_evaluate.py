import re

import pytest

import engine as dspy
from engine.core._errors import SpecError
from engine.evaluate import TooManyErrors, make_metric
from engine.evaluate.metrics import (
    Contains,
    ExactMatch,
    NormalizedExactMatch,
    NumericTolerance,
    RegexMatch,
    TokenF1,
)
from engine.lm import ScriptedLM, UsageLedger


def devset(n=6):
    return [dspy.Example(question=f"q{i}", answer=str(i)).with_inputs("question") for i in range(n)]


def answer_by_question(messages):
    user_turns = [m["content"] for m in messages if m["role"] == "user"]
    number = re.findall(r"\bq(\d+)", "\n".join(user_turns))[-1]
    if number == "3":
        return "no number in this output"  # and the JSON fallback gets the same
    return {"answer": number if number != "4" else "99"}


def test_evaluate_scores_rows_and_counts_failures():
    dspy.configure(lm=ScriptedLM(by_input=answer_by_question))
    seen = []
    evaluate = dspy.Evaluate(
        devset=devset(),
        metric=ExactMatch(),
        num_threads=3,
        progress=lambda d, t, m: seen.append((d, t)),
    )
    result = evaluate(dspy.Predict("question -> answer: int"))
    assert result.score == pytest.approx(100 * 4 / 6, abs=0.01)
    assert result.errors == 1
    assert (
        result.rows[3].error
        and "AdapterParseError" in result.rows[3].error
        and result.rows[3].score == 0
    )
    assert result.rows[4].outputs == {"answer": 99} and result.rows[4].score == 0
    assert [r.index for r in result.rows] == list(range(6))
    assert len(seen) == 6 and seen[-1] == (6, 6)


def test_max_errors_stops_the_evaluation():
    dspy.configure(lm=ScriptedLM(by_input=lambda m: "unparseable"))
    with pytest.raises(TooManyErrors, match="max_errors=2"):
        dspy.Evaluate(devset=devset(10), metric=ExactMatch(), num_threads=1, max_errors=2)(
            dspy.Predict("question -> answer: int")
        )


def test_ledger_totals_equal_sum_of_calls_with_four_threads():
    lm = ScriptedLM(by_input=lambda m: {"answer": "1"}, cache=True)
    dspy.configure(lm=lm)
    ledger = UsageLedger()
    program = dspy.Predict("question -> answer")
    with dspy.context(usage_trackers=(ledger,)):
        dspy.Evaluate(devset=devset(20), metric=ExactMatch(), num_threads=4)(program)
        dspy.Evaluate(devset=devset(20), metric=ExactMatch(), num_threads=4)(
            program
        )  # all cache hits
    totals = ledger.totals()
    assert totals.calls == 40 and totals.cache_hits == 20 and totals.uncached_calls == 20
    assert totals.prompt_tokens == sum(r.prompt_tokens for r in ledger.records if not r.cache_hit)


@pytest.mark.parametrize(
    "metric, predicted, expected, score",
    [
        (ExactMatch(), "Paris", "Paris", 1.0),
        (ExactMatch(), "paris", "Paris", 0.0),
        (NormalizedExactMatch(), "The Paris!", "paris", 1.0),
        (Contains(), "It is Paris, France", "paris", 1.0),
        (TokenF1(), "the big cat", "big cat sat", 0.8),
        (NumericTolerance(abs_tol=0.01), "about 3.141", 3.14, 1.0),
        (NumericTolerance(), "three", 3, 0.0),
        (RegexMatch(r"^\d+$"), "123", "x", 1.0),
        (RegexMatch(r"\b{expected}\b"), "it is 5 today", "5", 1.0),
    ],
)
def test_metrics(metric, predicted, expected, score):
    example = dspy.Example(q="x", answer=expected).with_inputs("q")
    assert metric(example, dspy.Prediction(answer=predicted)) == pytest.approx(score, abs=0.01)


def test_make_metric_errors_are_clear():
    with pytest.raises(SpecError, match="unknown metric 'bleu'"):
        make_metric("bleu")
    with pytest.raises(SpecError, match="invalid regex"):
        make_metric("regex", pattern="(")


def test_each_step_keeps_its_reply_as_the_model_wrote_it():
    """A row's trace holds each step's reply before parsing; after a format fallback, the
    reply its outputs came from (the JSON retry), not the one that did not parse."""
    raw = "[[ ## answer ## ]]\n7   \n\n[[ ## completed ## ]]"
    replies = iter([raw, "I think it is eight", '{"answer": "8"}'])
    dspy.configure(lm=ScriptedLM(by_input=lambda messages: next(replies)))
    pred = dspy.Predict("question -> answer")(question="q7")
    assert pred.answer == "7" and pred.reply == raw
    result = dspy.Evaluate(devset=devset(1), metric=ExactMatch())(
        dspy.Predict("question -> answer: int")
    )
    (step,) = result.rows[0].trace
    assert step["outputs"] == {"answer": 8} and step["reply"] == '{"answer": "8"}'
    assert dspy.Prediction(answer="by hand").reply is None
