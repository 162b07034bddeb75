import json

import pytest

import engine as dspy
from engine.core._errors import MissingInputError
from engine.lm import ScriptedLM, UsageLedger


class QA(dspy.Signature):
    """Answer a question with a single concise sentence."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


class SimpleQA(dspy.Module):
    def __init__(self):
        self.cot = dspy.ChainOfThought(QA)

    def forward(self, question):
        return self.cot(question=question)


class TwoStep(dspy.Module):
    def __init__(self):
        self.summarize = dspy.Predict("text -> summary")
        self.classify = dspy.ChainOfThought("summary -> label")

    def forward(self, text):
        summary = self.summarize(text=text).summary
        return self.classify(summary=summary)


def test_predict_uses_configured_lm_and_records_usage():
    lm = ScriptedLM(answers=[{"answer": "Paris"}])
    dspy.configure(lm=lm)
    pred = dspy.Predict(QA)(question="Capital of France?")
    assert pred.answer == "Paris"
    assert pred.get_lm_usage()["calls"] == 1


def test_missing_input_names_the_field():
    with pytest.raises(MissingInputError, match=r"missing input field\(s\) \['question'\]"):
        dspy.Predict(QA)(query="x")


def test_chain_of_thought_puts_reasoning_first():
    lm = ScriptedLM(answers=[{"reasoning": "Because.", "answer": "4"}])
    dspy.configure(lm=lm)
    program = SimpleQA()
    out = program(question="2+2?")
    assert out.reasoning == "Because." and out.answer == "4"
    assert list(program.cot.predict.signature.output_fields) == ["reasoning", "answer"]
    assert program.cot.predict.signature.instructions == QA.instructions


def test_named_predictors_paths_match_dspy():
    assert [n for n, _ in TwoStep().named_predictors()] == ["summarize", "classify.predict"]
    assert [n for n, _ in dspy.Predict("a -> b").named_predictors()] == ["self"]
    assert [n for n, _ in dspy.ChainOfThought("a -> b").named_predictors()] == ["predict"]


def test_two_module_program_runs_in_order():
    lm = ScriptedLM(answers=[{"summary": "short"}, {"reasoning": "r", "label": "ok"}])
    dspy.configure(lm=lm)
    assert TwoStep()(text="long text").label == "ok"


def test_deepcopy_shares_lm_and_reset_copy_clears_demos():
    program = TwoStep()
    lm = ScriptedLM(answers=["x"])
    program.set_lm(lm)
    program.summarize.demos = [dspy.Example(text="t", summary="s")]
    copy = program.deepcopy()
    assert copy.summarize.lm is lm and copy.summarize is not program.summarize
    assert copy.summarize.demos == program.summarize.demos
    assert program.reset_copy().summarize.demos == []
    assert program.get_lm() is lm


def test_save_load_gives_identical_prompts(tmp_path):
    program = TwoStep()
    program.summarize.demos = [
        dspy.Example(text="t1", summary="s1"),
        dspy.Example(text="t2", summary="s2"),
    ]
    program.classify.predict.signature = program.classify.predict.signature.with_instructions(
        "Label it."
    )
    path = tmp_path / "program.json"
    program.save(path)
    data = json.loads(path.read_text())
    assert set(data) == {"summarize", "classify.predict", "metadata"}
    assert data["summarize"]["signature"]["fields"][0] == {
        "prefix": "Text:",
        "description": "${text}",
    }
    loaded = TwoStep().load(path)
    adapter = dspy.ChatAdapter()
    for (_, a), (_, b) in zip(program.named_predictors(), loaded.named_predictors()):
        assert adapter.format(
            a.signature, a.demos, {n: "x" for n in a.signature.input_fields}
        ) == adapter.format(b.signature, b.demos, {n: "x" for n in b.signature.input_fields})


def test_load_state_mismatch_is_explained():
    with pytest.raises(ValueError, match="does not match this program"):
        TwoStep().load_state({"other": {}})


def test_batch_runs_in_threads_and_survives_failures():
    lm = ScriptedLM(by_input=lambda messages: {"answer": "ok"})
    dspy.configure(lm=lm)
    examples = [dspy.Example(question=f"q{i}").with_inputs("question") for i in range(6)]
    examples.append(dspy.Example(wrong="x").with_inputs("wrong"))
    results, failed, errors = dspy.Predict(QA).batch(
        examples, num_threads=3, return_failed_examples=True
    )
    assert [r.answer for r in results[:6]] == ["ok"] * 6 and results[6] is None
    assert len(failed) == 1 and isinstance(errors[0], MissingInputError)


def test_context_overrides_reach_the_thread_pool():
    outer = ScriptedLM(by_input=lambda m: {"answer": "outer"})
    inner = ScriptedLM(by_input=lambda m: {"answer": "inner"})
    dspy.configure(lm=outer)
    ledger = UsageLedger()
    examples = [dspy.Example(question=f"q{i}").with_inputs("question") for i in range(8)]
    with dspy.context(lm=inner, usage_trackers=(ledger,)):
        results = dspy.Predict(QA).batch(examples, num_threads=4)
    assert {r.answer for r in results} == {"inner"}
    assert len(ledger) == 8
    assert dspy.Predict(QA)(question="q").answer == "outer"


def test_async_tasks_keep_their_own_context():
    import asyncio

    async def run(name):
        with dspy.context(lm_role=name):
            await asyncio.sleep(0.01)
            return dspy.settings.lm_role

    async def main():
        return await asyncio.gather(run("a"), run("b"))

    assert asyncio.run(main()) == ["a", "b"]
    assert dspy.settings.lm_role == "task"
