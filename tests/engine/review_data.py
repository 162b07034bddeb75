"""Review tasks shared by the choice-calibration tests: the signature, synthetic reviews for a
scripted LM, and the sample project's labelled reviews for the embedded model."""

from __future__ import annotations

import csv
from pathlib import Path

import engine as dspy

REVIEWS = Path(__file__).resolve().parents[2] / "sample_data" / "reviews.csv"


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
