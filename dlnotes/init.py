"""Weight initializers with the formulas of ``torch.nn.init``, for our ``(D_in, D_out)`` weights.

Our :class:`~dlnotes.layers.Linear` computes ``out = X @ W + b`` with ``W`` of shape
``(D_in, D_out)`` (rows are examples). torch stores the same weight transposed, as
``(out_features, in_features)``. So, for a 2-D shape ``(D_in, D_out)``:

* ``fan_in = shape[0] = D_in``  (torch: ``shape[1]``),
* ``fan_out = shape[1] = D_out`` (torch: ``shape[0]``).

With that mapping every formula below gives exactly torch's distribution:

==================  ====================================================================
xavier_uniform      ``U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``
xavier_normal       ``N(0, std^2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``
kaiming_uniform     ``U(-a, a)``, ``a = gain * sqrt(3 / fan)``
kaiming_normal      ``N(0, std^2)``, ``std = gain / sqrt(fan)``
==================  ====================================================================

where ``fan`` is ``fan_in`` (keeps the forward variance) or ``fan_out`` (keeps the backward
variance) and ``gain`` comes from :func:`calculate_gain`. Every random initializer takes
``seed``: an int or a ``numpy.random.Generator`` (None draws fresh OS entropy).

Defined in chapter 07 (Initialization).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes._validate import cast_finite, check_float_dtype, check_scalar, check_seed

__all__ = [
    "calculate_gain",
    "constant",
    "fans",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "normal",
    "torch_default",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Shape = tuple[int, ...]

_LINEAR_LIKE = ("linear", "identity", "sigmoid")


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(check_seed("seed", seed)))
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")


def _real(name: str, value: Any, **limits: Any) -> float:
    """:func:`check_scalar`, with an int too large for a float (``10**400``) refused by name."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:
            raise ValueError(
                f"{name} must be finite (a float64 holds up to 1.8e308), got an int of about "
                f"10**{int(math.log10(abs(value)))}"
            ) from None
    return check_scalar(name, value, **limits)


def _shape(shape: Any) -> Shape:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    ok = isinstance(shape, (tuple, list)) and all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in shape
    )
    if not ok:
        raise TypeError(f"shape must be a tuple of non-negative ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    ============== ==============================================
    linear, sigmoid ``1``
    tanh            ``5/3``
    relu            ``sqrt(2)``
    leaky_relu      ``sqrt(2 / (1 + a^2))``, ``a = param`` (default 0.01)
    selu            ``3/4``
    ============== ==============================================

    Defined in chapter 07 (Initialization).
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else _real("param", param)
        return math.sqrt(2.0 / (1.0 + a * a))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(
        "nonlinearity must be one of 'linear', 'identity', 'sigmoid', 'tanh', 'relu', "
        f"'leaky_relu', 'selu', got {nonlinearity!r}"
    )


def fans(shape: Shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(D_in, D_out)``: ``(shape[0], shape[1])``.

    This is the transpose of torch's convention (torch's Linear weight is ``(out, in)``).

    Defined in chapter 07 (Initialization).
    """
    shape = _shape(shape)
    if len(shape) != 2:
        raise ValueError(
            f"fan_in and fan_out need a 2-D weight shape (D_in, D_out), got shape {shape}"
        )
    return shape[0], shape[1]


def _fan(shape: Shape, mode: str, who: str) -> int:
    fan_in, fan_out = fans(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(
            f"{who} with mode={mode!r} needs {mode} >= 1 (its scale divides by sqrt({mode})), "
            f"got shape {tuple(shape)}"
        )
    return fan


def _fan_sum(shape: Shape, who: str) -> int:
    fan_in, fan_out = fans(shape)
    if fan_in + fan_out == 0:
        raise ValueError(
            f"{who} needs fan_in + fan_out >= 1 (its scale divides by it), got shape {tuple(shape)}"
        )
    return fan_in + fan_out


def zeros(shape: Shape, *, dtype: Any = np.float64) -> np.ndarray:
    """An array of zeros (biases; never for weights: identical units never break symmetry).

    Defined in chapter 07 (Initialization).
    """
    return np.zeros(_shape(shape), dtype=check_float_dtype(dtype))


def constant(shape: Shape, value: float, *, dtype: Any = np.float64) -> np.ndarray:
    """An array filled with ``value`` (a finite real that ``dtype`` can hold: ``1e300`` is
    refused for float32, whose range ends at 3.4e38, instead of filling the array with inf).

    Defined in chapter 07 (Initialization).
    """
    value = _real("value", value)
    dtype = check_float_dtype(dtype)
    cast_finite("value", np.float64(value), dtype)
    return np.full(_shape(shape), value, dtype=dtype)


def uniform(
    shape: Shape,
    a: float = 0.0,
    b: float = 1.0,
    *,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Samples of ``U(a, b)`` (variance ``(b - a)^2 / 12``); ``a`` and ``b`` must be finite
    values of ``dtype`` (then so is every sample).

    Defined in chapter 07 (Initialization).
    """
    a = _real("a", a)
    b = _real("b", b)
    if not a <= b:
        raise ValueError(f"uniform needs a <= b, got a={a}, b={b}")
    if not np.isfinite(b - a):  # numpy draws a + (b - a) * U(0, 1)
        raise ValueError(
            f"uniform needs a finite width b - a (at most 1.8e308), got a={a}, b={b}: "
            f"b - a = {b - a}"
        )
    dtype = check_float_dtype(dtype)
    for name, bound in (("a", a), ("b", b)):
        cast_finite(name, np.float64(bound), dtype)
    return _rng(seed).uniform(a, b, size=_shape(shape)).astype(dtype, copy=False)


def normal(
    shape: Shape,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Samples of ``N(mean, std^2)``; a sample that ``dtype`` cannot hold (``std=1e300`` in
    float32) raises instead of becoming inf.

    Defined in chapter 07 (Initialization).
    """
    mean = _real("mean", mean)
    std = _real("std", std, low=0.0)
    dtype = check_float_dtype(dtype)
    samples = _rng(seed).normal(mean, std, size=_shape(shape))
    return cast_finite(f"normal(mean={mean:g}, std={std:g})'s sample", samples, dtype)


def xavier_uniform(
    shape: Shape,
    gain: float = 1.0,
    *,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Glorot & Bengio (2010): ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Variance ``gain^2 * 2 / (fan_in + fan_out)``: a compromise between keeping the forward
    (``fan_in``) and the backward (``fan_out``) signal variance.

    Defined in chapter 07 (Initialization).
    """
    fan_sum = _fan_sum(shape, "xavier_uniform")
    gain = _real("gain", gain, low=0.0)
    a = gain * math.sqrt(6.0 / fan_sum)
    return uniform(shape, -a, a, seed=seed, dtype=dtype)


def xavier_normal(
    shape: Shape,
    gain: float = 1.0,
    *,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Glorot & Bengio (2010): ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Defined in chapter 07 (Initialization).
    """
    fan_sum = _fan_sum(shape, "xavier_normal")
    gain = _real("gain", gain, low=0.0)
    std = gain * math.sqrt(2.0 / fan_sum)
    return normal(shape, 0.0, std, seed=seed, dtype=dtype)


def kaiming_uniform(
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """He et al. (2015): ``U(-bound, bound)``, ``bound = sqrt(3) * gain / sqrt(fan)``.

    ``gain = calculate_gain(nonlinearity, a)`` (``a`` is the leaky-ReLU slope; with the defaults
    ``a=0, nonlinearity="leaky_relu"`` the gain is ``sqrt(2)``, the ReLU gain). ``fan`` is
    ``fan_in = D_in`` (``mode="fan_in"``) or ``fan_out = D_out``.

    Defined in chapter 07 (Initialization).
    """
    fan = _fan(shape, mode, "kaiming_uniform")
    a = a if a is None else _real("a", a)  # the leaky-ReLU slope, named as the caller knows it
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform(shape, -bound, bound, seed=seed, dtype=dtype)


def kaiming_normal(
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """He et al. (2015): ``N(0, std^2)`` with ``std = gain / sqrt(fan)`` (see kaiming_uniform).

    For ReLU and ``mode="fan_in"``: ``Var(W) = 2 / D_in``, which keeps ``E[x^2]`` constant
    from layer to layer.

    Defined in chapter 07 (Initialization).
    """
    fan = _fan(shape, mode, "kaiming_normal")
    a = a if a is None else _real("a", a)  # the leaky-ReLU slope, named as the caller knows it
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal(shape, 0.0, std, seed=seed, dtype=dtype)


def torch_default(
    shape: Shape,
    *,
    fan_in: int | None = None,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """torch.nn.Linear's default: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weight *and* bias.

    For the weight this is ``kaiming_uniform(a=sqrt(5))``; for the bias of shape ``(D_out,)``
    pass the layer's ``fan_in`` (an integer >= 1).

    Defined in chapter 07 (Initialization).
    """
    shape = _shape(shape)
    if fan_in is None:
        fan_in = fans(shape)[0]
    else:  # a count of inputs: True, 2.5, "3" or NaN are mistakes
        fan_in = int(check_scalar("fan_in", fan_in, low=1, integer=True))
    if fan_in <= 0:
        raise ValueError(f"fan_in must be > 0, got {fan_in}")
    bound = 1.0 / math.sqrt(fan_in)
    return uniform(shape, -bound, bound, seed=seed, dtype=dtype)


#: Aliases under the other common names.
glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
he_uniform = kaiming_uniform
he_normal = kaiming_normal
