"""Elementwise operations and their backward rules, with numpy broadcasting.

For ``z = f(x, y)`` applied entry by entry, the chain rule is a product by the local
derivative: ``dL/dx = dL/dz * df/dx``. Broadcasting adds one step. When ``x`` of shape ``(D,)``
is added to ``y`` of shape ``(N, D)``, each ``x[d]`` is used ``N`` times, so its gradient is
the **sum** of the ``N`` gradients that reach it: :func:`unbroadcast` sums ``dL/dz`` over every
axis along which ``x`` was stretched.

=============  ==========================  =====================================
operation      forward                     backward (``g = dL/dz``)
=============  ==========================  =====================================
``add``        ``z = x + y``               ``dx = g``, ``dy = g``
``sub``        ``z = x - y``               ``dx = g``, ``dy = -g``
``mul``        ``z = x * y``               ``dx = g * y``, ``dy = g * x``
``div``        ``z = x / y``               ``dx = g / y``, ``dy = -g * x / y^2``
``neg``        ``z = -x``                  ``dx = -g``
``power``      ``z = x^p`` (constant p)    ``dx = g * p x^(p-1)``
``exp``        ``z = e^x``                 ``dx = g * z``
``log``        ``z = log x``               ``dx = g / x``
``relu``       ``z = max(x, 0)``           ``dx = g * [x > 0]``
``tanh``       ``z = tanh x``              ``dx = g * (1 - z^2)``
``sigmoid``    ``z = 1 / (1 + e^-x)``      ``dx = g * z (1 - z)``
=============  ==========================  =====================================

(every ``dx`` then passes through :func:`unbroadcast`).

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes.autograd.tensor import Tensor, as_tensor, check_same_dtype, record

__all__ = [
    "add",
    "broadcast_shape",
    "div",
    "exp",
    "log",
    "mul",
    "neg",
    "power",
    "relu",
    "sigmoid",
    "sub",
    "tanh",
    "unbroadcast",
]


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``.

    Leading axes that ``shape`` lacks are summed away; axes where ``shape`` has 1 and ``g``
    has more are summed with ``keepdims``. Example: ``(N, D) -> (D,)`` sums over ``N``;
    ``(N, D) -> (N, 1)`` sums over ``D``. A ``shape`` that does not broadcast to
    ``g.shape`` (``(2, 3) -> (4,)``, ``(3,) -> (2, 3)``) raises ``ValueError``.

    Defined in chapter 15 (From numpy to a framework).
    """
    if not isinstance(g, (np.ndarray, np.generic)):
        raise TypeError(
            f"unbroadcast: g must be a numpy array (a gradient), got {type(g).__name__}"
        )
    if g.shape == shape:
        return g
    if not isinstance(shape, tuple) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise TypeError(
            f"unbroadcast: shape must be a tuple of sizes such as x.shape, got {shape!r}"
        )
    try:
        reducible = np.broadcast_shapes(shape, g.shape) == g.shape
    except ValueError:
        reducible = False
    if not reducible:
        raise ValueError(
            f"unbroadcast: a gradient of shape {g.shape} cannot be summed down to shape "
            f"{shape}; shape must broadcast to the gradient's shape (numpy rules: "
            "align from the right; each size equal to the gradient's or 1)"
        )
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g


def broadcast_shape(op: str, a: Tensor, b: Tensor) -> tuple[int, ...]:
    """The broadcast shape of two operands, or a ValueError naming the op and both shapes.

    Defined in chapter 15 (From numpy to a framework).
    """
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together (numpy rules: "
            "align from the right; each pair of sizes must be equal or one of them 1)"
        ) from None


def _binary(op: str, x: Any, y: Any) -> tuple[Tensor, Tensor]:
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    a, b = as_tensor(x, like, "x"), as_tensor(y, like, "y")
    check_same_dtype(op, a, b)
    broadcast_shape(op, a, b)
    return a, b


def add(x: Any, y: Any) -> Tensor:
    """``z = x + y`` (broadcasting); ``dx = unbroadcast(g)``, ``dy = unbroadcast(g)``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a, b = _binary("add", x, y)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)

    return record("add", a.value + b.value, (a, b), vjp)


def sub(x: Any, y: Any) -> Tensor:
    """``z = x - y``; ``dx = g``, ``dy = -g`` (each unbroadcast).

    Defined in chapter 15 (From numpy to a framework).
    """
    a, b = _binary("sub", x, y)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
        return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)

    return record("sub", a.value - b.value, (a, b), vjp)


def mul(x: Any, y: Any) -> Tensor:
    """``z = x * y``; ``dx = g * y``, ``dy = g * x`` (each unbroadcast). Saves ``x`` and ``y``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a, b = _binary("mul", x, y)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
        xv, yv = saved
        dx = unbroadcast(g * yv, a.shape) if a.requires_grad else None
        dy = unbroadcast(g * xv, b.shape) if b.requires_grad else None
        return dx, dy

    return record("mul", a.value * b.value, (a, b), vjp, (a.value, b.value))


def div(x: Any, y: Any) -> Tensor:
    """``z = x / y``; ``dx = g / y``, ``dy = -g x / y^2`` (each unbroadcast).

    Defined in chapter 15 (From numpy to a framework).
    """
    a, b = _binary("div", x, y)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
        xv, yv = saved
        dx = unbroadcast(g / yv, a.shape) if a.requires_grad else None
        dy = unbroadcast(-g * xv / (yv * yv), b.shape) if b.requires_grad else None
        return dx, dy

    return record("div", a.value / b.value, (a, b), vjp, (a.value, b.value))


def neg(x: Tensor) -> Tensor:
    """``z = -x``; ``dx = -g``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (-g,)

    return record("neg", -a.value, (a,), vjp)


def power(x: Tensor, exponent: float) -> Tensor:
    """``z = x^p`` for a constant number ``p``; ``dx = g * p * x^(p-1)``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    if isinstance(exponent, Tensor) or not isinstance(exponent, (int, float, np.number)):
        raise TypeError(
            f"exponent must be a number (a constant), got {type(exponent).__name__}; "
            "for a tensor exponent write exp(y * log(x))"
        )
    p = float(exponent)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        (xv,) = saved
        return (g * (p * xv ** (p - 1)),)

    return record("pow", a.value**p, (a,), vjp, (a.value,))


def exp(x: Tensor) -> Tensor:
    """``z = e^x``; ``dx = g * z`` (saves the output).

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    z = np.exp(a.value)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (g * saved[0],)

    return record("exp", z, (a,), vjp, (z,))


def log(x: Tensor) -> Tensor:
    """``z = log x`` (natural); ``dx = g / x``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (g / saved[0],)

    return record("log", np.log(a.value), (a,), vjp, (a.value,))


def relu(x: Tensor) -> Tensor:
    """``z = max(x, 0)``; ``dx = g * [x > 0]`` (the subgradient 0 at ``x = 0``, as torch).

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    positive = a.value > 0

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (g * saved[0],)

    return record("relu", a.value * positive, (a,), vjp, (positive,))


def tanh(x: Tensor) -> Tensor:
    """``z = tanh x``; ``dx = g * (1 - z^2)`` (saves the output).

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    z = np.tanh(a.value)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        (zv,) = saved
        return (g * (1 - zv * zv),)

    return record("tanh", z, (a,), vjp, (z,))


def sigmoid(x: Tensor) -> Tensor:
    """``z = 1 / (1 + e^-x)``, computed without overflow; ``dx = g * z * (1 - z)``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    v = a.value
    e = np.exp(-np.abs(v))  # in (0, 1]: never overflows
    z = np.where(v >= 0, 1 / (1 + e), e / (1 + e)).astype(v.dtype, copy=False)

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        (zv,) = saved
        return (g * zv * (1 - zv),)

    return record("sigmoid", z, (a,), vjp, (z,))
