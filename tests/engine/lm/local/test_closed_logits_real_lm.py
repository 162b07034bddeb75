"""On the embedded model: a closed reply on a prompt read before, with other prompts read in
between, is replayed from the logits kept for it, greedy or sampled, without a model pass."""

from __future__ import annotations

import pytest
from local_lm_helpers import REAL_LM, triage_requests

from engine.lm.local import load_local_model

pytestmark = REAL_LM


def _closed_requests() -> tuple[list[list[dict]], dict]:
    prompts, kwargs = triage_requests(4, slice(10, 16))
    assert kwargs["reply_closed"] is True
    return prompts, {**kwargs, "max_tokens": 16}


def test_a_closed_reply_read_again_is_replayed_with_the_same_choice_scores():
    model = load_local_model()
    prompts, request = _closed_requests()
    assert model._render(prompts[0]) is not None  # SmolLM2's chat format: the drafted path
    model.drafted.closed_logits.clear()
    greedy = {**request, "temperature": 0.0}
    first = [model.chat(messages, greedy) for messages in prompts]
    before = model.drafted.closed_logits.replayed
    again = [model.chat(messages, greedy) for messages in prompts]  # each displaced the last
    assert model.drafted.closed_logits.replayed - before == len(prompts)
    for a, b in zip(first, again):
        assert a["texts"] == b["texts"] and a["choice_scores"] == b["choice_scores"]

    sampled = {**request, "temperature": 1.0}
    first_draws = [model.chat(prompts[0], {**sampled, "seed": s}) for s in range(6)]
    # a draw that leaves the greedy reply's path needs a pass for its next step; once only
    assert model.drafted.closed_logits.replayed - before > len(prompts)
    before = model.drafted.closed_logits.replayed
    replayed = [model.chat(prompts[0], {**sampled, "seed": s}) for s in range(6)]
    assert model.drafted.closed_logits.replayed - before == 6
    assert [r["texts"] for r in replayed] == [d["texts"] for d in first_draws]
    model.drafted.closed_logits.clear()
    with model.lock:
        model.llama.reset()
    live = model.chat(prompts[0], {**sampled, "seed": 0})
    scores = live["choice_scores"][0]
    for line, values in replayed[0]["choice_scores"][0].items():
        assert values == pytest.approx(scores[line], abs=1e-3)
    labels = {f"[[ ## category ## ]]\n{c}" for c in ("billing", "shipping", "technical")}
    assert all(r["texts"][0].strip() in labels for r in replayed)
