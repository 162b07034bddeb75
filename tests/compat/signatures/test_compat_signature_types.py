"""Signature field types DSPy accepts: Enum, datetime, date, Path, History, Tool, ToolCalls,
Image, File, and custom pydantic models named in a string signature from the caller's scope."""

import datetime
import enum
from pathlib import Path

import dspy as real_dspy
import pydantic
import pytest
from dspy.utils import DummyLM

import engine as dspy
from engine.core._errors import SignatureError
from engine.lm import ScriptedLM


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Answer(pydantic.BaseModel):
    text: str
    score: int


def run(lib, signature, answer: dict, **inputs):
    """Call Predict(signature) with one scripted reply; (prediction, messages sent)."""
    if lib is dspy:
        lm = ScriptedLM(answers=[answer])
        return lib.Predict(signature)(lm=lm, **inputs), lm.history[-1]["messages"]
    lm = DummyLM([answer])
    with real_dspy.context(lm=lm, adapter=real_dspy.ChatAdapter()):
        return lib.Predict(signature)(**inputs), lm.history[-1]["messages"]


BOTH = pytest.mark.parametrize("lib", [dspy, real_dspy], ids=["engine", "dspy"])


@BOTH
def test_enum_output_and_input(lib):
    class S(lib.Signature):
        current: Color = lib.InputField()
        color: Color = lib.OutputField()

    pred, messages = run(lib, S, {"color": "green"}, current=Color.RED)
    assert pred.color is Color.GREEN
    assert "must be one of: red; green" in messages[0]["content"]
    assert "[[ ## current ## ]]\nred" in messages[-1]["content"]


def test_enum_output_by_member_name():
    class S(dspy.Signature):
        q: str = dspy.InputField()
        color: Color = dspy.OutputField()

    assert run(dspy, S, {"color": "GREEN"}, q="x")[0].color is Color.GREEN


@BOTH
def test_dates_and_paths(lib):
    class S(lib.Signature):
        day: datetime.date = lib.InputField()
        when: datetime.datetime = lib.OutputField()
        due: datetime.date = lib.OutputField()
        where: Path = lib.OutputField()

    reply = {"when": "2024-05-06T07:08:09", "due": "2024-05-07", "where": "/tmp/out.txt"}
    pred, messages = run(lib, S, reply, day=datetime.date(2024, 5, 1))
    assert pred.when == datetime.datetime(2024, 5, 6, 7, 8, 9)
    assert pred.due == datetime.date(2024, 5, 7)
    assert pred.where == Path("/tmp/out.txt")
    assert "2024-05-01" in messages[-1]["content"]


@BOTH
def test_custom_model_from_the_callers_scope(lib):
    sig = lib.Signature("question -> answer: Answer")
    assert sig.output_fields["answer"].annotation is Answer
    pred, _ = run(lib, sig, {"answer": '{"text": "hi", "score": 3}'}, question="q")
    assert pred.answer == Answer(text="hi", score=3)


def test_custom_model_from_a_functions_locals():
    class Local(pydantic.BaseModel):
        y: int

    sig = dspy.Signature("q -> a: Local, b: list[Local]")  # DSPy finds only the first
    assert sig.output_fields["a"].annotation is Local
    assert sig.output_fields["b"].annotation == list[Local]
    assert dspy.Predict("q -> a: Local").signature.output_fields["a"].annotation is Local


def test_unknown_type_name_is_a_clear_error():
    with pytest.raises(SignatureError, match="NoSuchType"):
        dspy.Signature("q -> a: NoSuchType")


@BOTH
def test_module_qualified_types_in_strings(lib):
    sig = lib.Signature("question, history: dspy.History -> calls: dspy.ToolCalls")
    assert sig.input_fields["history"].annotation is dspy.History
    assert sig.output_fields["calls"].annotation is dspy.ToolCalls


@BOTH
def test_tool_calls_output(lib):
    class S(lib.Signature):
        question: str = lib.InputField()
        tools: list[lib.Tool] = lib.InputField()
        calls: lib.ToolCalls = lib.OutputField()

    def search(query: str) -> str:
        """Search the web."""
        return f"results for {query}"

    reply = {"calls": '{"tool_calls": [{"name": "search", "args": {"query": "cats"}}]}'}
    pred, messages = run(lib, S, reply, question="q", tools=[lib.Tool(search)])
    assert isinstance(pred.calls, lib.ToolCalls)
    assert [(c.name, c.args) for c in pred.calls.tool_calls] == [("search", {"query": "cats"})]
    assert pred.calls.tool_calls[0].execute(functions={"search": search}) == "results for cats"
    assert "whose description is <desc>Search the web.</desc>" in messages[-1]["content"]


def test_tool_calls_shapes():
    calls = dspy.ToolCalls.from_dict_list([{"name": "f", "args": {"x": 1}}])
    assert calls.format() == {"tool_calls": [{"name": "f", "args": {"x": 1}}]}
    assert dspy.ToolCalls.model_validate([{"name": "f", "args": {}}]).tool_calls[0].name == "f"


@BOTH
def test_image_and_file_reprs_match_dspy(lib):
    assert (
        repr(lib.Image("https://example.com/cat.png")) == "Image(url='https://example.com/cat.png')"
    )
    inline = lib.Image("data:image/png;base64,AAAA")
    assert repr(inline) == "Image(url=data:image/png;base64,<IMAGE_BASE_64_ENCODED(4)>)"
    assert (
        repr(lib.File(file_id="file-1", filename="a.pdf"))
        == "File(file_id='file-1', filename='a.pdf')"
    )
    assert lib.Image("https://example.com/cat.png").format() == [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    ]


def test_image_and_file_inputs_are_described_in_text(tmp_path):
    class S(dspy.Signature):
        photo: dspy.Image = dspy.InputField()
        report: dspy.File = dspy.InputField()
        caption: str = dspy.OutputField()

    doc = tmp_path / "r.txt"
    doc.write_text("hello")
    pred, messages = run(
        dspy, S, {"caption": "a cat"},
        photo=dspy.Image("https://example.com/cat.png"), report=dspy.File.from_path(doc),
    )  # fmt: skip
    assert pred.caption == "a cat"
    text = messages[-1]["content"]
    assert "Image(url='https://example.com/cat.png')" in text
    assert "File(file_data=<DATA_URI(text/plain, 8 chars)>, filename='r.txt')" in text


def test_image_from_bytes_and_path(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 8
    assert dspy.Image(png).url.startswith("data:image/png;base64,")
    path = tmp_path / "x.png"
    path.write_bytes(png)
    assert dspy.Image.from_path(path).url == dspy.Image(png).url
    with pytest.raises(FileNotFoundError):
        dspy.Image.from_path(tmp_path / "missing.png")


def test_image_from_pil():
    pil = pytest.importorskip("PIL.Image")
    image = dspy.Image.from_PIL(pil.new("RGB", (2, 2)))
    assert image.url.startswith("data:image/png;base64,")
    assert repr(image).startswith("Image(url=data:image/png;base64,<IMAGE_BASE_64_ENCODED(")
