"""Reply sections: a reply that ends before a later output's header gets it written in."""

from __future__ import annotations

from typing import Any

from engine.core._reply_hints import Section, read_sections
from engine.lm.local._sections import complete_sections, next_missing

ANSWER = Section("[[ ## answer ## ]]\n", ("yes", "no"), 16)
NOTE = Section("[[ ## note ## ]]\n", (), 48)


class FakeGenerate:
    """Answers each continuation with its first draft's value, or `open_text`; records calls."""

    def __init__(self, open_text: str = "because\n") -> None:
        self.calls: list[dict[str, Any]] = []
        self.open_text = open_text

    def __call__(self, messages: Any, request: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self.calls.append({"request": request, **kw})
        text = kw["drafts"][0] if kw["closed"] else kw["start"] + self.open_text
        return {"texts": [text], "finish_reasons": ["stop"], "prompt_tokens": 99,
                "completion_tokens": 2}  # fmt: skip


def _result(text: str) -> dict[str, Any]:
    return {"texts": [text], "finish_reasons": ["length"], "prompt_tokens": 90,
            "completion_tokens": 64}  # fmt: skip


def test_a_reply_cut_in_its_reasoning_is_continued_from_the_missing_header_closed():
    generate = FakeGenerate()
    cut = "[[ ## reasoning ## ]]\nThe answer is: The answer is: The ans"
    out = complete_sections(generate, [], {"stop": ["[[ ## completed"]}, _result(cut), [ANSWER], 0)
    assert out["texts"] == [f"{cut}\n\n[[ ## answer ## ]]\nyes\n"]
    assert out["completion_tokens"] == 66 and out["prompt_tokens"] == 90
    (call,) = generate.calls
    assert call["closed"] and call["request"]["max_tokens"] == 16  # the section's own budget
    assert call["drafts"] == [f"{cut}\n\n[[ ## answer ## ]]\n{v}\n" for v in ("yes", "no")]
    assert call["request"]["stop"] == ["[[ ## completed", "\n"]


def test_a_complete_reply_is_left_alone_and_a_half_written_header_is_dropped():
    generate = FakeGenerate()
    whole = "[[ ## reasoning ## ]]\nok\n\n[[ ## answer ## ]]\nno"
    out = complete_sections(generate, [], {"stop": []}, _result(whole), [ANSWER], 0)
    assert out["texts"] == [whole] and not generate.calls
    half = "[[ ## reasoning ## ]]\nok\n\n[[ ## ans"
    out = complete_sections(generate, [], {"stop": []}, _result(half), [ANSWER], 0)
    assert out["texts"] == ["[[ ## reasoning ## ]]\nok\n\n[[ ## answer ## ]]\nyes\n"]


def test_sections_are_written_in_order_after_the_last_header_present():
    generate = FakeGenerate()
    text = "[[ ## reasoning ## ]]\nhm"
    out = complete_sections(generate, [], {"stop": []}, _result(text), [ANSWER, NOTE], 0)
    assert out["texts"] == [f"{text}\n\n[[ ## answer ## ]]\nyes\n\n[[ ## note ## ]]\nbecause\n"]
    assert [c["closed"] for c in generate.calls] == [True, False]
    assert next_missing("[[ ## note ## ]]\nx", [ANSWER, NOTE]) is None  # a later one is there
    assert read_sections([ANSWER.to_param(), NOTE.to_param()]) == [ANSWER, NOTE]


def test_a_continued_open_section_stops_and_is_kept_by_the_calls_reply_rule():
    from engine.adapters.replies.reply_loops import before_loop, looping

    generate = FakeGenerate(open_text="The answer is:\n\nThe answer is:\n\nThe answer is:\n")
    text = "[[ ## reasoning ## ]]\nThe answer is:"  # the same line in an earlier field: no loop
    out = complete_sections(generate, [], {"stop": []}, _result(text), [NOTE], 0,
                            until=looping, keep=before_loop)  # fmt: skip
    assert generate.calls[0]["until"] is looping
    assert out["texts"] == [f"{text}\n\n[[ ## note ## ]]\nThe answer is:\n"]


def test_a_reply_that_ends_on_a_repeat_is_kept_without_it_before_the_next_header():
    """SmolLM2 on a RAG question: its reasoning ends in "The answer is 8." written a second time,
    unfinished when the reply stopped; the continuation starts after the first one."""
    from engine.adapters.replies.reply_loops import before_loop, looping

    generate = FakeGenerate(open_text="8 seconds\n")
    text = "[[ ## reasoning ## ]]\nThe answer is 8.\n\nThe answer is 8."
    out = complete_sections(generate, [], {"stop": []}, _result(text), [NOTE], 0,
                            until=looping, keep=before_loop)  # fmt: skip
    kept = "[[ ## reasoning ## ]]\nThe answer is 8.\n"
    assert out["texts"] == [f"{kept}\n[[ ## note ## ]]\n8 seconds\n"]


def test_an_open_section_gets_the_room_the_call_has_left_a_closed_one_its_own_budget():
    generate = FakeGenerate()
    text = "[[ ## reasoning ## ]]\nhm"  # stopped where it opened a header, 20 tokens in
    stopped = {**_result(text), "finish_reasons": ["stop"], "completion_counts": [20]}
    request = {"stop": [], "max_tokens": 256}
    out = complete_sections(generate, [], request, stopped, [ANSWER, NOTE], 0)
    assert [c["request"]["max_tokens"] for c in generate.calls] == [16, 256 - 20 - 2]
    assert out["completion_counts"] == [20 + 2 + 2]
    generate = FakeGenerate()
    ran_out = {**_result(text), "completion_counts": [256]}  # the reasoning took it all
    complete_sections(generate, [], request, ran_out, [NOTE], 0)
    assert generate.calls[0]["request"]["max_tokens"] == 48  # the section's own budget
