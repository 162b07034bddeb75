"""Reply drafts on the embedded model: fewer model passes, the same replies, bookkeeping kept."""

from __future__ import annotations

import pytest
from local_lm_helpers import REAL_LM, Triage, ticket_rows, triage_requests

import engine as dspy
from engine.adapters import ChatAdapter
from engine.lm import LM
from engine.lm.local import load_local_model
from engine.lm.local._chat import ChatPrompt, text_tokens
from engine.lm.local._drafted import DraftedGreedy, DraftedReply

pytestmark = REAL_LM


def _requests() -> tuple[list[list[dict]], dict]:
    return triage_requests(6, slice(6, 18))


def test_drafted_replies_match_plain_greedy_in_fewer_passes():
    model = load_local_model()
    prompts, kwargs = _requests()
    base = {"temperature": 0.0, "max_tokens": 32, "stop": kwargs["stop"]}
    plain = [model.chat(m, base)["texts"][0] for m in prompts]

    drafted, passes, written = [], 0, 0
    for messages in prompts:
        chat = model._render(messages)
        assert chat is not None, "SmolLM2's GGUF chat template is the one reproduced"
        reply = model.drafted.complete(
            chat, max_tokens=32, stop=kwargs["stop"], drafts=kwargs["reply_drafts"]
        )
        drafted.append(reply.text)
        passes += reply.passes
        written += reply.completion_tokens
        assert reply.finish_reason == "stop" and reply.prompt_tokens > 100
    assert all(text.startswith("[[ ## category ## ]]\n") for text in drafted)
    # Batched and one-token evaluation round differently, so a near-tie may flip; most agree.
    same = sum(a == b for a, b in zip(plain, drafted))
    assert same >= len(prompts) * 0.75, list(zip(plain, drafted))
    assert passes < written / 2, (passes, written)


def test_drafted_calls_keep_the_kv_cache_bookkeeping_for_plain_calls():
    model = load_local_model()
    prompts, kwargs = _requests()
    base = {"temperature": 0.0, "max_tokens": 32, "stop": kwargs["stop"]}
    model.chat(prompts[0], {**base, "reply_drafts": kwargs["reply_drafts"]})
    after_drafted = model.chat(prompts[1], base)["texts"][0]
    with model.lock:
        model.llama.reset()  # cold: nothing cached
    cold = model.chat(prompts[1], base)["texts"][0]
    assert after_drafted == cold


def test_drafted_path_honours_max_tokens_and_the_context_window():
    model = load_local_model()
    prompts, kwargs = _requests()
    short = model.chat(
        prompts[0],
        {"temperature": 0.0, "max_tokens": 3, "reply_drafts": kwargs["reply_drafts"]},
    )
    assert short["finish_reasons"] == ["length"] and short["completion_tokens"] == 3
    huge = [{"role": "user", "content": "word " * 5000}]
    with pytest.raises(ValueError, match="context window"):
        model.chat(huge, {"temperature": 0.0, "reply_drafts": ["x"]})


def test_sampling_ignores_drafts_and_the_lm_sends_them_through_litellm():
    lm = LM("local/smollm2-135m", temperature=0.0, max_tokens=24, cache=False)
    dspy.configure(lm=lm)
    rows = ticket_rows()
    demos = [dspy.Example(ticket=r["ticket"], category=r["category"]) for r in rows[:6]]
    predict = dspy.Predict(Triage)
    predict.demos = demos
    prediction = predict(ticket=rows[7]["ticket"])
    assert prediction.category in ("billing", "shipping", "technical")
    assert "reply_drafts" in lm.history[-1]["kwargs"]
    sampled = lm(messages=[{"role": "user", "content": "Hi"}], temperature=0.8, reply_drafts=["x"])
    assert len(sampled) == 1


def test_reply_start_is_read_as_the_start_of_every_reply():
    model = load_local_model()
    prompts, kwargs = _requests()
    start = kwargs["reply_start"]
    assert start == "[[ ## category ## ]]\n"
    greedy = {"temperature": 0.0, "max_tokens": 16, "stop": kwargs["stop"], "reply_start": start}
    drafted = model.chat(prompts[0], {**greedy, "reply_drafts": kwargs["reply_drafts"]})
    undrafted = model.chat(prompts[0], greedy)
    sampled = model.chat(prompts[0], {**greedy, "temperature": 0.9, "n": 2})
    for reply in (drafted, undrafted, sampled):
        assert all(text.startswith(start) and len(text) > len(start) for text in reply["texts"])
    assert drafted["texts"] == undrafted["texts"]  # the start is the prompt's, drafts or not
    assert len(sampled["texts"]) == 2


QUESTIONS = [
    "What color is grass?",
    "Which animal barks?",
    "What do bees make?",
    "What is the capital of France?",
    "How many legs does a spider have?",
    "What is frozen water called?",
    "Which planet do we live on?",
    "What falls from clouds?",
]


def test_the_chat_adapters_reply_start_keeps_free_text_replies_in_format():
    """Without the start, SmolLM2 often answers in prose (12/24 such replies parsed)."""
    dspy.configure(lm=LM("local/smollm2-135m", max_tokens=96, cache=False))
    qa = dspy.ChainOfThought("question -> answer")
    qa.predict.demos = [
        dspy.Example(question="What color is the sky?", reasoning="It looks blue.", answer="blue")
    ]
    parsed = 0
    for question in QUESTIONS:
        try:
            parsed += bool(qa(question=question).answer.strip())
        except dspy.AdapterParseError:
            pass
    assert parsed >= len(QUESTIONS) - 1, parsed


def test_closed_replies_are_always_one_of_the_choices():
    """Zero-shot SmolLM2 copies the template's `{category}` placeholder when left open."""
    model = load_local_model()
    adapter = ChatAdapter()
    kwargs = adapter.decoding_kwargs(LM("local/smollm2-135m"), Triage)
    assert kwargs["reply_closed"] is True
    request = {"temperature": 0.0, "max_tokens": 16, **kwargs}
    rows = ticket_rows()[:8]
    open_replies, closed_replies = [], []
    for row in rows:
        messages = adapter.format(Triage, [], {"ticket": row["ticket"]})
        closed_replies.append(model.chat(messages, request)["texts"][0])
        open_replies.append(model.chat(messages, {**request, "reply_closed": False})["texts"][0])
    allowed = set(kwargs["reply_drafts"])
    assert all(text in allowed for text in closed_replies), closed_replies
    assert not all(text in allowed for text in open_replies), open_replies


def test_a_decided_closed_value_ends_the_reply_without_another_pass(monkeypatch):
    """Once one label is left, its last tokens are the reply's whatever the model says: the
    reply is the same, in one model pass (the prompt and the choice) instead of two."""
    model = load_local_model()
    adapter = ChatAdapter()
    kwargs = adapter.decoding_kwargs(LM("local/smollm2-135m"), Triage)
    start = kwargs["reply_start"]
    drafts = [draft[len(start) :] for draft in kwargs["reply_drafts"]]

    def replies() -> list[DraftedReply]:
        drafted = DraftedGreedy(model.llama)  # its own replay cache: every prompt is read
        out = []
        for row in ticket_rows()[:8]:
            chat = model._render(adapter.format(Triage, [], {"ticket": row["ticket"]}))
            chat = ChatPrompt(chat.tokens + text_tokens(model.llama, start), chat.stops)
            with model.lock:
                out.append(drafted.complete(chat, max_tokens=16, stop=kwargs["stop"],
                                            drafts=drafts, closed=True, start=start))  # fmt: skip
        return out

    settled = replies()
    monkeypatch.setattr(DraftedGreedy, "_settled", lambda self, *args: None)
    checked = replies()
    assert [r.text for r in settled] == [r.text for r in checked]
    assert all(r.text in drafts and r.finish_reason == "stop" for r in settled)
    assert [r.passes for r in settled] == [1] * 8, [r.passes for r in settled]
    assert all(r.passes == 2 for r in checked), [r.passes for r in checked]
