"""Correct alternative solutions of chapter 01's exercises (see ``__init__.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------
# ch01_standardize
# --------------------------------------------------------------------------------------------


def standardize_loops(X_train, X_other):
    """Column by column, with the statistics computed in plain Python."""
    n, d = X_train.shape
    out_train = np.empty_like(X_train, dtype=np.float64)
    out_other = np.empty_like(X_other, dtype=np.float64)
    for j in range(d):
        column = [float(v) for v in X_train[:, j]]
        mean = sum(column) / n
        std = math.sqrt(sum((v - mean) ** 2 for v in column) / n)
        if std < 1e-8:
            std = 1.0
        out_train[:, j] = (X_train[:, j] - mean) / std
        out_other[:, j] = (X_other[:, j] - mean) / std
    return out_train, out_other


def standardize_keepdims(train, other):
    """Renamed parameters; statistics with keepdims and an explicit square root."""
    mu = np.mean(train, axis=0, keepdims=True)
    sigma = np.sqrt(np.mean((train - mu) ** 2, axis=0, keepdims=True))
    sigma[sigma < 1e-8] = 1.0  # sigma is our own array: changing it is fine
    return (train - mu) / sigma, (other - mu) / sigma


def standardize_stacked(X_train, X_other):
    """Both sets scaled in one expression, then split again."""
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma = np.where(sigma < 1e-8, 1.0, sigma)
    both = (np.vstack([X_train, X_other]) - mu) / sigma
    return both[: len(X_train)].copy(), both[len(X_train) :].copy()


# --------------------------------------------------------------------------------------------
# ch01_dev_set_size
# --------------------------------------------------------------------------------------------


def dev_set_size_search(p, se):
    """Grow n until the standard error is small enough."""
    n = 1
    while math.sqrt(p * (1 - p) / n) > se:
        n += 1
    return n


def dev_set_size_numpy(p, se):
    """numpy's ceil, returned as a numpy integer."""
    return np.int64(np.ceil(p * (1 - p) / np.square(se)))


def dev_set_size_floordiv(accuracy, standard_error):
    """Renamed parameters; rounding up by negated floor division."""
    return int(-(-accuracy * (1 - accuracy) // standard_error**2))


# --------------------------------------------------------------------------------------------
# ch01_diagnose
# --------------------------------------------------------------------------------------------


def diagnose_table(train_err, dev_err, bayes_err, tol=0.02):
    """A lookup table keyed by (high bias, high variance)."""
    table = {
        (True, False): "high bias",
        (False, True): "high variance",
        (True, True): "high bias and high variance",
        (False, False): "low bias and low variance",
    }
    return table[(train_err - bayes_err > tol, dev_err - train_err > tol)]


def diagnose_words(train, dev, bayes, tol=0.02):
    """Renamed positional parameters; the verdict assembled from its parts."""
    bias = "high" if train - bayes > tol else "low"
    variance = "high" if dev - train > tol else "low"
    if bias == variance:
        return f"{bias} bias and {variance} variance"
    return "high bias" if bias == "high" else "high variance"


ALTERNATIVES: dict[str, list[Callable[..., Any]]] = {
    "ch01_standardize": [standardize_loops, standardize_keepdims, standardize_stacked],
    "ch01_dev_set_size": [dev_set_size_search, dev_set_size_numpy, dev_set_size_floordiv],
    "ch01_diagnose": [diagnose_table, diagnose_words],
}
