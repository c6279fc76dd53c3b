"""Correct-but-different answers to chapter 03's exercises: each must pass both suites."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def ewa_list(series, beta, bias_correction):
    v, out = 0.0, []
    for t, x in enumerate(series, start=1):
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta**t) if bias_correction else v)
    return np.array(out, dtype=np.float64)


def ewa_weights(xs, b, correct):
    """v_t = (1 − β) Σ_k β^(t−k) x_k, as one matrix product."""
    n = len(xs)
    t = np.arange(1, n + 1)
    lag = t[:, None] - t[None, :]
    weights = np.where(lag >= 0, (1 - b) * np.power(b, np.maximum(lag, 0)), 0.0)
    v = weights @ np.asarray(xs, dtype=np.float64)
    return v / (1 - b**t) if correct else v


def minibatches_shuffled_indices(X, y, batch_size, seed):
    idx = np.arange(len(X))
    np.random.default_rng(seed).shuffle(idx)  # the same permutation as .permutation(len(X))
    return tuple(
        (X[idx[i : i + batch_size]], y[idx[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    )


def minibatches_split(features, labels, size, seed):
    order = np.random.default_rng(seed).permutation(len(features))
    n_batches = -(-len(features) // size)
    chunks = [order[k * size : (k + 1) * size] for k in range(n_batches)]
    return tuple((features[c], labels[c]) for c in chunks)


def minibatches_permuted_copies(X, y, batch_size, seed):
    Xs = np.random.default_rng(seed).permutation(X)  # same seed: the same row order for both
    ys = np.random.default_rng(seed).permutation(y)
    return tuple(
        (Xs[s : s + batch_size], ys[s : s + batch_size]) for s in range(0, len(X), batch_size)
    )


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch03_ewa": [ewa_list, ewa_weights],
    "ch03_minibatches": [
        minibatches_shuffled_indices,
        minibatches_split,
        minibatches_permuted_copies,
    ],
}
