"""Reductions: ``sum``, ``mean`` and ``logsumexp`` over axes, and their backward rules.

A sum copies its upstream gradient to every entry it added: for ``s = sum_i x_i``,
``ds/dx_i = 1``, so ``dx = g`` broadcast back over the reduced axes. A mean over ``n`` entries
divides that by ``n``. ``logsumexp(x) = log sum_i e^{x_i}`` has the softmax as its gradient,
``dx_i = g * e^{x_i} / sum_j e^{x_j}``; it is computed as ``m + log sum_i e^{x_i - m}`` with
``m = max_i x_i``, which never overflows.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from dlnotes._validate import check_bool
from dlnotes.autograd.tensor import Tensor, as_tensor, record

__all__ = ["logsumexp", "mean", "normalize_axes", "sum"]

Axis = int | tuple[int, ...] | None


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (all axes for None); checks the type (an
    int, a tuple or list of ints, or None), the range and that no axis repeats.

    Defined in chapter 15 (From numpy to a framework).
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
    out = []
    for k in axes:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
            raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
        if not -ndim <= k < builtins.max(ndim, 1):
            raise ValueError(f"axis {k} is out of range for a tensor with {ndim} axes")
        out.append(int(k) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"axis must not repeat an axis, got {axis!r}")
    return tuple(sorted(out))


def _expand(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Re-insert the reduced axes (size 1) so ``g`` broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``s = sum of x over axis``; ``dx = g`` broadcast back to ``x``'s shape.

    ``axis``: an int, a tuple of ints or None (all axes); ``keepdims``: True or False.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    axes = normalize_axes(axis, a.ndim)
    keepdims = check_bool("keepdims", keepdims)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (np.broadcast_to(_expand(g, axes, keepdims), a.shape).copy(),)

    return record("sum", np.sum(a.value, axis=axes, keepdims=keepdims), (a,), vjp)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``m = mean of x over axis`` (``n`` entries each); ``dx = g / n`` broadcast back.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    axes = normalize_axes(axis, a.ndim)
    keepdims = check_bool("keepdims", keepdims)
    n = int(np.prod([a.shape[k] for k in axes])) if axes else 1
    if n == 0:
        raise ValueError(f"mean over an empty axis: shape {a.shape}, axis {axis!r}")

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (np.broadcast_to(_expand(g, axes, keepdims) / n, a.shape).copy(),)

    value = np.mean(a.value, axis=axes, keepdims=keepdims).astype(a.dtype, copy=False)
    return record("mean", value, (a,), vjp)


def logsumexp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``l = log sum_i e^{x_i}`` over ``axis`` (stable); ``dx = g * softmax(x)`` over ``axis``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    axes = normalize_axes(axis, a.ndim)
    keepdims = check_bool("keepdims", keepdims)
    m = np.max(a.value, axis=axes, keepdims=True)
    shifted = np.exp(a.value - m)
    total = shifted.sum(axis=axes, keepdims=True)
    value = m + np.log(total)
    softmax = shifted / total

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        (p,) = saved
        return (_expand(g, axes, keepdims) * p,)

    out = value if keepdims else np.squeeze(value, axis=axes)
    return record("logsumexp", out, (a,), vjp, (softmax,))
