import pytest

from engine.evaluate.statistics import mean_range, paired_comparison


def test_clear_gain_is_significant_with_small_p_value():
    baseline = [0.0] * 10 + [1.0] * 10
    candidate = [1.0] * 18 + [0.0] * 2  # 10 gains, 2 losses
    out = paired_comparison(baseline, candidate)
    assert out["n"] == 20
    assert out["diff"] == pytest.approx(0.4)
    assert 0 < out["ci_low"] <= out["diff"] <= out["ci_high"]
    assert out["significant"] is True
    assert out["p_value"] < 0.05


def test_no_difference_is_not_significant():
    scores = [1.0, 0.0, 1.0, 1.0, 0.0]
    out = paired_comparison(scores, list(scores))
    assert out == {"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0,
                   "significant": False, "n": 5}  # fmt: skip


def test_mixed_small_difference_ci_contains_zero():
    baseline = [1, 0, 1, 0, 1, 0, 1, 0]
    candidate = [0, 1, 1, 0, 1, 1, 0, 0]
    out = paired_comparison(baseline, candidate)
    assert out["ci_low"] <= 0 <= out["ci_high"]
    assert not out["significant"]
    assert out["p_value"] > 0.5


def test_exact_sign_flip_p_value():
    # 5 equal gains: only the all-plus and all-minus sign patterns are as extreme -> 2/32
    out = paired_comparison([0.0] * 5, [1.0] * 5)
    assert out["p_value"] == pytest.approx(2 / 32)
    assert out["ci_low"] == out["ci_high"] == 1.0 and out["significant"]


def test_large_n_uses_sampled_permutations_and_is_deterministic():
    baseline = [0.0] * 100
    candidate = [1.0 if i % 3 == 0 else 0.0 for i in range(100)]
    first = paired_comparison(baseline, candidate, seed=7)
    assert first == paired_comparison(baseline, candidate, seed=7)
    assert first["p_value"] < 0.001 and first["significant"]
    assert 0 < first["p_value"]  # Monte Carlo p-values are never exactly 0


def test_negative_difference_and_empty_and_mismatch():
    out = paired_comparison([1.0] * 12, [0.0] * 12)
    assert out["diff"] == -1.0 and out["ci_high"] < 0 and out["significant"]
    assert paired_comparison([], [])["n"] == 0
    with pytest.raises(ValueError, match="equal-length"):
        paired_comparison([1.0, 0.0], [1.0])


def test_a_scores_own_range_brackets_its_mean_and_narrows_with_more_rows():
    few = [1.0, 0.0, 1.0, 1.0, 0.0]
    low, high = mean_range(few)
    assert 0.0 <= low < 0.6 < high <= 1.0
    wide = high - low
    low, high = mean_range(few * 20)
    assert low < 0.6 < high and high - low < wide / 2  # 100 rows: a much narrower range
    assert mean_range([1.0] * 8) == (1.0, 1.0) and mean_range([]) == (0.0, 0.0)
    assert mean_range(few, seed := 3) == mean_range(few, seed)  # the same draws, the same range


def test_the_paired_range_is_the_range_of_the_differences():
    base, cand = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0, 1.0, 0.0]
    comp = paired_comparison(base, cand)
    diffs = [c - b for b, c in zip(base, cand)]
    assert (comp["ci_low"], comp["ci_high"]) == mean_range(diffs)
