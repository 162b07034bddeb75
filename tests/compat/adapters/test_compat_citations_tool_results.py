"""`dspy.experimental` (Citations, Document), `dspy.ToolCallResults`, adapters'
`parallel_tool_calls` option and `dspy.adapters.utils` (issue 39, continued)."""

from __future__ import annotations

import enum
import json

import pytest

import engine as dspy
from engine.adapters import utils as adapter_utils
from engine.experimental import Citations, Document
from engine.lm.scripted import ScriptedLM


def test_document_formats_as_its_title_and_text():
    doc = Document(data="The Earth orbits the Sun.", title="Astronomy")
    assert doc.format() == "Title: Astronomy\nThe Earth orbits the Sun." == str(doc)
    assert Document(data="x").format() == "x" and doc.media_type == "text/plain"
    with pytest.raises(ValueError):
        Document(data="x", media_type="image/png")


def test_citations_from_dicts_and_a_bare_list():
    rows = [{"cited_text": "alpha", "document_index": 0, "start_char_index": 0,
             "end_char_index": 5}]  # fmt: skip
    made = Citations.from_dict_list(rows)
    assert len(made) == 1 and made[0].cited_text == "alpha" and made[0].type == "char_location"
    assert made.format() == [{"type": "char_location", **rows[0]}]
    assert Citations.model_validate(rows) == made  # a bare list, as an LM may write it
    assert "quoted text" in Citations.description()


def test_a_citations_output_is_read_from_the_reply():
    class Answer(dspy.Signature):
        """Answer from the documents, citing them."""

        documents: list[Document] = dspy.InputField()
        question: str = dspy.InputField()
        citations: Citations = dspy.OutputField()

    cited = [{"cited_text": "boils at 100", "document_index": 0, "start_char_index": 6,
              "end_char_index": 18}]  # fmt: skip
    lm = ScriptedLM([{"citations": json.dumps(cited)}])
    with dspy.context(lm=lm):
        pred = dspy.Predict(Answer)(
            documents=[Document(data="Water boils at 100 C.", title="Physics")],
            question="When does water boil?",
        )
    assert isinstance(pred.citations, Citations)
    assert pred.citations[0].cited_text == "boils at 100"
    prompt = lm.history[-1]["messages"][-1]["content"]
    assert "Title: Physics" in prompt and "Water boils at 100 C." in prompt


def test_tool_call_results_pair_calls_with_values():
    calls = dspy.ToolCalls.from_dict_list([
        {"name": "search", "args": {"q": "a"}, "id": "c1"}, {"name": "add", "args": {}},
    ])  # fmt: skip
    results = dspy.ToolCallResults.from_tool_calls_and_values(calls, ["found", 3], [False, True])
    first, second = results.tool_call_results
    assert (first.call_id, first.name, first.value, first.is_error) == ("c1", "search", "found",
                                                                      False)  # fmt: skip
    assert (second.call_id, second.is_error) == (None, True)
    with pytest.raises(ValueError, match="as many values"):
        dspy.ToolCallResults.from_tool_calls_and_values(calls, ["only one"])
    one = dspy.ToolCallResults.model_validate({"name": "search", "value": "x"})
    assert one.tool_call_results[0].name == "search"
    attached = dspy.ToolCalls(tool_calls=calls.tool_calls, tool_call_results=results)
    assert attached.tool_call_results is results and "tool_call_results" not in attached.format()


@pytest.mark.parametrize("adapter", [dspy.ChatAdapter, dspy.JSONAdapter, dspy.XMLAdapter])
def test_adapters_take_parallel_tool_calls(adapter):
    assert adapter(parallel_tool_calls=True).parallel_tool_calls is True
    assert adapter().parallel_tool_calls is None


class Color(enum.Enum):
    RED = "red"


def test_adapter_utils_format_and_parse_values():
    assert adapter_utils.format_field_value(None, ["a", "b"]) == "[1] a\n[2] b"
    assert adapter_utils.parse_value("42", int) == 42
    assert adapter_utils.parse_value("red", Color) is Color.RED
    assert adapter_utils.parse_value([1, "2"], list[int]) == [1, 2]
    with pytest.raises(ValueError):
        adapter_utils.parse_value({"x": 1}, list[int])
    assert adapter_utils.get_annotation_name(list[int]) == "list[int]"
    field = dspy.Signature("q -> n: int").output_fields["n"]
    assert adapter_utils.translate_field_type("n", field).startswith("{n}        # note:")
    assert adapter_utils.translate_field_type("q", dspy.Signature("q -> a").input_fields["q"]) \
        == "{q}"  # fmt: skip
