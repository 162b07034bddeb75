"""Paired significance statistics for comparing two programs on the same examples."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

EXACT_MAX_NONZERO = 16  # enumerate all sign flips up to 2**16 patterns; sample beyond that
N_PERMUTATIONS = 20000


def _sign_flip_p_value(diffs: np.ndarray, rng: np.random.Generator) -> float:
    """Two-sided p-value of the paired sign-flip (permutation) test of mean difference = 0."""
    nonzero = diffs[diffs != 0]
    if nonzero.size == 0:
        return 1.0
    observed = abs(nonzero.sum())
    tolerance = 1e-12 * max(1.0, observed)
    if nonzero.size <= EXACT_MAX_NONZERO:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=nonzero.size)))
        sums = np.abs(signs @ nonzero)
        return float(np.mean(sums >= observed - tolerance))
    signs = rng.choice((1.0, -1.0), size=(N_PERMUTATIONS, nonzero.size))
    sums = np.abs(signs @ nonzero)
    return float((np.sum(sums >= observed - tolerance) + 1) / (N_PERMUTATIONS + 1))


def paired_comparison(
    baseline: Sequence[float], candidate: Sequence[float], seed: int = 0, n_boot: int = 2000
) -> dict[str, Any]:
    """Compare per-example scores of two programs on the same examples (same order).

    Returns `diff` (mean of candidate - baseline), a paired bootstrap 95% CI of that mean
    (`ci_low`, `ci_high`, `n_boot` resamples of the examples), a two-sided `p_value` from a
    sign-flip permutation test (exact up to 16 non-zero differences), `significant` (the CI
    excludes 0) and `n`. Deterministic for a given `seed`.
    """
    base = np.asarray(baseline, dtype=float)
    cand = np.asarray(candidate, dtype=float)
    if base.shape != cand.shape or base.ndim != 1:
        raise ValueError(
            "paired_comparison needs two equal-length score lists; "
            f"got {base.shape} and {cand.shape}"
        )
    n = int(base.size)
    if n == 0:
        return {
            "diff": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.0,
            "p_value": 1.0,
            "significant": False,
            "n": 0,
        }
    diffs = cand - base
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, n, size=(max(1, int(n_boot)), n))
    means = diffs[resamples].mean(axis=1)
    ci_low, ci_high = (float(x) for x in np.percentile(means, [2.5, 97.5]))
    p_value = _sign_flip_p_value(diffs, rng)
    return {
        "diff": float(diffs.mean()),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p_value": p_value,
        "significant": bool(ci_low > 0 or ci_high < 0),
        "n": n,
    }
