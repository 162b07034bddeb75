"""Review tasks shared by the choice-calibration tests: the signature, synthetic reviews and a
fake model that leans to `true` (scripted), and the sample project's labelled reviews for the
embedded model."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import engine as dspy
from engine.core._errors import LMError
from engine.lm.lm import LM
from engine.lm.scripted import input_fields

REVIEWS = Path(__file__).resolve().parents[2] / "sample_data" / "reviews.csv"
HEADER = "[[ ## positive ## ]]"


class Review(dspy.Signature):
    """Tell whether a product review is positive."""

    review: str = dspy.InputField()
    positive: bool = dspy.OutputField()


class DescribedReview(Review):
    """Tell whether a product review is positive."""

    positive: bool = dspy.OutputField(desc="True if the review is positive")


def reviews(n: int, start: int = 0) -> list[dspy.Example]:
    """n synthetic reviews, alternately "bad thing i" (negative) and "good thing i" (positive)."""
    return [
        dspy.Example(
            review=f"{'good' if i % 2 else 'bad'} thing {i}", positive=bool(i % 2)
        ).with_inputs("review")
        for i in range(start, start + n)
    ]


def sample_reviews() -> list[dspy.Example]:
    """The sample project's 60 labelled reviews."""
    with REVIEWS.open(newline="") as handle:
        return [
            dspy.Example(review=r["review"], positive=r["sentiment"] == "positive").with_inputs(
                "review"
            )
            for r in csv.DictReader(handle)
        ]


class BiasedLM(LM):
    """A model that ranks reviews right (log-odds of `true` `lean` + 0.8 for "good", `lean` - 0.8
    otherwise, `lean` on the content-free review "N/A") but always says `true`, unless a
    `reply_bias` shifts it; it reports its choice scores as the embedded model does. It records
    the reviews it was asked (`reviews`) and the offsets it was sent (`biases`)."""

    def __init__(self, lean: float = 2.0, fail_on_na: bool = False) -> None:
        super().__init__("local/biased-fake", cache=False)
        self.biases: list[Any] = []
        self.reviews: list[str] = []
        self.lean = lean  # 0.0: no bias, every review answered right
        self.fail_on_na = fail_on_na  # the content-free call raises an LM error

    @property
    def supports_stop(self) -> bool:
        return True

    def _complete(self, messages: list[dict], params: dict) -> tuple[list[str], dict]:
        review = input_fields(messages[-1]["content"])["review"]
        self.reviews.append(review)
        if review == "N/A" and self.fail_on_na:
            raise LMError("the provider is down")
        odds = self.lean + {"N/A": 0.0}.get(review, 0.8 if "good" in review else -0.8)
        scores = {"true": -0.1, "false": -0.1 - odds}
        offsets = (params.get("reply_bias") or {}).get(HEADER, {})
        self.biases.append(offsets)
        pick = max(scores, key=lambda v: scores[v] - offsets.get(v, 0.0))
        text = f"{HEADER}\n{pick}\n\n[[ ## note ## ]]\nfine\n\n[[ ## completed ## ]]"
        usage = {"prompt_tokens": 10, "completion_tokens": 2, "cost": 0.0,
                 "choice_scores": [{HEADER: scores}]}  # fmt: skip
        return [text], usage
