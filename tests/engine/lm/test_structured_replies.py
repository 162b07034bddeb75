"""Structured replies on a served model (`engine.lm._structured`, the chat adapter's
`structured_kwargs`): the schema goes in the form the endpoint takes, found out on the first
call; a refused form falls back to the next, down to today's text format; replies are parsed
leniently. The servers here are scripted from what llama-cpp-python 0.3.36's server answered
(docs/design/structured-replies.md); the real server is in test_structured_replies_served.py."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Literal

import pytest

import engine as ts
from engine.adapters.chat import ChatAdapter
from engine.core import AdapterParseError
from engine.lm import get_litellm
from engine.lm._structured import forget_forms, known_form
from engine.lm.scripted import ScriptedLM

litellm = get_litellm()  # offline settings first: a bare import fetches its price table

# llama-cpp-python 0.3.36's server, asked for {"type": "json_schema", ...}: its validation error,
# answered with a 500, as litellm raised it (recorded by hand, docs/design/structured-replies.md)
REFUSED_JSON_SCHEMA = (
    "litellm.InternalServerError: InternalServerError: OpenAIException - 1 validation error:\n"
    "  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input "
    "should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' "
    "or 'json_object'\"}}\n"
)
KEY = "sk-test-0123456789abcdefghijklmnopqrstuv"  # a key the LM is given: the log masks it


class Ticket(ts.Signature):
    """Route the ticket."""

    ticket: str = ts.InputField()
    category: Literal["billing", "shipping", "technical"] = ts.OutputField()


def refusal(text: str = REFUSED_JSON_SCHEMA + f" (key {KEY})") -> Exception:
    return litellm.InternalServerError(text, model="served", llm_provider="openai")


class Served(ts.LM):
    """A served model behind litellm, scripted: it refuses the response_format types in
    `refuses`, answers `reply` (or, with no response_format, the chat format)."""

    def __init__(self, name: str, refuses: tuple[str, ...] = (), reply: str = "", **kw: Any):
        super().__init__(f"openai/{name}", api_base="http://127.0.0.1:9/v1", api_key=KEY,
                         cache=False, num_retries=0, **kw)  # fmt: skip
        self.refuses, self.reply = refuses, reply
        self.sent: list[dict[str, Any] | None] = []
        self.lock = threading.Lock()

    @property
    def supports_response_schema(self) -> bool:
        return True

    def _complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        form = params.get("response_format")
        with self.lock:
            self.sent.append(form)
        if form is not None and form["type"] in self.refuses:
            raise refusal()
        text = self.reply if form is not None else "[[ ## category ## ]]\nshipping"
        return [text], {"prompt_tokens": 10, "completion_tokens": 5, "cost": None}

    def types_sent(self) -> list[str]:
        return [form["type"] if form else "text" for form in self.sent]


@pytest.fixture(autouse=True)
def fresh_forms():
    forget_forms()
    yield
    forget_forms()


def ask(lm: ts.LM) -> dict[str, Any]:
    return ChatAdapter()(lm, {}, Ticket, [], {"ticket": "Where is my parcel?"})[0]


def test_a_served_model_is_asked_for_the_schema_of_the_outputs() -> None:
    lm = Served("takes-all", reply='{"category": "shipping"}')
    assert ask(lm) == {"category": "shipping"}
    assert lm.types_sent() == ["json_schema"]
    schema = lm.sent[0]["json_schema"]["schema"]
    assert schema["properties"]["category"]["enum"] == ["billing", "shipping", "technical"]
    assert known_form(lm.model, lm.api_base) == "json_schema"


def test_a_refused_json_schema_is_sent_again_as_json_object_and_remembered(caplog) -> None:
    lm = Served("llama-cpp-python", refuses=("json_schema",), reply='{"category": "billing"}')
    with caplog.at_level(logging.WARNING, logger="engine.lm._structured"):
        assert ask(lm) == {"category": "billing"}
        assert ask(lm) == {"category": "billing"}
    assert lm.types_sent() == ["json_schema", "json_object", "json_object"]
    assert lm.sent[1]["schema"] == lm.sent[0]["json_schema"]["schema"]  # the same schema
    assert len(lm.history) == 2 and all(r.error is None for r in lm.ledger.records)
    assert lm.ledger.records[0].retried == {"bad_request": 1}  # the refused request is counted
    refusals = [r.getMessage() for r in caplog.records]
    assert len(refusals) == 1  # logged once, with the provider's words and the key masked
    assert "json_schema" in refusals[0] and "'text' or 'json_object'" in refusals[0]
    assert KEY not in refusals[0] and "[redacted]" in refusals[0]


def test_a_server_that_refuses_both_forms_gets_todays_text_format(caplog) -> None:
    lm = Served("plain", refuses=("json_schema", "json_object"))
    with caplog.at_level(logging.WARNING, logger="engine.lm._structured"):
        assert ask(lm) == {"category": "shipping"}  # parsed from the chat format
        assert ask(lm) == {"category": "shipping"}
    assert lm.types_sent() == ["json_schema", "json_object", "text", "text"]
    assert known_form(lm.model, lm.api_base) == "text"
    assert "replies go in the text format" in caplog.records[-1].getMessage()


def test_an_answer_outside_the_enum_is_an_off_list_reply_without_a_fallback_call() -> None:
    lm = Served("lets-it-through", reply='{"category": "refunds"}')
    with pytest.raises(AdapterParseError) as raised:
        ask(lm)
    assert raised.value.absent == []  # the field was there, its value off the list
    assert raised.value.missing == ["category"]
    assert len(lm.sent) == 1  # no JSON fallback call: asking again repeats the pick


def test_a_structured_reply_with_several_outputs_and_json_types_is_read() -> None:
    lm = Served("several", reply='{"category": "technical", "urgent": true, "hours": 3}')
    sig = Ticket.append("urgent", ts.OutputField(), bool).append("hours", ts.OutputField(), int)
    got = ChatAdapter()(lm, {}, sig, [], {"ticket": "The app crashes."})[0]
    assert got == {"category": "technical", "urgent": True, "hours": 3}
    assert lm.sent[0]["json_schema"]["schema"]["required"] == ["category", "urgent", "hours"]


def test_a_plain_bad_request_is_a_refusal_too() -> None:
    class Strict(Served):
        def _complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
            if params.get("response_format"):
                self.sent.append(params["response_format"])
                raise litellm.BadRequestError("unknown parameter", model="x", llm_provider="openai")
            return super()._complete(messages, params)

    lm = Strict("strict")
    assert ask(lm) == {"category": "shipping"}
    assert lm.types_sent() == ["json_schema", "json_object", "text"]


def test_an_error_that_is_not_a_refusal_is_not_answered_with_another_form() -> None:
    class Down(Served):
        def _complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
            self.sent.append(params.get("response_format"))
            raise litellm.InternalServerError("boom", model="down", llm_provider="openai")

    lm = Down("down")
    with pytest.raises(ts.LMError):
        ask(lm)
    assert lm.types_sent() == ["json_schema"]
    assert known_form(lm.model, lm.api_base) is None  # nothing learnt from a failed call


def test_parallel_first_calls_find_the_form_once() -> None:
    lm = Served("busy", refuses=("json_schema",), reply='{"category": "billing"}')
    threads = [threading.Thread(target=ask, args=(lm,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lm.types_sent().count("json_schema") == 1
    assert lm.types_sent().count("json_object") == 6


def test_litellms_table_decides_for_a_model_it_knows() -> None:
    known_without = Served("gpt-3.5-turbo", reply="unused")
    known_without.model = "gpt-3.5-turbo"  # in litellm's table, without response schemas
    assert ask(known_without) == {"category": "shipping"}
    assert known_without.types_sent() == ["text"]  # no probe: the table said no
    known_with = Served("gpt-4o-mini", reply='{"category": "billing"}')
    assert ask(known_with) == {"category": "billing"}
    assert known_with.types_sent() == ["json_schema"]


def test_the_embedded_model_and_scripted_lms_get_no_schema() -> None:
    adapter = ChatAdapter()
    local = adapter.decoding_kwargs(ts.LM("local/smollm2-135m"), Ticket)
    assert "response_format" not in local and local["reply_closed"] is True
    assert ts.LM("local/smollm2-135m").supports_response_schema is False
    scripted = ScriptedLM(answers=["[[ ## category ## ]]\nbilling"])
    assert scripted.supports_response_schema is False
    assert adapter.decoding_kwargs(scripted, Ticket) == {}
    assert ts.LM("openai/anything", api_base="http://127.0.0.1:9/v1").supports_response_schema


def test_a_callers_own_response_format_wins_and_is_sent_as_given() -> None:
    lm = Served("own", reply='{"category": "billing"}')
    own = {"type": "json_object"}
    ChatAdapter()(lm, {"response_format": own}, Ticket, [], {"ticket": "x"})
    assert lm.sent == [own]


def test_the_schema_is_part_of_the_request_the_history_keeps() -> None:
    lm = Served("history", refuses=("json_schema",), reply='{"category": "billing"}')
    ask(lm)
    kept = lm.history[-1]["kwargs"]["response_format"]
    assert kept["type"] == "json_schema"  # what the adapter asked; the wire form is the LM's
    assert json.dumps(kept)  # plain data


def test_what_is_known_of_an_endpoint_before_its_first_call() -> None:
    from engine.lm import schema_form

    assert schema_form("local/smollm2-135m") == "hints"
    assert schema_form("openai/gpt-4o-mini") == "json_schema"  # litellm's table
    assert schema_form("openai/smollm2-135m", "http://127.0.0.1:9/v1") is None  # a call tells
