"""Open values on the embedded model stop at a malformed header line or where a line repeats,
and the kept text is the whole reply cut there: nothing the model wrote before is changed."""

import csv
from pathlib import Path

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.chat import MALFORMED_HEADER, ChatAdapter
from engine.adapters.reply_loops import before_loop
from engine.lm import load_local_model
from engine.lm.reply_until import PARAM as REPLY_UNTIL

pytestmark = REAL_LM
SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


class Verdict(dspy.Signature):
    """Quote the sentence of a product review that states the reviewer's verdict."""

    review: str = dspy.InputField()
    verdict: str = dspy.OutputField(
        desc="the sentence of the review that gives its overall verdict"
    )


def _reviews(limit: int) -> list[str]:
    with (SAMPLES / "reviews.csv").open(newline="") as handle:
        return [row["review"] for row in csv.DictReader(handle)][:limit]


def _forget_prompts(model) -> None:
    """Each prompt read from scratch: the same logits, so the same tokens."""
    if model.prefixes:
        model.prefixes.clear()
    model.llama.reset()


def _expected(whole: str) -> str:
    """The whole reply cut where the lever stops it."""
    cut = whole.find(MALFORMED_HEADER)
    return before_loop(whole if cut == -1 else whole[:cut])


def test_open_replies_stop_at_malformed_headers_and_loops_and_keep_the_text_before():
    model = load_local_model()
    adapter = ChatAdapter()
    lever = adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), Verdict)
    assert lever[REPLY_UNTIL] and MALFORMED_HEADER in lever["stop"]
    plain = {**lever, "stop": [s for s in lever["stop"] if s != MALFORMED_HEADER]}
    del plain[REPLY_UNTIL]
    base = {"temperature": 0.0, "max_tokens": 64}
    saved, stopped_early = 0, 0
    for review in _reviews(8):
        messages = adapter.format(Verdict, [], {"review": review})
        _forget_prompts(model)
        whole = model.chat(messages, {**base, **plain})
        _forget_prompts(model)
        short = model.chat(messages, {**base, **lever})
        assert short["texts"][0] == _expected(whole["texts"][0])
        saved += whole["completion_tokens"] - short["completion_tokens"]
        stopped_early += short["texts"][0] != whole["texts"][0]
    assert stopped_early >= 2  # zero-shot SmolLM2 loops or writes "[#" lines on these reviews
    assert saved > 0
