"""Paired statistics for comparing two programs on the same examples, and the one wording of
what they say (`verdict`: "clear gain", "no clear difference", "clear loss")."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

EXACT_MAX_NONZERO = 16  # enumerate all sign flips up to 2**16 patterns; sample beyond that
N_PERMUTATIONS = 20000


def paired_by_id(
    baseline: Mapping[str, float], candidate: Mapping[str, float]
) -> dict[str, Any] | None:
    """`paired_comparison` over the example ids both were scored on, taken in id order with the
    default seed: the same scores give the same 95% range wherever it is computed (the keep-start
    rule, the held-out headline, Compare), since the bootstrap's draws depend on the order.
    None when they share no example."""
    ids = sorted(set(baseline) & set(candidate))
    if not ids:
        return None
    return paired_comparison(
        [float(baseline[i] or 0.0) for i in ids], [float(candidate[i] or 0.0) for i in ids]
    )


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


def mean_range(
    values: Sequence[float] | np.ndarray, rng: np.random.Generator | int = 0, n_boot: int = 2000
) -> tuple[float, float]:
    """The bootstrap 95% range of the mean of `values` (`n_boot` resamples drawn from `rng`, or
    a generator seeded with it): a score's own range, or a paired difference's."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(rng) if isinstance(rng, int) else rng
    resamples = rng.integers(0, data.size, size=(max(1, int(n_boot)), data.size))
    low, high = np.percentile(data[resamples].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)


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
    ci_low, ci_high = mean_range(diffs, rng, n_boot)
    p_value = _sign_flip_p_value(diffs, rng)
    return {
        "diff": float(diffs.mean()),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p_value": p_value,
        "significant": bool(ci_low > 0 or ci_high < 0),
        "n": n,
    }


VERDICT_WORDS = {"gain": "clear gain", "unclear": "no clear difference", "loss": "clear loss"}


def points(diff: float) -> str:
    """A score difference in points, signed: "+12", "-3", "+0.4" (a decimal under 1 point, so a
    range that excludes 0 never reads "+0")."""
    value = 100 * float(diff)
    if value == 0:
        return "0"
    return f"{value:+.1f}" if abs(value) < 1 else f"{value:+.0f}"


@dataclass(frozen=True)
class Verdict:
    """What a paired comparison says, in the one wording every report uses.

    `kind` is "gain" (the 95% range is above 0), "loss" (below 0) or "unclear" (it includes
    0); `words` the matching "clear gain" / "clear loss" / "no clear difference"."""

    kind: str
    diff: float
    ci_low: float
    ci_high: float
    n: int

    @property
    def words(self) -> str:
        return VERDICT_WORDS[self.kind]

    @property
    def range_text(self) -> str:
        """ "95% range +3 to +21 points" """
        return f"95% range {points(self.ci_low)} to {points(self.ci_high)} points"

    @property
    def text(self) -> str:
        """ "clear gain: +12 points (95% range +3 to +21 points, 40 rows)" """
        rows = f"{self.n} row{'s' if self.n != 1 else ''}"
        return f"{self.words}: {points(self.diff)} points ({self.range_text}, {rows})"


def verdict(comparison: Mapping[str, Any]) -> Verdict:
    """The verdict on a `paired_comparison` result (or a stored copy of one): a gain or a loss
    only when its 95% range excludes 0. A ValueError names what is missing from `comparison`."""
    missing = [k for k in ("diff", "ci_low", "ci_high") if comparison.get(k) is None]
    if missing:
        raise ValueError(f"a comparison needs {', '.join(missing)}; got {sorted(comparison)}")
    low, high = float(comparison["ci_low"]), float(comparison["ci_high"])
    kind = "gain" if low > 0 else "loss" if high < 0 else "unclear"
    return Verdict(kind, float(comparison["diff"]), low, high, int(comparison.get("n") or 0))
