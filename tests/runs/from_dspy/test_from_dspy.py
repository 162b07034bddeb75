"""A program saved by the real `dspy` and its signatures (a .py read from its syntax tree, or
signature strings) become a project spec: steps in forward()'s order, fields, instructions
and demos the program's own; what cannot come in is refused with a message naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dspy_programs import CLASSIFY_DEMO, RESTATE_DEMO, SOURCE, saved_program

from engine.core import SpecError
from engine.runs.from_dspy import ImportProblem, import_dspy

pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")


@pytest.fixture
def saved(tmp_path: Path) -> tuple[str, str]:
    program, source = saved_program(tmp_path)
    return program.read_text(encoding="utf-8"), source.read_text(encoding="utf-8")


def test_the_program_file_becomes_a_spec_of_its_steps_fields_instructions_and_demos(saved):
    program, source = saved
    imported = import_dspy(program, source, csv="tickets.csv", name="Router")
    spec = imported.spec
    assert [(s.name, s.module) for s in spec.pipeline] == [
        ("restate", "Predict"), ("extract", "Predict"), ("classify", "ChainOfThought")
    ]  # fmt: skip
    restate, extract, classify = spec.pipeline
    assert restate.instructions == "Restate the customer's ticket in one plain sentence."
    assert classify.instructions == "Decide which team should handle the ticket."
    assert [(f.name, f.role, f.type) for f in classify.fields] == [
        ("restated", "input", "str"), ("topic", "input", "str"), ("category", "output", "literal")
    ]  # fmt: skip
    assert classify.fields[2].choices == ["billing", "technical", "shipping"]
    assert restate.fields[0].description == "the customer's message"
    assert extract.fields[1].description == "a few words"
    assert restate.fields[1].description == ""  # DSPy's placeholder, not a description
    assert restate.demos == [RESTATE_DEMO] and extract.demos == []
    assert classify.demos == [CLASSIFY_DEMO]
    assert spec.input_fields == ["ticket"] and spec.label_fields == ["category"]
    assert (spec.metric.kind, spec.metric.field) == ("exact", "category")
    assert spec.data.csv == "tickets.csv" and spec.name == "Router"
    assert imported.notes == []


def test_signature_strings_in_predictor_order_do_the_same(saved):
    program, _ = saved
    strings = [
        "ticket -> restated", "restated -> topic",
        "restated, topic -> category: Literal['billing', 'technical', 'shipping']",
    ]  # fmt: skip
    spec = import_dspy(program, strings).spec
    assert [(s.name, s.module) for s in spec.pipeline] == [
        ("restate", "Predict"), ("extract", "Predict"), ("classify", "ChainOfThought")
    ]  # fmt: skip
    assert spec.pipeline[1].instructions == "Name the product or service the ticket is about."
    assert spec.pipeline[2].demos == [CLASSIFY_DEMO]
    assert spec.pipeline[2].fields[2].choices == ["billing", "technical", "shipping"]


def test_the_steps_follow_forward_not_the_order_they_are_made(saved):
    program, source = saved
    restate = "self.restate = dspy.Predict(Restate)"
    extract = "self.extract = dspy.Predict(Extract)"
    reordered = source.replace(restate, "SWAP").replace(extract, restate).replace("SWAP", extract)
    assert reordered != source
    spec = import_dspy(program, reordered).spec
    assert [s.name for s in spec.pipeline] == ["restate", "extract", "classify"]


def test_a_forward_that_does_more_than_call_steps_keeps_their_order_and_says_so(saved):
    program, source = saved
    looping = source.replace("        first = self.restate(ticket=ticket)\n",
                             "        for _ in range(1):\n            pass\n"
                             "        first = self.restate(ticket=ticket)\n")  # fmt: skip
    imported = import_dspy(program, looping, signatures_name="router.py")
    assert [s.name for s in imported.spec.pipeline] == ["restate", "extract", "classify"]
    assert imported.notes and "router.py line" in imported.notes[0]
    assert "forward() is not read further" in imported.notes[0]


def test_a_data_column_passed_under_another_name_becomes_the_column_mapping(saved):
    program, source = saved
    renamed = source.replace("def forward(self, ticket):", "def forward(self, message):")
    renamed = renamed.replace("self.restate(ticket=ticket)", "self.restate(ticket=message)")
    spec = import_dspy(program, renamed).spec
    assert spec.data.columns == {"message": "ticket", "category": "category"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "is not a program saved by DSPy: it is not JSON"),
        ("[1, 2]", "it holds a list, not a mapping of predictors"),
        ('{"metadata": {}}', "it holds no predictors"),
        ('{"name": "Router", "steps": 3}', "entry 'name' is not a predictor's state"),
        ('{"retrieve": {"k": 3}}', "it holds k; a predictor holds demos and signature"),
    ],
)
def test_a_file_that_is_not_a_saved_dspy_program_is_refused(saved, text, words):
    with pytest.raises(ImportProblem) as caught:
        import_dspy(text, saved[1], saved_name="upload.json")
    assert words in str(caught.value) and "upload.json" in str(caught.value)
    assert isinstance(caught.value, SpecError)  # the CLI and the pages show it as one


def test_a_program_saved_by_dspy_2_is_refused(saved):
    data = json.loads(saved[0])
    data["metadata"]["dependency_versions"]["dspy"] = "2.5.43"
    with pytest.raises(ImportProblem, match="saved by DSPy 2.5.43; Tunesmith reads programs"):
        import_dspy(json.dumps(data), saved[1])


def test_a_signature_built_by_a_call_in_init_is_refused(saved):
    source = saved[1].replace("dspy.Predict(Extract)", "dspy.Predict(make_signature())")
    with pytest.raises(ImportProblem, match=r"router.py line \d+: .*builds its signature"):
        import_dspy(saved[0], source, signatures_name="router.py")


def test_predictors_in_the_saved_program_with_no_matching_signature_are_refused(saved):
    data = json.loads(saved[0])
    data["summarize"] = data["restate"]
    with pytest.raises(ImportProblem, match="'summarize' in the saved program have no matching"):
        import_dspy(json.dumps(data), saved[1])
    with pytest.raises(ImportProblem, match="has 3 predictor.*but 2 signature string"):
        import_dspy(saved[0], ["ticket -> restated", "restated -> topic"])


def test_a_signature_whose_fields_do_not_match_the_saved_ones_is_refused(saved):
    topic = '    topic: str = dspy.OutputField(desc="a few words")\n'
    source = saved[1].replace(topic, topic + "    extra: str = dspy.OutputField()\n")
    with pytest.raises(ImportProblem, match="'extract' has 2 fields saved but its signature"):
        import_dspy(saved[0], source)


def test_an_output_fed_under_another_name_is_refused(saved):
    source = saved[1].replace("topic=second.topic", "topic=second.restated")
    with pytest.raises(ImportProblem, match="extract's output 'restated' is passed to classify"):
        import_dspy(saved[0], source)


def test_a_type_with_no_place_in_a_spec_is_refused(saved):
    source = saved[1].replace("topic: str = dspy.OutputField(", "topic: dict = dspy.OutputField(")
    with pytest.raises(ImportProblem, match="field 'topic' of Extract has the type `dict`"):
        import_dspy(saved[0], source)


def test_predictors_in_a_list_are_refused(saved):
    data = json.loads(saved[0])
    data = {"steps[0]": data["restate"], "metadata": data["metadata"]}
    with pytest.raises(ImportProblem, match=r"predictor 'steps\[0\]' sits in a list"):
        import_dspy(json.dumps(data), ["ticket -> restated"])


def test_a_step_other_than_predict_or_chain_of_thought_is_refused(saved):
    source = saved[1].replace("dspy.Predict(Extract)", "dspy.ReAct(Extract, tools=[])")
    with pytest.raises(ImportProblem, match="is not a step Tunesmith can bring in"):
        import_dspy(saved[0], source)


def test_the_source_template_is_what_the_tests_save():
    assert "class SupportRouter(dspy.Module)" in SOURCE


def test_a_helper_module_beside_the_program_and_an_async_forward_are_fine(saved):
    program, source = saved
    helper = (
        "class Helper(dspy.Module):\n    def __init__(self):\n        self.other = Other()\n\n\n"
    )
    source = source.replace(
        "class SupportRouter(dspy.Module):", helper + "class SupportRouter(dspy.Module):"
    )
    forward = "    def forward(self, ticket):"
    aforward = "    async def aforward(self, ticket):\n        return None\n\n"
    source = source.replace(forward, aforward + forward)
    assert [s.name for s in import_dspy(program, source).spec.pipeline] == [
        "restate", "extract", "classify"
    ]  # fmt: skip


def test_a_chain_of_thought_string_without_room_for_reasoning_is_refused(saved):
    strings = ["ticket -> restated", "restated -> topic", "restated, topic, extra -> category"]
    with pytest.raises(ImportProblem, match="'classify.predict' is a ChainOfThought step"):
        import_dspy(saved[0], strings)


def test_a_predictor_with_its_own_model_is_told_where_the_model_is_set(saved):
    data = json.loads(saved[0])
    data["restate"]["lm"] = {"model": "openai/gpt-4o-mini", "temperature": 0.0}
    imported = import_dspy(json.dumps(data), saved[1])
    assert imported.spec.models.task.model == "local/smollm2-135m"
    assert any("restate had its own model (openai/gpt-4o-mini)" in n for n in imported.notes)
