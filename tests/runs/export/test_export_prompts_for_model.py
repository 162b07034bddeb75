"""The prompt export writes a program's prompt as its model is sent it: the chat format's
sections for the embedded model, the JSON prompt for a served model that is sent the reply's
schema (`ChatAdapter.replies_in_json`), each example's answer in that layout."""

from __future__ import annotations

import json
from typing import Literal

import engine as ts
from engine.runs.export._files import render_prompts


class Route(ts.Signature):
    """Route the ticket."""

    ticket: str = ts.InputField()
    category: Literal["billing", "shipping"] = ts.OutputField()


def program() -> ts.Predict:
    predictor = ts.Predict(Route)
    predictor.demos = [ts.Example(ticket="Charged twice.", category="billing")]
    return predictor


def test_a_served_model_sent_a_schema_gets_the_json_prompt() -> None:
    served = ts.LM("openai/smollm2-135m", api_base="http://127.0.0.1:9/v1", api_key="x")
    text = render_prompts(program(), {"ticket": "Where is it?"}, served)
    demo = text.split("--- assistant (demo 1) ---\n", 1)[1].split("\n", 1)[0]
    assert json.loads(demo) == {"category": "billing"}
    assert "[[ ##" not in text and text.rstrip().endswith("ticket: Where is it?")


def test_the_embedded_model_and_no_model_get_the_chat_format() -> None:
    for lm in (ts.LM("local/smollm2-135m"), None):
        text = render_prompts(program(), {"ticket": "Where is it?"}, lm)
        assert "--- assistant (demo 1) ---\n[[ ## category ## ]]\nbilling" in text
