"""The Run page's "How each instruction was made" expander: who wrote each proposed
instruction (model, finished stem, template) and why drafts were dropped; old runs without the
record show the table as before and no expander."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

NEW_EVENT: dict[str, Any] = {
    "type": "proposals",
    "data": {
        "predictor": "classify", "optimizer": "MIPROv2", "round": 0, "demo_sets": [],
        "cleaning": {"proposed": 4, "kept": 1, "dropped": {"duplicate": 2, "field markers": 1},
                     "draws": 4, "templates": 1},
        "instructions": [
            {"index": 0, "text": "Route the ticket.", "origin": "original",
             "made": {"how": "original"}},
            {"index": 1, "text": 'Read the ticket. The team is "billing" when it names a charge.',
             "origin": "proposal 1 (finished a stem: label billing)",
             "made": {"how": "model", "form": "finished a stem", "grounded_in": "label billing",
                      "reply": "it names a charge.", "data": "20 training rows", "demos": 3}},
            {"index": 2, "text": "Route the ticket. The team is exactly one of: billing, tech.",
             "origin": "template 1 (labels); the model did not write it",
             "made": {"how": "template", "template": "labels", "data": "20 training rows"}},
        ],
        "rejected": [
            {"how": "model", "form": "finished a stem", "reply": "[[ ## team ## ]]",
             "why": "field markers"},
            {"how": "model", "form": "full request", "reply": "Route the ticket.",
             "why": "duplicate"},
        ],
    },
}  # fmt: skip


def _page(events):  # noqa: ANN001 - run from its source by AppTest: no names outside
    from dashboard.widgets.run.proposals_view import proposals_view

    proposals_view(events, [], [])


def _old_event() -> dict[str, Any]:
    data = {k: v for k, v in NEW_EVENT["data"].items() if k != "rejected"}
    data["instructions"] = [
        {k: v for k, v in item.items() if k != "made"} for item in data["instructions"]
    ]
    return {"type": "proposals", "data": data}


def test_each_instruction_says_how_it_was_made_and_dropped_drafts_say_why():
    at = AppTest.from_function(_page, args=([NEW_EVENT],), default_timeout=30).run()
    assert not at.exception, at.exception
    (expander,) = at.expander
    assert expander.label == "How each instruction was made"
    made, dropped = (frame.value for frame in expander.dataframe)
    assert list(made["made by"]) == [
        "your own instruction", "written by the proposer model",
        "built from your data (a template; the model did not write it)",
    ]  # fmt: skip
    assert "finished a sentence we started; about label billing" in made["from"][1]
    assert list(dropped["why it was dropped"]) == [
        "it wrote form markers instead of words", "the same as an instruction already in the list",
    ]  # fmt: skip
    assert any("1 instruction(s) were built from your data" in c.value for c in expander.caption)


def test_a_run_stored_before_the_record_shows_the_table_and_no_expander():
    at = AppTest.from_function(_page, args=([_old_event()],), default_timeout=30).run()
    assert not at.exception, at.exception
    assert not at.expander
    assert len(at.dataframe) == 1  # the instructions table: 3 instructions, then the dropped
    table = at.dataframe[0].value  # replies as the old store counted them
    assert list(table["origin"] != "dropped").count(True) == 3
    assert all(
        str(r).startswith("dropped before scoring")
        for r in table[table["origin"] == "dropped"]["result"]
    )
