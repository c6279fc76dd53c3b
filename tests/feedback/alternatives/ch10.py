"""Correct-but-different answers to chapter 10's exercises: each must pass both suites."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def dropout_forward_where(X, p, mode, u):
    """The eval branch tested first, the kept entries picked by ``np.where``."""
    if mode == "eval":
        return np.array(X, copy=True)
    return np.where(u >= p, X / (1 - p), 0.0)


def dropout_forward_float_mask(X, p, mode, u):
    """A 0/1 float mask scaled once, multiplied in (the library's ``multiplier`` form)."""
    multiplier = np.ones_like(X) if mode != "train" else (u >= p).astype(X.dtype) / (1.0 - p)
    return np.multiply(X, multiplier)


def dropout_forward_keep_prob(X, p, mode, u):
    """Written with the keep probability ``q = 1 - p`` of some courses."""
    q = 1.0 - p
    out = X.copy()
    if mode == "train":
        out[u < p] = 0.0
        out /= q
    return out


def dropout_backward_where(dout, cache):
    mask, p = cache
    return np.where(mask, dout / (1.0 - p), 0.0)


def dropout_backward_float_mask(dout, cache):
    keep, drop_probability = cache
    grad = dout.astype(dout.dtype, copy=True)
    grad *= keep.astype(dout.dtype)
    grad *= 1.0 / (1.0 - drop_probability)
    return grad


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch10_dropout_forward": [
        dropout_forward_where,
        dropout_forward_float_mask,
        dropout_forward_keep_prob,
    ],
    "ch10_dropout_backward": [dropout_backward_where, dropout_backward_float_mask],
}
