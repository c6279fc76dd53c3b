"""Correct-but-different answers to chapter 08's exercises: each must pass both suites."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# ch08_numerical_gradient
# --------------------------------------------------------------------------------------------


def numerical_gradient_flat(f, x, h):
    """A flat copy perturbed entry by entry, reshaped back for every call of f."""
    flat = np.array(x, dtype=float).reshape(-1)
    grad = np.empty_like(flat)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f(flat.reshape(np.shape(x)))
        flat[i] = old - h
        f_minus = f(flat.reshape(np.shape(x)))
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(np.shape(x))


def numerical_gradient_basis(fun, point, eps):
    """Renamed parameters; new arrays point ± eps·e_i (a basis vector) instead of an edited copy."""
    point = np.asarray(point, dtype=np.float64)
    grad = np.zeros(point.shape)
    for index in np.ndindex(*point.shape):
        e = np.zeros(point.shape)
        e[index] = eps
        grad[index] = (fun(point + e) - fun(point - e)) / (2.0 * eps)
    return grad


def numerical_gradient_nditer(f, x, h):
    """numpy's nditer with a multi-index over a float64 copy (cs231n's eval_numerical_gradient)."""
    x = x.astype(np.float64, copy=True)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


# --------------------------------------------------------------------------------------------
# ch08_relative_error
# --------------------------------------------------------------------------------------------


def relative_error_fsum(a, b):
    """Plain Python: norms with math.fsum over the flattened entries, 0 when both are zero."""
    xs = [float(v) for v in np.ravel(a)]
    ys = [float(v) for v in np.ravel(b)]
    diff = math.sqrt(math.fsum((u - v) ** 2 for u, v in zip(xs, ys)))
    denom = math.sqrt(math.fsum(u * u for u in xs)) + math.sqrt(math.fsum(v * v for v in ys))
    return 0.0 if denom == 0 else diff / denom


def relative_error_sqrt_sum(analytic, numeric):
    """Renamed parameters; np.sqrt(np.sum(...)) norms and a guard with np.maximum."""
    analytic = np.asarray(analytic, dtype=float)
    numeric = np.asarray(numeric, dtype=float)
    top = np.sqrt(np.sum((analytic - numeric) ** 2))
    bottom = np.sqrt(np.sum(analytic**2)) + np.sqrt(np.sum(numeric**2))
    return float(top / np.maximum(bottom, np.finfo(float).tiny))


def relative_error_ravel_norm(a, b):
    """Vector norms of the flattened arrays, returned as a numpy float64 scalar."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0.0:
        return np.float64(0.0)
    return np.linalg.norm(a - b) / denom


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch08_numerical_gradient": [
        numerical_gradient_flat,
        numerical_gradient_basis,
        numerical_gradient_nditer,
    ],
    "ch08_relative_error": [
        relative_error_fsum,
        relative_error_sqrt_sum,
        relative_error_ravel_norm,
    ],
}
