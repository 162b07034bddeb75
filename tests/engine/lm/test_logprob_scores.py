"""Choice scores read from a provider's log-probabilities (`engine.lm._logprob_scores`), and a
served model's answer re-picked with calibration's offsets (`shifted_pick`). The token lists
are shaped as llama-cpp-python 0.3.36's server returned them for a JSON reply (its
alternatives come before the schema's grammar, so text off the list competes); the real
server is in test_logprob_scores_served.py."""

from __future__ import annotations

import math
from typing import Literal

import engine as ts
from engine.adapters.replies.choice_offsets import shifted_pick
from engine.lm._logprob_scores import scores_from_logprobs

LINE = "[[ ## sentiment ## ]]"
VALUES = ["positive", "negative", "neutral"]


def choice(*tokens: tuple[str, list[tuple[str, float]]]) -> dict:
    """A response choice as litellm gives it: logprobs.content with top_logprobs."""
    content = [{"token": token, "logprob": (alts[0][1] if alts else 0.0),
                "top_logprobs": [{"token": t, "logprob": lp} for t, lp in alts]}
               for token, alts in tokens]  # fmt: skip
    return {"logprobs": {"content": content}}


def json_reply(at_value: list[tuple[str, float]], value: str = "positive") -> dict:
    return choice(('{"', []), ("sentiment", []), ('":', []), (' "', []), (value, at_value),
                  ('"}', []))  # fmt: skip


def test_a_json_reply_scores_each_value_among_the_alternatives_and_ignores_text_off_the_list():
    alternatives = [("w", -2.34), ("positive", -3.28), ("neg", -4.0), ("", -3.36)]
    alternatives.append(("neutral", -5.0))
    scores = scores_from_logprobs(json_reply(alternatives), {LINE: VALUES})[LINE]
    assert set(scores) == set(VALUES)  # "neg" begins one value only: negative
    assert math.isclose(sum(math.exp(s) for s in scores.values()), 1.0)
    assert max(scores, key=scores.get) == "positive"
    assert math.isclose(scores["positive"] - scores["neutral"], -3.28 + 5.0)


def test_a_text_format_reply_is_read_after_its_header_line():
    at_value = [("neg", -0.5), ("pos", -1.5), ("The", -0.1)]
    reply = choice(("[[ ## sentiment ## ]]", []), ("\n", []), ("neg", at_value), ("ative", []))
    scores = scores_from_logprobs(reply, {LINE: VALUES})[LINE]
    assert set(scores) == {"negative", "positive"}
    assert scores["negative"] > scores["positive"]


def test_a_token_holding_the_quote_and_the_value_is_matched_after_the_quote():
    at_value = [(' "pos', -0.2), (' "neu', -1.0), (" ", -0.1)]
    reply = choice(('{"sentiment":', []), (' "pos', at_value), ('itive"}', []))
    assert set(scores_from_logprobs(reply, {LINE: VALUES})[LINE]) == {"positive", "neutral"}


def test_alternatives_that_open_with_a_space_count_for_the_value_they_begin():
    """SmolLM2 behind llama.cpp's server, a bool output in a JSON reply: the schema's grammar
    writes the space after the colon as a token of its own, and at the value the model's own
    alternatives still hold that space (' True', ' False'; recorded 2026-11-29)."""
    at_value = [("1", -0.78), (" True", -1.07), ("0", -3.28), (" False", -4.41)]
    reply = choice(("{", []), (' "', []), ("positive", []), ('":', []), (" ", []),
                   ("true", at_value), (" }", []))  # fmt: skip
    line = "[[ ## positive ## ]]"
    scores = scores_from_logprobs(reply, {line: ["false", "true"]})[line]
    assert math.isclose(scores["true"] - scores["false"], -1.07 + 4.41)


def test_no_scores_with_one_value_among_the_alternatives_an_ambiguous_token_or_no_logprobs():
    one = json_reply([("positive", -0.1), ("The", -2.0)])
    assert scores_from_logprobs(one, {LINE: VALUES}) == {}
    shared = {LINE: ["card_arrival", "card_linking", "refund"]}
    ambiguous = json_reply([("card", -0.1), ("ref", -2.0)], value="card")  # begins two values
    assert scores_from_logprobs(ambiguous, shared) == {}
    assert scores_from_logprobs({"logprobs": None}, {LINE: VALUES}) == {}
    assert scores_from_logprobs(json_reply([("negative", -1.0)]), {"not a header": VALUES}) == {}


class Review(ts.Signature):
    """Classify the review."""

    review: str = ts.InputField()
    sentiment: Literal["positive", "negative", "neutral"] = ts.OutputField()


def test_offsets_re_pick_a_scored_answer_and_leave_others_alone():
    scores = {"sentiment": {"positive": -0.2, "negative": -1.9, "neutral": -3.0}}
    outputs = {"sentiment": "positive"}
    assert shifted_pick(Review, outputs, scores, {"sentiment": {"positive": 2.0}}) == {
        "sentiment": "negative"
    }
    assert shifted_pick(Review, outputs, scores, {"sentiment": {"positive": 1.0}}) == outputs
    assert shifted_pick(Review, outputs, {}, {"sentiment": {"positive": 9.0}}) == outputs
