"""BootstrapFewShot on the real embedded model (SmolLM2-135M): it runs, records trials and usage.

Improvement is not asserted (a 135M model and 8 validation examples); the run must finish
within a minute.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Literal

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.optimizers import BootstrapFewShot, RunContext

REVIEWS = Path(__file__).resolve().parents[2] / "sample_data" / "reviews.csv"

pytestmark = REAL_LM


def balanced(rows, per_label, rng, exclude=()):
    chosen = []
    for label in ("negative", "positive"):
        pool = [r for r in rows if r["sentiment"] == label and r not in exclude]
        chosen += rng.sample(pool, per_label)
    rng.shuffle(chosen)
    return chosen


def test_bootstrap_fewshot_on_the_local_model():
    rows = list(csv.DictReader(REVIEWS.open(newline="", encoding="utf-8")))
    rng = random.Random(0)
    train_rows = balanced(rows, 4, rng)
    val_rows = balanced(rows, 4, rng, exclude=train_rows)
    given_rows = balanced(rows, 1, rng, exclude=train_rows + val_rows)

    def to_examples(items):
        return [
            dspy.Example(review=r["review"], sentiment=r["sentiment"]).with_inputs("review")
            for r in items
        ]

    class Sentiment(dspy.Signature):
        """Classify the sentiment of a product or service review."""

        review: str = dspy.InputField()
        sentiment: Literal["positive", "negative"] = dspy.OutputField()

    def metric(example, prediction, trace=None):
        return example.sentiment == str(prediction.get("sentiment", "")).strip().lower()

    # The student comes with one demo per label: zero-shot, this model rarely keeps the output
    # format, and every parse failure costs a fallback call (compiling resets these demos).
    student = dspy.Predict(Sentiment)
    student.demos = to_examples(given_rows)
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=32, cache=False)
    optimizer = BootstrapFewShot(metric=metric, max_bootstrapped_demos=3, max_labeled_demos=4)
    with dspy.context(lm=lm, num_threads=1):
        compiled = optimizer.compile(
            student,
            trainset=to_examples(train_rows),
            valset=to_examples(val_rows),
            run=RunContext(seed=0),
        )
    result = compiled.result
    assert result.status == "finished"
    origins = {c.hash: c.origin for c in result.candidates}
    calibration = [t for t in result.trials if t.subset == "train"]  # the fit's top-up rows
    assert all(t.n <= 12 - 8 for t in calibration)
    scored = [
        t for t in result.trials
        if origins[t.candidate] != "choice calibration" and t.subset != "train"
    ]  # fmt: skip
    assert [t.subset for t in scored] == ["val", "val"] and all(t.n == 8 for t in scored)
    assert 0.0 <= result.baseline_score <= 1.0 and 0.0 <= result.best_score <= 1.0
    assert result.usage["calls"] >= 16 and result.usage["prompt_tokens"] > 0
    assert result.usage["by_role"]["task"]["calls"] == result.usage["calls"]
    assert 0 < len(compiled.demos) <= 4
    assert any(e.type == "trial" for e in result.events)
