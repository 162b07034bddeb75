"""Pipeline page: steps and fields, code preview, second step, errors, try on a row."""

from __future__ import annotations

import pytest
from apphelpers import go, k, open_sample, rev, shown, texts


@pytest.fixture
def pipeline(app):
    open_sample(app)
    return go(app, "pipeline")


def edit_fields(at, step: int, delta: dict):
    base = f"fields_{step}_{rev(at)}"
    version = at.session_state[f"{base}__v"] if f"{base}__v" in at.session_state else 0
    at.session_state[f"{base}__{version}"] = {
        "edited_rows": {},
        "added_rows": [],
        "deleted_rows": [],
        **delta,
    }
    at.run()
    assert not at.exception, at.exception
    return at


def test_code_preview_follows_the_form(pipeline):
    at = pipeline
    assert "class Classify(dspy.Signature)" in texts(at)
    at.text_area(key=k(at, "step_instr_0")).set_value("Route the ticket to a team.").run()
    assert '"""Route the ticket to a team."""' in texts(at)
    at.selectbox(key=k(at, "step_module_0")).set_value("ChainOfThought").run()
    assert "dspy.ChainOfThought(Classify)" in texts(at)


def test_second_step_reads_the_first_steps_outputs(pipeline):
    at = pipeline
    at.button(key="add_step").click().run()
    steps = at.session_state["draft"]["pipeline"]
    assert len(steps) == 2
    first_outputs = [f["name"] for f in steps[0]["fields"] if f["role"] == "output"]
    second_inputs = [f["name"] for f in steps[1]["fields"] if f["role"] == "input"]
    assert first_outputs == second_inputs == ["notes_1"]
    assert [f["name"] for f in steps[1]["fields"] if f["role"] == "output"] == ["category"]
    code = texts(at)
    assert "notes_1 = classify_out.notes_1" in code and "self.step_2(notes_1=notes_1)" in code
    assert not [w for w in at.warning if "not valid" in shown(w.value)]
    at.button(key="remove_step_1").click().run()
    assert len(at.session_state["draft"]["pipeline"]) == 1
    assert [f["name"] for f in at.session_state["draft"]["pipeline"][0]["fields"]] == [
        "ticket",
        "category",
    ]


def test_no_output_field_is_explained(pipeline):
    at = edit_fields(pipeline, 0, {"deleted_rows": [1]})
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "Step 1" in warning and "needs at least one output field" in warning
    assert at.button(key="next_metric").disabled
    assert "The code appears when the pipeline is valid" in texts(at)


def test_invalid_field_name_is_explained(pipeline):
    at = edit_fields(pipeline, 0, {"edited_rows": {0: {"name": "2nd ticket"}}})
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "Step 1, field 1 (name)" in warning and "Python identifier" in warning


def test_literal_without_choices_is_explained(pipeline):
    at = edit_fields(pipeline, 0, {"edited_rows": {1: {"choices": ""}}})
    assert "has type literal but no choices" in " ".join(shown(w.value) for w in at.warning)


def test_added_field_row(pipeline):
    at = edit_fields(
        pipeline,
        0,
        {
            "added_rows": [
                {
                    "name": "priority",
                    "role": "output",
                    "type": "text",
                    "choices": "",
                    "description": "how urgent",
                }
            ]
        },
    )
    names = [f["name"] for f in at.session_state["draft"]["pipeline"][0]["fields"]]
    assert names == ["ticket", "category", "priority"]
    # a label the data does not provide is named in the message
    assert "priority" in " ".join(shown(w.value) for w in at.warning)


def test_try_on_a_random_row_shows_answer_prompt_tokens_latency(pipeline):
    at = pipeline
    at.button(key="try_row").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert {"Tokens (prompt + answer)", "Latency"} <= set(labels)
    assert any("[[ ## ticket ## ]]" in c.value for c in at.code)  # the rendered prompt
    assert "Expected: category" in texts(at)


def test_try_shows_a_format_error_without_a_traceback(pipeline, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:rambler")
    at = pipeline
    at.button(key="try_row").click().run()
    page = texts(at)
    assert "did not follow the expected format" in page
    assert "Traceback" not in page
