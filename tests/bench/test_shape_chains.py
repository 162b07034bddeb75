"""The shape matrix's multi-step cases (bench/shapes/chain.py, chain_report.py): the program
built the same way in both frameworks and run on scripted LMs (each step answers only when its
prompt holds what the step before passed on), compiled by BootstrapFewShot, the step view of
an evaluation, the one-step partner on the same split, and the report's verdict."""

from __future__ import annotations

from typing import Any

import dspy
import pytest
from dspy.utils.dummies import DummyLM as DSPyDummyLM

import engine as ts
from bench.core.common import REPO
from bench.shapes.cases import BY_NAME, ONE_STEP, examples, split, with_partners
from bench.shapes.chain import SAMPLE_CHARS, SAMPLE_ROWS, chain_program, step_view
from bench.shapes.chain_report import chain_section, chain_table, goal
from bench.shapes.report import results_name, section_key
from engine.utils.dummies import DummyLM as EngineDummyLM

FRAMEWORKS = [(ts, EngineDummyLM), (dspy, DSPyDummyLM)]
IDS = ["engine", "dspy"]
RESTATED = "The customer asks when the new card arrives"
# the last message of each step's call holds its own inputs only: step 2 answers only if it
# was given step 1's output
ANSWERS = {
    "my card still has not come": {"request": RESTATED},
    RESTATED: {"reasoning": "It is about a card on its way.", "category": "card_arrival"},
}


@pytest.mark.parametrize(("module", "dummy"), FRAMEWORKS, ids=IDS)
def test_a_chain_is_one_attribute_per_step_and_passes_each_output_on(module, dummy):
    program = chain_program(BY_NAME["restate_classify"], module)
    names = [name for name, _ in program.named_predictors()]
    assert len(names) == 2 and names[0] == "restate" and names[1].startswith("classify")
    with module.context(lm=dummy(ANSWERS)):
        prediction = program(text="Hello, my card still has not come, where is it?")
    assert prediction.request == RESTATED
    assert prediction.category == "card_arrival"


@pytest.mark.parametrize(("module", "dummy"), FRAMEWORKS, ids=IDS)
def test_bootstrap_keeps_demos_on_every_step_of_a_chain(module, dummy):
    case = BY_NAME["restate_classify"]
    rows = [{"text": f"my card still has not come ({i})", "category": "card_arrival"}
            for i in range(3)]  # fmt: skip
    optimizer = module.BootstrapFewShot(metric=case.metric, max_bootstrapped_demos=2,
                                        max_labeled_demos=0)  # fmt: skip
    with module.context(lm=dummy(ANSWERS)):
        compiled = optimizer.compile(chain_program(case, module),
                                     trainset=examples(case, module, rows))  # fmt: skip
    demos = [len(p.demos) for p in compiled.predictors()]
    assert demos == [2, 2]
    assert compiled.predictors()[0].demos[0]["request"] == RESTATED


def test_the_step_view_scores_the_labelled_step_and_samples_what_each_step_passed_on():
    case = BY_NAME["classify_explain"]
    long_reason = "because " * 60
    results: list[tuple[Any, Any, float]] = []
    pairs = [("positive", "positive"), ("negative", "positive"), ("positive", "Positive."),
             ("negative", "negative")]  # fmt: skip
    for i, (gold, said) in enumerate(pairs):
        example = ts.Example(review=f"review {i}", sentiment=gold).with_inputs("review")
        prediction = ts.Prediction(sentiment=said, explanation=long_reason)
        results.append((example, prediction, float(gold == said.strip(".").lower())))
    view = step_view(case, results)
    assert [entry["step"] for entry in view] == ["classify", "explain"]
    assert view[0]["accuracy"] == 75.0  # 3 of 4: "Positive." reads as positive
    assert view[1]["accuracy"] is None  # the explanation has no label
    assert len(view[0]["passed_on"]) == SAMPLE_ROWS
    assert view[0]["passed_on"][1] == {"sentiment": "positive"}
    assert "passed_on" not in view[1]  # the last step passes nothing on
    restate = step_view(BY_NAME["restate_classify"], [
        (ts.Example(text="t", category="pin_blocked").with_inputs("text"),
         ts.Prediction(request=long_reason, category="pin_blocked"), 1.0)])  # fmt: skip
    assert restate[0]["accuracy"] is None and restate[1]["accuracy"] == 100.0
    assert len(restate[0]["passed_on"][0]["request"]) == SAMPLE_CHARS


@pytest.mark.parametrize(("module", "dummy"), FRAMEWORKS, ids=IDS)
def test_the_step_view_reads_each_frameworks_evaluate_results(module, dummy):
    """Tunesmith's Evaluate keeps each prediction as a dict, DSPy's as a Prediction."""
    case = BY_NAME["classify_explain"]
    rows = [{"review": "Loved it, works well", "sentiment": "positive"},
            {"review": "Broke in a day", "sentiment": "negative"}]  # fmt: skip
    # the explain step's message names its output; the classify step's does not
    lm = dummy({"explanation": {"explanation": "The reviewer says so."},
                "Loved it": {"sentiment": "positive"},
                "Broke": {"sentiment": "positive"}})  # fmt: skip
    with module.context(lm=lm):
        kwargs = {"display_progress": False} if module is dspy else {}
        result = module.Evaluate(devset=examples(case, module, rows), metric=case.metric,
                                 num_threads=1, **kwargs)(chain_program(case, module))  # fmt: skip
    view = step_view(case, list(result.results))
    assert view[0]["accuracy"] == 50.0 and view[1]["accuracy"] is None
    assert view[0]["passed_on"] == [{"sentiment": "positive"}, {"sentiment": "positive"}]


def test_each_chain_runs_with_its_one_step_partner_on_the_same_rows():
    assert with_partners(["bool", "extract_classify", "extract_classify" + ONE_STEP]) == [
        "bool", "extract_classify", "extract_classify" + ONE_STEP,
    ]  # fmt: skip
    for name in ("restate_classify", "extract_classify", "classify_explain"):
        chain, partner = BY_NAME[name], BY_NAME[name + ONE_STEP]
        assert chain.steps and not partner.steps
        assert partner.inputs == chain.inputs and partner.outputs == chain.outputs
        scored = [s for s in chain.steps if set(chain.outputs) <= set(s.outputs)]
        assert len(scored) == 1 and scored[0].chain_of_thought == partner.chain_of_thought
    data = REPO / "sample_data"  # the ticket and review cases read sample_data/ only
    chain_rows = split(BY_NAME["extract_classify"], data, (3, 2, 4), seed=1)
    assert chain_rows == split(BY_NAME["extract_classify" + ONE_STEP], data, (3, 2, 4), seed=1)
    assert chain_rows != split(BY_NAME["extract_classify"], data, (3, 2, 4), seed=2)


def leg(case: str, framework: str, seed: int, accuracy: float | None, wall: float = 10.0,
        steps: list | None = None) -> dict[str, Any]:  # fmt: skip
    return {"case": case, "framework": framework, "seed": seed, "accuracy": accuracy,
            "compile_wall": wall, "error_type": "" if accuracy is not None else "ValueError",
            "steps": steps or []}  # fmt: skip


def test_the_report_sets_each_chain_against_the_best_one_step_program():
    name, one = "restate_classify", "restate_classify" + ONE_STEP
    steps = [{"step": "restate", "accuracy": None, "passed_on": [{"request": "when is my card"}]},
             {"step": "classify", "accuracy": 20.0}]  # fmt: skip
    legs = [
        leg(name, "T", 0, 20.0, wall=1.0, steps=steps), leg(name, "D", 0, 15.0, wall=20.0),
        leg(one, "T", 0, 70.0), leg(one, "D", 0, 60.0),
        # seed 1: DSPy's one-step leg died, so the seed is left out of the pooled row
        leg(name, "T", 1, 90.0, wall=1.0), leg(name, "D", 1, 90.0), leg(one, "T", 1, 10.0),
        leg(one, "D", 1, None),
    ]  # fmt: skip
    table = chain_table(legs, "T", "D")
    row = next(line for line in table.splitlines() if line.startswith("| restate_classify"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:6] == ["1", "20.0% / 15.0%", "70.0% / 60.0%", "70.0% (T)",
                          "restate —, classify 20.0%"]  # fmt: skip
    assert cells[-1] == "no (acc)"
    assert "request: `when is my card`" in chain_section(legs, "T", "D")
    assert goal(71.0, 71.0, 0.3) == "yes"
    assert goal(70.0, 71.0, 0.31) == "no (acc, compile wall)"
    assert chain_section([leg("bool", "T", 0, 50.0)], "T", "D") == ""


def test_a_run_with_chains_writes_beside_the_one_step_tables():
    assert results_name("bootstrap") == "shapes-bootstrap"
    assert section_key("bootstrap") == "shapes-bootstrap"
    assert results_name("bootstrap", multistep=True) == "shapes-multistep-bootstrap"
    assert section_key("random_search", multistep=True) == "shapes-multistep-random_search"
