"""Spec step types beyond Predict/ChainOfThought: Retrieve over a project corpus, ReAct with
safe built-in tools, ProgramOfThought; validation, building, tracing and exported code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import engine as dspy
from engine.core._errors import SpecError
from engine.evaluate.evaluate import run_example
from engine.lm import ScriptedLM
from engine.runs.data._corpus import read_passages, split_text
from engine.runs.export.codegen import generate_python
from engine.runs.pipeline._program import build_program
from engine.runs.pipeline._tools import calculator
from engine.runs.spec._spec import load_spec, spec_from_dict

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def _rag(tmp_path: Path, **search: object) -> dict:
    spec = load_spec(SAMPLES / "tidewell_rag.yaml").to_dict()
    spec["pipeline"][0].update(search)
    return spec


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in (
        "tidewell_corpus.md", "tidewell_questions.csv", "tidewell_products.csv",
        "tidewell_agent_questions.csv",
    ):  # fmt: skip
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


# validation --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"corpus": None}, "a Retrieve step needs a corpus file"),
        ({"corpus": {"path": "notes.pdf"}}, "use a .txt, .md or .csv file"),
        ({"corpus": {"path": "c.csv"}}, "name the CSV column"),
        ({"k": 0}, "k must be 1 or more"),
        ({"tools": [{"name": "calculator"}]}, "tools are only used by a ReAct step"),
    ],
)
def test_retrieve_step_options_are_checked(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        spec_from_dict(_rag(tmp_path, **change))
    assert "pipeline.0" in str(info.value)


def test_unknown_tool_and_tool_options_are_named() -> None:
    spec = load_spec(SAMPLES / "tidewell_agent.yaml").to_dict()
    spec["pipeline"][0]["tools"] = [{"name": "shell"}]
    with pytest.raises(SpecError, match="unknown tool 'shell'; choose one of calculator, search"):
        spec_from_dict(spec)
    spec["pipeline"][0]["tools"] = [{"name": "lookup", "table": "t.csv"}]
    with pytest.raises(SpecError, match="tool lookup needs a table"):
        spec_from_dict(spec)
    spec["pipeline"][0]["tools"] = []
    with pytest.raises(SpecError, match="a ReAct step needs at least one tool"):
        spec_from_dict(spec)


def test_missing_or_outside_corpus_is_refused_when_building(project: Path, tmp_path: Path) -> None:
    spec = spec_from_dict(_rag(project, corpus={"path": "missing.md"}), base_dir=project)
    with pytest.raises(SpecError, match=r"pipeline\.0\.corpus: file not found"):
        build_program(spec)
    outside = tmp_path.parent / "outside_corpus.md"
    outside.write_text("secret passage\n", encoding="utf-8")
    spec = spec_from_dict(_rag(project, corpus={"path": str(outside)}), base_dir=project)
    with pytest.raises(SpecError, match="outside the project folder"):
        build_program(spec)
    agent = load_spec(SAMPLES / "tidewell_agent.yaml").to_dict()
    agent["pipeline"][0]["tools"] = [{"name": "lookup", "table": "../x.csv", "key": "product"}]
    with pytest.raises(SpecError, match=r"pipeline\.0\.tools\.0\.table: .*outside"):
        build_program(spec_from_dict(agent, base_dir=project))
    agent["pipeline"][0]["tools"] = [
        {"name": "lookup", "table": "tidewell_products.csv", "key": "sku"}
    ]
    with pytest.raises(SpecError, match="column 'sku' is not in tidewell_products.csv"):
        build_program(spec_from_dict(agent, base_dir=project))


def test_options_only_appear_in_saved_specs_when_set() -> None:
    tickets = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    assert set(tickets["pipeline"][0]) == {"name", "module", "instructions", "fields"}
    rag = load_spec(SAMPLES / "tidewell_rag.yaml").to_dict()
    assert rag["pipeline"][0]["k"] == 3 and rag["pipeline"][0]["corpus"]["path"]


# corpus and tools --------------------------------------------------------------------------
def test_corpus_splits_by_paragraph_line_or_csv_column(tmp_path: Path) -> None:
    assert split_text("# Title\n\nOne\nstill one.\n\nTwo.\n") == ["One still one.", "Two."]
    assert split_text("a\nb\n") == ["a", "b"]
    assert split_text("a\nb\n\nc", split="line") == ["a", "b", "c"]
    table = tmp_path / "c.csv"
    table.write_text("id,text\n1,first passage\n2,\n3,third\n", encoding="utf-8")
    assert read_passages(table, "text") == ["first passage", "third"]
    with pytest.raises(SpecError, match="column 'body' is not in c.csv"):
        read_passages(table, "body")
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(SpecError, match="holds no passages"):
        read_passages(tmp_path / "empty.txt")
    assert len(read_passages(SAMPLES / "tidewell_corpus.md")) >= 30


@pytest.mark.parametrize(
    ("expression", "result"), [("2 + 3 * 4", "14"), ("(1.5 + 0.5) ^ 3", "8"), ("-7 // 2", "-4")]
)
def test_calculator_does_arithmetic(expression: str, result: str) -> None:
    assert calculator(expression) == result


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('id')", "only numbers"),
        ("open('/etc/passwd')", "only numbers"),
        ("2 ** 10000", "exponent 10000 is too large"),
        ("1 / 0", "division by zero"),
        ("2 +", "cannot read"),
    ],
)
def test_calculator_refuses_anything_but_arithmetic(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calculator(expression)
    tool = dspy.Tool(calculator)
    assert message in str(tool(expression=expression))  # an observation, not an exception


# programs on a scripted LM -----------------------------------------------------------------
def test_rag_spec_retrieves_then_answers_and_traces_the_passages(project: Path) -> None:
    spec = spec_from_dict(load_spec(SAMPLES / "tidewell_rag.yaml").to_dict(), base_dir=project)
    seen: list[str] = []

    def reply(messages: list[dict]) -> dict:
        seen.append(messages[-1]["content"])
        return {"reasoning": "The context says so.", "answer": "12 euros"}

    dspy.configure(lm=ScriptedLM(by_input=reply))
    program = build_program(spec)
    example = dspy.Example(
        question="How much does a replacement Heron lid cost?", answer="12 euros"
    ).with_inputs("question")
    row = run_example(program, lambda ex, pred, trace=None: ex.answer in pred.answer, example)
    assert row.score == 1.0 and "Replacement lids for the Heron cost 12 euros" in seen[0]
    steps = [step["predictor"] if isinstance(step, dict) else step for step in row.trace]
    assert len(steps) == 2, row.trace
    assert "Replacement lids for the Heron" in str(row.trace[0])
    assert program.dump_state()["search"] == {"k": 3}


def test_agent_spec_calls_the_lookup_tool(project: Path) -> None:
    spec = spec_from_dict(load_spec(SAMPLES / "tidewell_agent.yaml").to_dict(), base_dir=project)
    dspy.configure(
        lm=ScriptedLM(
            answers=[
                {"next_thought": "Look it up.", "next_tool_name": "lookup",
                 "next_tool_args": {"value": "Heron"}},
                {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}},
                {"reasoning": "The table says 69.", "answer": "69"},
            ]
        )
    )  # fmt: skip
    prediction = build_program(spec)(question="What does the Heron cost in euros?")
    assert prediction.answer == "69"
    assert prediction.trajectory["tool_name_0"] == "lookup"
    assert "price_euros: 69" in prediction.trajectory["observation_0"]


def test_program_of_thought_step_builds_with_its_options() -> None:
    spec = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    spec["pipeline"][0].update(module="ProgramOfThought", max_iters=2)
    spec["pipeline"][0]["fields"][1].update(type="str", choices=[])
    program = build_program(spec_from_dict(spec, base_dir=SAMPLES))
    assert isinstance(program.classify, dspy.ProgramOfThought)
    assert program.classify.max_iters == 2
    assert "dspy.ProgramOfThought(Classify, max_iters=2)" in generate_python(
        spec_from_dict(spec, base_dir=SAMPLES)
    )


@pytest.mark.parametrize("sample", ["tidewell_rag.yaml", "tidewell_agent.yaml"])
def test_exported_code_runs_and_has_the_same_state_shape(sample: str) -> None:
    spec = load_spec(SAMPLES / sample)
    namespace: dict = {"__name__": "exported"}
    exec(compile(generate_python(spec), sample, "exec"), namespace)  # noqa: S102 (our own output)
    exported, built = namespace["program"], build_program(spec)
    assert [n for n, _ in exported.named_predictors()] == [n for n, _ in built.named_predictors()]
    assert exported.dump_state().keys() == built.dump_state().keys()
