"""The affine layer ``out = X @ W + b`` and the Flatten reshape.

Rows are examples: ``X`` has shape ``(N, D)``, ``W`` has shape ``(D, M)`` and ``b`` shape
``(M,)``. (Courses that put examples in columns write ``Z = W' A + b`` with ``W' = W.T`` of shape
``(M, D)``; torch stores its weight the same way, ``(out_features, in_features)``.)

Defined in chapter 07 (Initialization).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes import init as _init
from dlnotes._validate import (
    NonFiniteInputError,
    cast_finite,
    check_array,
    check_bool,
    check_float_array,
    check_int,
)
from dlnotes.layers._base import (
    Layer,
    cache_mismatch,
    check_cache,
    check_dout,
    check_float_dtype,
    seed_to_rng,
)

__all__ = [
    "Flatten",
    "Linear",
    "flatten_backward",
    "flatten_forward",
    "linear_backward",
    "linear_forward",
]


def linear_forward(
    X: np.ndarray, W: np.ndarray, b: np.ndarray | None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Affine map ``out = X @ W + b``.

    Shapes: ``X (N, D)``, ``W (D, M)``, ``b (M,)`` or None -> ``out (N, M)``. ``X`` and ``W``
    must be float arrays (an int or bool product would be computed in that dtype).
    Returns ``(out, cache)`` with ``cache = (X, W)`` for :func:`linear_backward`.

    Defined in chapter 07 (Initialization).
    """
    check_linear_inputs(X, W, b, where="linear_forward")
    out = X @ W
    if b is not None:
        out += b
    return out, (X, W)


def check_linear_inputs(X: Any, W: Any, b: Any, *, where: str) -> None:
    """Require float arrays ``X (N, D)`` and ``W (D, M)`` and ``b (M,)`` or None; errors name
    ``where`` (``linear_forward`` or ``dropconnect_forward``)."""
    check_float_array("X", X, where=where)
    # an int W in dropconnect_forward: the mask's scale 1/(1 - p) would be truncated
    check_float_array("W", W, where=where)
    if b is not None:
        check_array("b", b, where=where)
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError(
            f"{where}: X must have shape (N, {W.shape[0] if W.ndim == 2 else 'D'}) to "
            f"match W of shape {W.shape} (D_in, D_out), got X of shape {X.shape}"
        )
    if b is not None and b.shape != (W.shape[1],):
        raise ValueError(f"{where}: b must have shape ({W.shape[1]},), got {b.shape}")


def check_linear_cache(
    cache: Any, *, where: str, forward: str, name: str = "cache"
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, W)`` from a linear cache: two 2-D arrays with ``X``'s columns matching ``W``'s rows
    (a swapped or hand-made cache is blamed, not ``dout``)."""
    items = ("X, the input", "W, the weight")
    X, W = check_cache(cache, items, where=where, forward=forward, name=name)
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0]:
        raise cache_mismatch(
            where,
            forward,
            f"X (N, D) and W (D, M) must be 2-D with X's columns matching W's rows, got X of "
            f"shape {X.shape} and W of shape {W.shape}",
        )
    return X, W


def linear_backward(
    dout: np.ndarray, cache: tuple[np.ndarray, np.ndarray], *, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of the affine map, given ``dout = dL/dout`` of shape ``(N, M)``:

        dX = dout @ W.T   (N, D)     dW = X.T @ dout   (D, M)     db = sum_n dout[n]   (M,)

    Returns ``(dX, dW, db)``; ``dX`` is None when ``input_grad=False``.

    Defined in chapter 07 (Initialization).
    """
    X, W = check_linear_cache(cache, where="linear_backward", forward="linear_forward")
    check_float_array("dout", dout, where="linear_backward")
    if dout.shape != (X.shape[0], W.shape[1]):
        raise ValueError(
            f"linear_backward: dout must have shape {(X.shape[0], W.shape[1])}, got {dout.shape}"
        )
    dW = X.T @ dout
    db = dout.sum(axis=0)
    dX = dout @ W.T if input_grad else None
    return dX, dW, db


def flatten_forward(X: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """Reshape ``(N, d1, d2, ...)`` to ``(N, d1*d2*...)`` (a view when possible).

    Returns ``(out, cache)`` with ``cache`` the input shape.

    Defined in chapter 09 (Regularization).
    """
    check_array("X", X, where="flatten_forward")
    if X.ndim < 1:
        raise ValueError(f"flatten_forward: X must have a batch axis, got shape {X.shape}")
    return X.reshape(X.shape[0], math.prod(X.shape[1:])), X.shape


def flatten_backward(dout: np.ndarray, cache: tuple[int, ...]) -> np.ndarray:
    """Reshape the upstream gradient ``dout (N, d1*d2*...)`` back to the input shape ``cache``.

    Defined in chapter 09 (Regularization).
    """
    # Same size is not enough: a (2, 6) dout would reshape into a (4, 3) input without a word.
    if not (isinstance(cache, tuple) and cache and all(isinstance(d, int) for d in cache)):
        raise TypeError(
            f"flatten_backward: cache must be what flatten_forward returned (the input shape), "
            f"got {cache!r}"
        )
    flat = (cache[0], math.prod(cache[1:]))
    check_dout(dout, flat, where="flatten_backward")
    return dout.reshape(cache)


InitSpec = str | Callable[..., np.ndarray] | np.ndarray

_WEIGHT_INITS: dict[str, Callable[..., np.ndarray]] = {
    "default": _init.torch_default,
    "xavier_uniform": _init.xavier_uniform,
    "xavier_normal": _init.xavier_normal,
    "kaiming_uniform": _init.kaiming_uniform,
    "kaiming_normal": _init.kaiming_normal,
}


def _initial_weight(drawn: Any, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """What an ``init`` callable returned, as a ``dtype`` array of ``shape``: real numbers only
    (a complex array would lose its imaginary part without an error, a string or None has no
    numbers), and the shape the layer needs."""
    W = np.asarray(drawn)
    if W.dtype.kind not in "biuf":
        lost = " (the imaginary part would be lost)" if W.dtype.kind == "c" else ""
        raise TypeError(
            f"init must return real numbers for the {shape} weight, got an array of dtype "
            f"{W.dtype}{lost}"
        )
    if W.shape != shape:
        raise ValueError(f"init returned shape {W.shape}, expected {shape}")
    return cast_finite("init's weight", W, dtype)  # 1e40 would become inf in float32


class Linear(Layer):
    """Fully connected layer ``out = X @ W + b``, ``W`` of shape ``(in_features, out_features)``.

    Parameters
    ----------
    in_features, out_features : int
        ``D`` and ``M``.
    bias : bool
        Whether to learn ``b`` (switch it off before a BatchNorm, whose ``beta`` replaces it).
    init : str, callable or ndarray
        How to draw ``W``. ``"default"`` is torch's ``nn.Linear`` default
        (``U(-1/sqrt(D), 1/sqrt(D))`` for ``W`` and ``b``); ``"xavier_uniform"``,
        ``"xavier_normal"``, ``"kaiming_uniform"``, ``"kaiming_normal"`` call
        :mod:`dlnotes.init` with its defaults (Kaiming's default gain is ReLU's ``sqrt(2)``); a
        callable ``init(shape, seed=rng, dtype=dtype)`` such as
        ``functools.partial(dlnotes.init.xavier_normal, gain=5/3)``; or an array to copy.
        Except with ``"default"``, ``b`` starts at zero.
    seed : int, Generator or None
        Randomness for ``W`` (and ``b``); None draws fresh OS entropy.
    dtype : float32 (default, as torch) or float64.

    Defined in chapter 07 (Initialization).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        init: InitSpec = "default",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.shape_preserving = False
        # sizes are ints: Linear(3.0, 2) is refused, as torch refuses it
        self.in_features = check_int("in_features", in_features, low=1)
        self.out_features = check_int("out_features", out_features, low=1)
        dtype = check_float_dtype(dtype)
        bias = check_bool("bias", bias)
        rng = seed_to_rng(seed)
        shape = (self.in_features, self.out_features)
        if isinstance(init, np.ndarray):
            if init.dtype.kind not in "biuf":
                raise TypeError(f"init array must be real-valued, got dtype {init.dtype}")
            if init.shape != shape:
                raise ValueError(f"init array must have shape {shape}, got {init.shape}")
            W = init.astype(dtype, copy=True)
        elif isinstance(init, str):
            if init not in _WEIGHT_INITS:
                raise ValueError(f"init must be one of {sorted(_WEIGHT_INITS)}, got {init!r}")
            W = _WEIGHT_INITS[init](shape, seed=rng, dtype=dtype)
        elif callable(init):
            W = _initial_weight(init(shape, seed=rng, dtype=dtype), shape, dtype)
        else:
            raise TypeError(f"init must be a name, a callable or an array, got {init!r}")
        if not np.all(np.isfinite(W)):
            raise NonFiniteInputError(
                f"init must give finite weights, got inf or NaN in the {shape} weight"
            )
        self.params.append(W)
        self.param_names.append("W")
        self.penalized.append(True)
        if bias:
            if isinstance(init, str) and init == "default":
                b = _init.torch_default(
                    (self.out_features,), fan_in=self.in_features, seed=rng, dtype=dtype
                )
            else:
                b = np.zeros(self.out_features, dtype=dtype)
            self.params.append(b)
            self.param_names.append("b")
            self.penalized.append(False)
        self.grads = [np.zeros_like(p) for p in self.params]

    @property
    def W(self) -> np.ndarray:
        """The weight, shape ``(in_features, out_features)``."""
        return self.params[0]

    @property
    def b(self) -> np.ndarray | None:
        """The bias, shape ``(out_features,)``, or None."""
        return self.params[1] if len(self.params) > 1 else None

    def describe(self) -> str:
        if self.in_features is None:
            return "Linear"
        return f"Linear {self.in_features} -> {self.out_features}"

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = linear_forward(X, self.W, self.b)
        return out

    def _backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        dX, dW, db = linear_backward(dout, self.cache, input_grad=input_grad)
        self.grads = [dW, db] if len(self.params) > 1 else [dW]
        return dX


class Flatten(Layer):
    """Reshape images ``(N, H, W)`` or ``(N, C, H, W)`` to rows ``(N, H*W)`` / ``(N, C*H*W)``.

    Defined in chapter 09 (Regularization).
    """

    shape_preserving = False

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = flatten_forward(X)
        return out

    def _backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        return flatten_backward(dout, self.cache) if input_grad else None
