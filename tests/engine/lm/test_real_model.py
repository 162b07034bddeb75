"""The engine core on the real embedded model (SmolLM2-135M via llama-cpp-python).

Bounded: a few dozen short calls each. Outputs of a 135M model are checked as ranges and as
"better than zero-shot", never as exact strings (a different CPU build may change answers).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Literal

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.evaluate.metrics import ExactMatch
from engine.lm import UsageLedger
from tests.conftest import SAMPLE_DATA, require_banking77

pytestmark = REAL_LM


def short_answers_lm() -> dspy.LM:
    """The embedded model with a small max_tokens: labels are short; rambling is capped."""
    return dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=32, cache=False)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def one_demo_per_label(rows, input_col, label_col, seed=0):
    rng = random.Random(seed)
    by_label: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_label.setdefault(row[label_col], []).append(row)
    return {label: rng.choice(items) for label, items in sorted(by_label.items())}


def sample_per_label(rows, label_col, per_label, seed=0, exclude=()):
    rng = random.Random(seed)
    chosen = []
    for label in sorted({r[label_col] for r in rows}):
        pool = [r for r in rows if r[label_col] == label and r not in exclude]
        chosen += rng.sample(pool, per_label)
    return chosen


def zero_vs_demos(train_rows, test_rows, input_col, label_col, labels):
    signature = dspy.Signature(f"{input_col} -> {label_col}").with_updated_fields(
        label_col, type_=Literal[tuple(labels)]
    )
    devset = [
        dspy.Example({input_col: r[input_col], label_col: r[label_col]}).with_inputs(input_col)
        for r in test_rows
    ]
    evaluate = dspy.Evaluate(devset=devset, metric=ExactMatch(), num_threads=1)
    zero_shot = dspy.Predict(signature)
    few_shot = dspy.Predict(signature)
    demos = one_demo_per_label(train_rows, input_col, label_col)
    few_shot.demos = [
        dspy.Example({input_col: r[input_col], label_col: r[label_col]}) for r in demos.values()
    ]
    return evaluate(zero_shot), evaluate(few_shot)


def test_banking77_one_demo_per_intent_beats_zero_shot():
    data = require_banking77()
    train = read_rows(data / "train.csv")
    test = sample_per_label(read_rows(data / "test.csv"), "category", per_label=6, seed=0)
    assert len(test) == 36
    labels = sorted({r["category"] for r in train})
    ledger = UsageLedger()
    with dspy.context(lm=short_answers_lm(), usage_trackers=(ledger,)):
        zero, few = zero_vs_demos(train, test, "text", "category", labels)
    assert few.score > zero.score, (zero.score, few.score)
    assert few.score >= 30.0, few.score
    assert ledger.totals().uncached_calls >= 72


def test_sample_reviews_one_demo_per_label_beats_zero_shot():
    """On the sample reviews, 20 held-out rows: zero-shot 50% (the closed choice answers one
    label to nearly every review), one demo per label 85% when measured. (On the 3-label sample
    tickets the gap is within one row, 33.3% vs 33.3-38.9% over three samples, so too thin a
    margin for a test: this 135M model mostly repeats the last demo's label.)"""
    rows = read_rows(SAMPLE_DATA / "reviews.csv")
    test = sample_per_label(rows, "sentiment", per_label=10, seed=1)
    train = [r for r in rows if r not in test]
    with dspy.context(lm=short_answers_lm()):
        zero, few = zero_vs_demos(train, test, "review", "sentiment", ["negative", "positive"])
    assert few.score >= zero.score + 15, (zero.score, few.score)


def test_chain_of_thought_and_typed_output_on_real_model():
    qa = dspy.ChainOfThought("question -> answer")
    qa.predict.demos = [
        dspy.Example(
            question="What color is the sky?", reasoning="The sky looks blue by day.", answer="blue"
        )
    ]
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=256, cache=False)
    with dspy.context(lm=lm):  # its own model: alone, no test before it configured one
        out = qa(question="What color is grass?")
    assert isinstance(out.answer, str) and out.answer.strip()
    usage = out.get_lm_usage()
    assert usage["calls"] >= 1 and usage["prompt_tokens"] > 0


def test_save_load_same_prompt_same_answer_on_real_model(tmp_path):
    signature = "review -> sentiment: Literal['positive', 'negative']"
    program = dspy.Predict(signature)
    program.demos = [
        dspy.Example(review="Loved it, works great.", sentiment="positive"),
        dspy.Example(review="Broke after a day. Awful.", sentiment="negative"),
    ]
    program.save(tmp_path / "p.json")
    loaded = dspy.Predict(signature).load(tmp_path / "p.json")

    def outcome(module):
        try:
            return module(review="Terrible, it stopped working.").sentiment
        except dspy.AdapterParseError as error:
            return f"parse error: {error.raw_text}"

    with dspy.context(lm=short_answers_lm()):
        assert outcome(loaded) == outcome(program)
