"""Content-free calibration on the embedded model: LabeledFewShot's reviews program leans to
`true`; one call on "N/A" measures the lean, and held-out reviews are answered right more
often without it."""

from local_lm_helpers import REAL_LM
from review_data import DescribedReview as Review
from review_data import sample_reviews as reviews

import engine as dspy

pytestmark = REAL_LM


def test_labeled_fewshot_takes_the_lean_off_and_more_held_out_reviews_are_right():
    data = reviews()
    train, test = data[6:12], data[30:46]
    lm = dspy.LM("local/smollm2-135m")
    plain_optimizer = dspy.LabeledFewShot(k=2)
    plain_optimizer.calibrates_choices = False
    with dspy.context(lm=lm):
        calibrated = dspy.LabeledFewShot(k=2).compile(dspy.Predict(Review), trainset=train)
        plain = plain_optimizer.compile(dspy.Predict(Review), trainset=train)
        plain_answers = [plain(review=e.review).positive for e in test]
        answers = [calibrated(review=e.review).positive for e in test]
    assert calibrated.result.usage["calls"] == 1 and plain.result.usage["calls"] == 0
    assert calibrated.predictors()[0].demos == plain.predictors()[0].demos
    assert calibrated.predictors()[0].choice_offsets["positive"]["true"] > 0  # the lean to true
    gold = [e.positive for e in test]
    right = sum(a == g for a, g in zip(answers, gold, strict=True))
    plain_right = sum(a == g for a, g in zip(plain_answers, gold, strict=True))
    assert sum(plain_answers) >= 14  # the lean: `true` to nearly every review (7 of 16 are)
    assert right > plain_right and False in answers  # measured: 12 against 8 of 16
