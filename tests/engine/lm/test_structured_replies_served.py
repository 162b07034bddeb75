"""Structured replies against a real served model: llama-cpp-python's own server
(bench/core/llama_server.py) on 127.0.0.1, reached through litellm's `openai/` provider.

What the server takes (docs/design/structured-replies.md) is checked first, by hand through
litellm, so that a new llama-cpp-python that changes it shows here before it shows in a run;
then the engine finds the same on its own and keeps replies to the labels. Skipped, saying
what is missing, where llama-cpp-python's `server` extra is not installed (`make bench`)."""

from __future__ import annotations

import json
import logging
import math
from typing import Literal

import pytest
from review_data import DescribedReview as Review
from review_data import sample_reviews as reviews

import engine as ts
from bench.core.llama_server import LlamaServer, missing_packages
from engine.lm._litellm import get_litellm
from engine.lm._structured import forget_forms, known_form
from engine.optimizers import BootstrapFewShotWithRandomSearch, RunContext

pytestmark = [pytest.mark.real_lm, pytest.mark.slow]

MISSING = missing_packages()
LABELS = ["billing", "shipping", "technical"]
SCHEMA = {
    "type": "object",
    "properties": {"category": {"type": "string", "enum": LABELS}},
    "required": ["category"],
    "additionalProperties": False,
}
TICKETS = [
    "My package has not arrived and it's been two weeks.",
    "You charged me twice for the same order.",
    "The app crashes every time I open the settings page.",
    "Can I pay with a gift card and a credit card together?",
]


@pytest.fixture(scope="module")
def server():
    if MISSING:
        pytest.skip(f"llama.cpp's server cannot run here: missing {', '.join(MISSING)}")
    with LlamaServer(n_ctx=1024) as running:
        yield running


def ask(server: LlamaServer, **extra: object) -> object:
    """One request by hand through litellm (as the LM sends it, without the engine)."""
    return get_litellm().completion(
        model=server.model, api_base=server.api_base, api_key=server.api_key,
        messages=[{"role": "system", "content": "Route the ticket: billing, shipping or "
                   "technical."}, {"role": "user", "content": TICKETS[0]}],
        temperature=0.0, max_tokens=24, num_retries=0, max_retries=0, **extra,
    )  # fmt: skip


def test_the_server_refuses_json_schema_naming_the_types_it_takes(server: LlamaServer) -> None:
    form = {"type": "json_schema", "json_schema": {"name": "reply", "schema": SCHEMA}}
    with pytest.raises(Exception) as raised:
        ask(server, response_format=form)
    said = str(raised.value)  # a validation error on the field, answered with a 500
    assert "response_format" in said and "'text' or 'json_object'" in said
    assert server.running()


def test_the_server_keeps_a_json_object_reply_to_the_schemas_enum(server: LlamaServer) -> None:
    reply = ask(server, response_format={"type": "json_object", "schema": SCHEMA})
    assert json.loads(reply.choices[0].message.content)["category"] in LABELS


def test_the_server_returns_logprobs_with_top_logprobs(server: LlamaServer) -> None:
    reply = ask(server, logprobs=True, top_logprobs=3)
    content = reply.choices[0].logprobs["content"]
    assert content and all(len(token["top_logprobs"]) == 3 for token in content)
    assert all(token["logprob"] <= 0.0 for token in content)


class Route(ts.Signature):
    """Route the customer's support ticket to the team that handles it."""

    ticket: str = ts.InputField()
    category: Literal["billing", "shipping", "technical"] = ts.OutputField()


def test_the_engine_finds_the_form_itself_and_every_reply_is_a_label(server, caplog) -> None:
    forget_forms()
    lm = ts.LM(server.model, api_base=server.api_base, api_key=server.api_key, cache=False,
               temperature=0.0, max_tokens=48)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="engine.lm._structured"):
        with ts.context(lm=lm):
            answers = [ts.Predict(Route)(ticket=t).category for t in TICKETS]
    assert set(answers) <= set(LABELS)  # kept to the labels by the server's grammar
    assert known_form(server.model, server.api_base) == "json_object"
    assert lm.ledger.records[0].retried == {"bad_request": 1}  # the refused json_schema
    assert all(not r.retried and r.error is None for r in lm.ledger.records[1:])
    assert len(lm.ledger.records) == len(TICKETS)  # no parse fallback calls
    [refusal] = [r.getMessage() for r in caplog.records]
    assert "json_schema" in refusal and "trying json_object" in refusal
    assert server.api_key not in refusal
    sent = [entry["outputs"][0] for entry in lm.history]
    assert all(text.lstrip().startswith("{") for text in sent)  # JSON objects, not sections
    forget_forms()


def right(example, prediction, trace=None) -> bool:
    return example.positive == prediction.positive


def test_offsets_fitted_on_the_servers_logprobs_fix_held_out_reviews(server) -> None:
    """The server's log-probabilities at the answer become the choice scores the embedded model
    reports; SmolLM2 served answers `true` to every review zero-shot, and offsets fitted on 10
    reviews re-pick held-out ones (no `reply_bias` reaches a server: the answer is re-picked
    from the same scores)."""
    data = reviews()
    train, val, test = data[:4], data[:10], data[24:36]
    lm = ts.LM(server.model, api_base=server.api_base, api_key=server.api_key,
               temperature=0.0, max_tokens=48)  # fmt: skip
    assert lm.supports_logprobs
    optimizer = BootstrapFewShotWithRandomSearch(
        right, max_bootstrapped_demos=0, max_labeled_demos=0, num_candidate_programs=0
    )  # the zero-shot student is the only candidate: what is left to gain is calibration
    with ts.context(lm=lm):
        compiled = optimizer.compile(
            ts.Predict(Review), trainset=train, valset=val, run=RunContext()
        )
        assert compiled.predictors()[0].choice_offsets, compiled.result.events[-3:]
        student = ts.Predict(Review)
        raw = [student(review=e.review) for e in test]
        calibrated = sum(right(e, compiled(review=e.review)) for e in test)
    assert lm.history[0]["kwargs"]["score_choices"] == {"[[ ## positive ## ]]": ["false", "true"]}
    scored = [p.choice_scores["positive"] for p in raw if p.choice_scores]
    assert len(scored) >= len(test) // 2
    assert all(math.isclose(sum(math.exp(s) for s in x.values()), 1.0) for x in scored)
    assert calibrated > sum(right(e, p) for e, p in zip(test, raw, strict=True))
