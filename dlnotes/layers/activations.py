"""Elementwise nonlinearities: ReLU, LeakyReLU, Tanh, Sigmoid (any input shape).

Each has a functional pair ``*_forward(X) -> out, cache`` / ``*_backward(dout, cache) -> dX``
and a module class. The derivative at a kink follows torch: ReLU passes no gradient at exactly
0, LeakyReLU passes ``negative_slope * dout`` there.

The cache never shares memory with ``out``: editing the output in place (inverted dropout
written as ``h *= mask / (1 - p)``, a clip) leaves the backward pass right. ``dout`` must be a
float array (a bool or int ``dout`` would give a bool or int gradient).

Defined in chapter 07 (Initialization).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes._validate import check_float_array, check_scalar
from dlnotes.layers._base import Layer, cache_mismatch, check_cache, check_dout

__all__ = [
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "tanh_backward",
    "tanh_forward",
]


def relu_forward(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``out = max(X, 0)``; the cache is the mask ``X > 0`` (a bool array, not ``out`` itself,
    so an in-place edit of ``out`` cannot change the gradient).

    Defined in chapter 07 (Initialization).
    """
    check_float_array("X", X, where="relu_forward")
    return np.maximum(X, 0), X > 0


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """``dX = dout * [out > 0]``. ``cache`` is the mask of :func:`relu_forward` (a float array
    ``out`` is read through its sign). ``dout`` must be a float array of the output's shape.

    Defined in chapter 07 (Initialization).
    """
    check_cache(cache, None, where="relu_backward", forward="relu_forward")
    check_dout(dout, cache.shape, where="relu_backward")
    return dout * (cache if cache.dtype == np.bool_ else cache > 0)


def leaky_relu_forward(
    X: np.ndarray, negative_slope: float = 0.01
) -> tuple[np.ndarray, tuple[np.ndarray, float]]:
    """``out = X`` where ``X > 0``, else ``negative_slope * X`` (torch's default slope 0.01).

    Defined in chapter 07 (Initialization).
    """
    check_float_array("X", X, where="leaky_relu_forward")
    negative_slope = check_scalar("negative_slope", negative_slope)
    positive = X > 0
    return np.where(positive, X, negative_slope * X), (positive, negative_slope)


def leaky_relu_backward(dout: np.ndarray, cache: tuple[np.ndarray, float]) -> np.ndarray:
    """``dX = dout`` where ``X > 0``, else ``negative_slope * dout``.

    Defined in chapter 07 (Initialization).
    """
    where = "leaky_relu_backward"
    positive, negative_slope = check_cache(
        cache, ("the mask X > 0", None), where=where, forward="leaky_relu_forward"
    )
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float, np.number)):
        raise cache_mismatch(
            where,
            "leaky_relu_forward",
            "its second item must be negative_slope (a number), got "
            f"{type(negative_slope).__name__}",
        )
    check_dout(dout, positive.shape, where=where)
    return np.where(positive, dout, negative_slope * dout)


def tanh_forward(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``out = tanh(X)``; the cache is a copy of ``out`` (an in-place edit of ``out`` cannot
    change the gradient).

    Defined in chapter 07 (Initialization).
    """
    check_float_array("X", X, where="tanh_forward")
    out = np.tanh(X)
    return out, out.copy()


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """``dX = dout * (1 - out^2)``.

    Defined in chapter 07 (Initialization).
    """
    check_cache(cache, None, where="tanh_backward", forward="tanh_forward")
    check_dout(dout, cache.shape, where="tanh_backward")
    return dout * (1 - cache * cache)


def sigmoid_forward(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``out = 1 / (1 + exp(-X))``, computed without overflow for large ``|X|``.

    With ``z = exp(-|X|) <= 1``: ``out = 1/(1+z)`` for ``X >= 0`` and ``z/(1+z)`` for ``X < 0``.
    The cache is a copy of ``out`` (an in-place edit of ``out`` cannot change the gradient).

    Defined in chapter 07 (Initialization).
    """
    check_float_array("X", X, where="sigmoid_forward")
    z = np.exp(-np.abs(X))
    out = np.where(X >= 0, 1, z) / (1 + z)
    return out, out.copy()


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """``dX = dout * out * (1 - out)``.

    Defined in chapter 07 (Initialization).
    """
    where = "sigmoid_backward"
    check_cache(cache, None, where=where, forward="sigmoid_forward")
    check_dout(dout, cache.shape, where=where)
    return dout * cache * (1 - cache)


class _Activation(Layer):
    """An elementwise nonlinearity as a module, without parameters: a subclass names its
    functional pair, ``_forward_fn(X) -> (out, cache)`` and ``_backward_fn(dout, cache) -> dX``."""

    _forward_fn: Callable[[np.ndarray], tuple[np.ndarray, Any]]
    _backward_fn: Callable[[np.ndarray, Any], np.ndarray]

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = self._forward_fn(X)
        return out

    def _backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        return self._backward_fn(dout, self.cache) if input_grad else None


class ReLU(_Activation):
    """``max(X, 0)``. Units whose output is 0 for every input are *dead*: no gradient reaches
    their weights (see :func:`dlnotes.train.layer_diagnostics`).

    Defined in chapter 07 (Initialization).
    """

    _forward_fn = staticmethod(relu_forward)
    _backward_fn = staticmethod(relu_backward)


class LeakyReLU(_Activation):
    """``X if X > 0 else negative_slope * X`` (default slope 0.01 as torch).

    Defined in chapter 07 (Initialization).
    """

    _backward_fn = staticmethod(leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_scalar("negative_slope", negative_slope)

    def describe(self) -> str:
        return f"LeakyReLU({self.negative_slope:g})"

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = leaky_relu_forward(X, self.negative_slope)
        return out


class Tanh(_Activation):
    """``tanh(X)``; saturates (gradient -> 0) for large ``|X|``.

    Defined in chapter 07 (Initialization).
    """

    _forward_fn = staticmethod(tanh_forward)
    _backward_fn = staticmethod(tanh_backward)


class Sigmoid(_Activation):
    """``1 / (1 + exp(-X))``; its slope is at most 1/4, so deep sigmoid nets vanish.

    Defined in chapter 07 (Initialization).
    """

    _forward_fn = staticmethod(sigmoid_forward)
    _backward_fn = staticmethod(sigmoid_backward)
