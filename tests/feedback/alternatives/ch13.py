"""Correct-but-different answers to chapter 13's exercises: each must pass both suites.

``log_uniform`` fixes the random call (one uniform draw per value, in order), so its
alternatives consume the generator the same way and differ in how they map the draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# ch13_log_uniform
# --------------------------------------------------------------------------------------------


def log_uniform_base10(low, high, n, rng):
    """Exponents in base 10, mapped back with 10 ** u."""
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), n)


def log_uniform_scalars(lo, hi, size, generator):
    """Renamed parameters; one scalar draw at a time with the math module."""
    a, b = math.log(lo), math.log(hi)
    return np.array([math.exp(generator.uniform(a, b)) for _ in range(size)])


def log_uniform_power(low, high, n, rng):
    """low · (high/low)^r with r ~ U(0, 1): the same law written as a geometric interpolation."""
    return low * (high / low) ** rng.random(n)


# --------------------------------------------------------------------------------------------
# ch13_coarse_to_fine_bounds
# --------------------------------------------------------------------------------------------


def coarse_to_fine_bounds_sorted(values, scores, keep_fraction):
    """Python's sorted over the trial indices, min and max column by column."""
    n, d = values.shape
    k = math.ceil(keep_fraction * n)
    best = sorted(range(n), key=lambda i: scores[i])[:k]
    return np.array(
        [[min(values[i, j] for i in best), max(values[i, j] for i in best)] for j in range(d)]
    )


def coarse_to_fine_bounds_partition(trials, losses, fraction):
    """Renamed parameters; np.argpartition finds the k best without sorting them."""
    k = int(np.ceil(fraction * len(losses)))
    kept = trials[np.argpartition(losses, k - 1)[:k]]
    return np.column_stack([kept.min(axis=0), kept.max(axis=0)])


def coarse_to_fine_bounds_mask(values, scores, keep_fraction):
    """A boolean mask of the k best, and the bounds as an array of [min, max] rows transposed."""
    k = math.ceil(keep_fraction * len(scores))
    mask = np.zeros(len(scores), dtype=bool)
    mask[np.argsort(scores)[:k]] = True
    return np.array([values[mask].min(axis=0), values[mask].max(axis=0)]).T


# --------------------------------------------------------------------------------------------
# ch13_halving_survivors
# --------------------------------------------------------------------------------------------


def halving_survivors_sorted(trials, scores, eta):
    """Python's stable sorted, NaN (a failed run) sorted last by its key."""
    k = max(1, len(scores) // eta)
    order = sorted(range(len(scores)), key=lambda i: (bool(np.isnan(scores[i])), scores[i]))
    return np.array([trials[i] for i in order[:k]])


def halving_survivors_lexsort(ids, losses, reduction):
    """Renamed parameters; np.lexsort by score, then by position for ties."""
    keep = max(1, len(losses) // reduction)
    order = np.lexsort((np.arange(len(losses)), losses))
    return ids[order[:keep]].copy()


def halving_survivors_nan_as_inf(trials, scores, eta):
    """Failed runs given an infinite score, then a stable argsort (ties in rung order)."""
    k = len(scores) // eta
    if k < 1:
        k = 1
    filled = np.where(np.isnan(scores), np.inf, scores)
    return np.asarray(trials)[np.argsort(filled, kind="stable")][:k]


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch13_log_uniform": [log_uniform_base10, log_uniform_scalars, log_uniform_power],
    "ch13_coarse_to_fine_bounds": [
        coarse_to_fine_bounds_sorted,
        coarse_to_fine_bounds_partition,
        coarse_to_fine_bounds_mask,
    ],
    "ch13_halving_survivors": [
        halving_survivors_sorted,
        halving_survivors_lexsort,
        halving_survivors_nan_as_inf,
    ],
}
