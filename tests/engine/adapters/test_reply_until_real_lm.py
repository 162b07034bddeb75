"""The instruction reply rule on the embedded model: a proposer's reply stops once the kept
paragraph is complete, with the same instruction kept as the whole reply gives."""

import pytest
from local_lm_helpers import REAL_LM

from engine.core._reply_hints import until_rule as rule
from engine.lm import load_local_model
from engine.optimizers.proposing._cleaning import INSTRUCTION_RULE, clean_proposal

pytestmark = REAL_LM

PROMPTS = [
    "The current instruction of this step: Route the ticket.\n\nThe step routed 'My card was "
    "charged twice' to shipping; the answer was billing.\n\nWrite a better instruction for "
    "this step. Reply with the instruction only.",
    "Write a short instruction for a model that reads a movie review and says whether it is "
    "positive. Then explain why your instruction works.",
]


def _forget_prompts(model) -> None:
    model.generate(
        [{"role": "user", "content": "Hi"}],
        {"temperature": 0.0, "max_tokens": 1, "repeat_penalty": 1.0, "stop": []},
    )
    model.prefixes.clear()
    model.llama.reset()


@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_reply_stopped_by_the_rule_is_a_prefix_with_the_same_instruction(prompt):
    model = load_local_model()
    messages = [{"role": "user", "content": prompt}]
    request = {"temperature": 0.0, "max_tokens": 160, "repeat_penalty": 1.0, "stop": []}
    with model.lock:  # each prompt read from scratch: the same logits, so the same tokens
        _forget_prompts(model)
        whole = model.generate(messages, request)
        _forget_prompts(model)
        stopped = model.generate(messages, request, until=rule(INSTRUCTION_RULE))
    full_text, short_text = whole["texts"][0], stopped["texts"][0]
    assert full_text.startswith(short_text)
    assert clean_proposal(short_text) == clean_proposal(full_text)
    assert stopped["completion_tokens"] <= whole["completion_tokens"]
    if short_text != full_text:
        assert stopped["finish_reasons"] == ["stop"]
