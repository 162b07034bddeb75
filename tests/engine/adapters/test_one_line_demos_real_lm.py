"""An open value that every demo writes on one line ends on the embedded model at the first
blank line after a paragraph that holds a value: the kept value is what the rule keeps of the
whole reply (`engine.adapters.replies.one_line_values`)."""

import csv
import re
from pathlib import Path

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.adapters.replies.one_line_values import RULE, keep
from engine.adapters.replies.reply_loops import RULE as LOOPS
from engine.lm import load_local_model

pytestmark = REAL_LM
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


class Verdict(dspy.Signature):
    """Quote the sentence of a product review that states the reviewer's verdict."""

    review: str = dspy.InputField()
    verdict: str = dspy.OutputField()


def _rows(limit: int) -> list[dict[str, str]]:
    with (SAMPLES / "reviews.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    return [
        {"review": r["review"], "verdict": re.split(r"(?<=[.!?])\s+", r["review"])[0]} for r in rows
    ]


def _forget_prompts(model) -> None:
    if model.prefixes:
        model.prefixes.clear()
    model.llama.reset()


def test_values_stop_at_the_blank_line_the_demos_never_write():
    rows = _rows(8)  # each of the 4 test rows saves tokens (3 each, measured on 10 rows)
    demos = [dspy.Example(**row) for row in rows[:4]]
    adapter, model = ChatAdapter(), load_local_model()
    lever = adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), Verdict, demos)
    assert lever["reply_until"] == RULE
    plain = {**lever, "reply_until": LOOPS}
    saved = 0
    for row in rows[4:]:
        messages = adapter.format(Verdict, demos, {"review": row["review"]})
        _forget_prompts(model)
        whole = model.chat(messages, {**plain, "temperature": 0.0, "max_tokens": 64})
        _forget_prompts(model)
        short = model.chat(messages, {**lever, "temperature": 0.0, "max_tokens": 64})
        value = adapter.parse(Verdict, keep(whole["texts"][0]))["verdict"]
        assert adapter.parse(Verdict, short["texts"][0])["verdict"] == value
        saved += whole["completion_tokens"] - short["completion_tokens"]
    assert saved > 0
