"""Open values on the embedded model stop at a malformed header line or where a line repeats,
and the kept text is the whole reply cut there: nothing the model wrote before is changed."""

import csv
from pathlib import Path

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.chat import MALFORMED_HEADER, ChatAdapter
from engine.adapters.replies.reply_loops import before_loop
from engine.core._reply_hints import REPLY_TEXT, REPLY_UNTIL
from engine.lm import load_local_model

pytestmark = REAL_LM
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


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
    # the placeholder lever off for both: most of the zero-shot "[#" lines it prevents are what
    # these levers are checked on (lm/local/test_placeholder_echo_real_lm.py checks that one)
    del lever[REPLY_TEXT]
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


def test_rag_answers_written_from_their_header_stop_at_a_repeated_line():
    """The sample RAG project, zero-shot: SmolLM2 wrote "The answer is:" eight times as the answer
    (continued from its header after the reasoning), and on the power-button question its
    reasoning ended on an unfinished repeat, which once left the reply without an answer."""
    from engine.adapters.replies.reply_loops import repeated_line_start
    from engine.runs.pipeline._models import build_lm
    from engine.runs.pipeline._program import build_program
    from engine.runs.spec._spec import load_spec

    spec = load_spec(SAMPLES / "tidewell_rag.yaml")
    program, lm = build_program(spec), build_lm(spec.models.task, cache=False)
    questions = [
        "What time is the Saturday tea-tasting?",
        "How much does a replacement Heron lid cost?",
        "How many seconds must you hold the Cormorant power button to reset it?",
    ]
    with dspy.context(lm=lm):
        for question in questions:
            prediction = program(question=question)  # parses: the answer is there
            for value in (prediction.reasoning, prediction.answer):
                assert value.strip() and repeated_line_start(value + "\n") is None, value
    assert sum(h["usage"]["completion_tokens"] for h in lm.history) < 3 * 64
