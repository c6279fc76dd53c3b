"""Gradient checking: compare backprop's gradients with two-sided finite differences.

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2h)          error O(h^2)

and report the relative error ``||g_analytic - g_numeric|| / (||g_analytic|| + ||g_numeric||)``
against the book's thresholds:

==================  ==========================================================
``< 1e-7``          great: the gradient is right
``1e-7 .. 1e-5``    fine for most layers; look closer if there are no kinks
``1e-5 .. 1e-3``    suspicious
``>= 1e-3``         almost certainly a bug
==================  ==========================================================

Pitfalls the model-level check handles for you: it works on a float64 copy (in float32,
rounding alone gives a correct backward pass relative errors of about 1e-1 at the default
h = 1e-5, and chapter 08's ReLU network still shows 1e-3 to 1e-2 at h = 1e-3: near float32's
best step, about 5e-3 for a smooth function; larger steps cross ReLU kinks there), turns
dropout off (a new mask per evaluation is a different function), and includes the L1/L2
penalties in the objective.
Kinks (ReLU at 0) can still produce a rare large error; check after some training too, not
only at initialization.

Defined in chapter 08 (Gradient checking).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlnotes._validate import check_scalar, is_real
from dlnotes.layers import DropConnect, Dropout, Layer
from dlnotes.layers._base import seed_to_rng
from dlnotes.losses import get_loss, penalty

__all__ = [
    "GREAT",
    "WORRY",
    "GradcheckReport",
    "LowPrecisionWarning",
    "check_layer",
    "check_model",
    "numerical_gradient",
    "numerical_gradient_array",
    "relative_error",
    "verdict",
]

#: Below this relative error a gradient is "great".
GREAT = 1e-7
#: Between ``GREAT`` and this value it is "fine"; between this and ``WORRY`` "suspicious".
OK = 1e-5
#: At or above this relative error there is almost certainly a bug.
WORRY = 1e-3


class LowPrecisionWarning(UserWarning):
    """:func:`numerical_gradient` was given a float32 (or float16) ``x``: the rounding error of
    ``f`` divided by ``2h`` swamps the difference quotient, so a correct gradient gets a
    "suspicious" or "bug?" verdict. Chapter 08 shows it on purpose; silence it there with
    ``warnings.simplefilter("ignore", LowPrecisionWarning)``.

    Defined in chapter 08 (Gradient checking).
    """


def _warn_low_precision(x: np.ndarray, *, stacklevel: int) -> None:
    """Warn (:class:`LowPrecisionWarning`) when ``x`` is less precise than float64."""
    if x.dtype.kind == "f" and np.finfo(x.dtype).eps > np.finfo(np.float64).eps:
        warnings.warn(
            f"x is {x.dtype}: finite differences need float64 (see chapter 08); in {x.dtype} "
            "rounding alone can give a correct gradient a 'suspicious' or 'bug?' verdict. "
            "Check float64 copies of the parameters and inputs (check_layer and check_model "
            "make them for you)",
            LowPrecisionWarning,
            stacklevel=stacklevel + 1,
        )


def _check_h(h: float) -> float:
    return check_scalar("h", h, low=0.0, low_inclusive=False)


def _check_zero_tol(zero_tol: float) -> float:
    return check_scalar("zero_tol", zero_tol, low=0.0)


def _check_x(x: Any) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError("x must be a floating-point numpy array (it is perturbed in place)")
    if not x.flags.writeable:
        raise ValueError("x must be writeable (it is perturbed in place), got a read-only array")
    if x.size == 0:
        raise ValueError(
            f"x must hold at least one entry to perturb, got an empty array of shape {x.shape}"
        )
    return x


def _check_f(f: Any, returns: str) -> None:
    """Require a callable ``f`` (a function of ``x`` returning ``returns``)."""
    if not callable(f):
        raise TypeError(f"f must be callable as f(x) -> {returns}, got {type(f).__name__} {f!r}")


def _scalar_value(f: Callable[[np.ndarray], Any], x: np.ndarray) -> float:
    """``float(f(x))``, or a clear error when ``f`` does not return one real number."""
    value = f(x)
    if isinstance(value, (tuple, list)):
        raise TypeError(
            f"f must return a scalar (the loss), got a {type(value).__name__} of {len(value)} "
            "values; dlnotes' losses return (loss, gradient): pass a function that keeps the "
            "loss, e.g. numerical_gradient(lambda W: softmax_cross_entropy(X @ W, y)[0], W)"
        )
    if isinstance(value, (bool, np.bool_)) or getattr(value, "dtype", None) == np.bool_:
        raise TypeError(f"f must return a real scalar (the loss), got the bool {value!r}")
    if isinstance(value, (str, bytes)) or np.size(value) != 1:
        shape = np.shape(value) if not isinstance(value, (str, bytes)) else type(value).__name__
        raise TypeError(
            f"f must return a scalar (the loss), got {type(value).__name__} of shape {shape}; "
            "for an array-valued f use numerical_gradient_array(f, x, dout)"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"f must return a real scalar (the loss), got {type(value).__name__} {value!r}"
        ) from None


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, *, h: float = 1e-5
) -> np.ndarray:
    """Two-sided numerical gradient of a scalar function at ``x``.

    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)``. ``x`` is perturbed *in place* (one entry
    at a time, restored exactly afterwards), so ``f`` may read ``x`` through a closure, e.g. when
    ``x`` is a layer's weight. Use float64: in float32 the rounding error of ``f`` divided by
    ``2h`` swamps the result, and a float32 or float16 ``x`` gets a :class:`LowPrecisionWarning`.
    Costs ``2 x.size`` evaluations of ``f``.

    ``f`` must return one real number: a function returning ``(loss, gradient)``, as the losses
    of :mod:`dlnotes.losses` do, is refused (wrap it: ``lambda W: loss_fn(...)[0]``; taking the
    first entry silently would also take the wrong one of a ``(gradient, loss)`` pair). ``x``
    must be a non-empty, contiguous float array.

    Defined in chapter 08 (Gradient checking).
    """
    _check_f(f, "a real scalar (the loss)")
    x = _check_x(x)
    h = _check_h(h)
    _warn_low_precision(x, stacklevel=2)
    return _numerical_gradient(f, x, h)


def _numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """:func:`numerical_gradient` after its checks."""
    grad = np.zeros(x.shape, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        try:
            f_at = []  # f(x + h e_i), f(x - h e_i)
            for sign in (1, -1):
                flat[i] = old + sign * h
                if flat[i] == old:
                    raise ValueError(
                        f"h = {h:g} is below the precision of x (dtype {x.dtype}) at flat index "
                        f"{i}, where x = {old}: x {'+' if sign > 0 else '-'} h == x, so the "
                        "difference quotient would be 0. Use a float64 x or a larger h"
                    )
                f_at.append(_scalar_value(f, x))
        finally:  # x is the caller's array: put the entry back even when f raises
            flat[i] = old
        gflat[i] = (f_at[0] - f_at[1]) / (2 * h)
    return grad


def _check_input(X: Any) -> np.ndarray:
    """The input ``X`` of a layer or model check as a new float64 array: real-valued, finite and
    non-empty (a complex ``X`` would lose its imaginary part, and a NaN makes every verdict
    ``bug?`` on a correct layer)."""
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"X must be a real-valued array (the input batch), got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"X must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("X must be finite (the input batch), got inf or NaN entries")
    return np.array(arr, dtype=np.float64)


def _check_dout(dout: Any) -> np.ndarray:
    """The upstream gradient ``dout`` as a float64 array: real-valued and finite."""
    dout_arr = np.asarray(dout)
    if dout_arr.dtype.kind not in "biuf":
        raise TypeError(
            f"dout must be a real-valued array (the upstream gradient), got dtype {dout_arr.dtype}"
        )
    if not np.all(np.isfinite(dout_arr)):
        raise ValueError("dout must be finite (the upstream gradient), got inf or NaN entries")
    return dout_arr.astype(np.float64)


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, *, h: float = 1e-5
) -> np.ndarray:
    """Numerical ``dL/dx`` for an array-valued ``out = f(x)`` and upstream ``dout = dL/dout``.

    ``grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h)``: the gradient of the scalar
    ``L = sum(f(x) * dout)``, which is exactly what a layer's backward computes. ``x`` is
    perturbed in place as in :func:`numerical_gradient` (and warned about in float32 as there).

    Defined in chapter 08 (Gradient checking).
    """
    _check_f(f, "an array of dout's shape")
    dout = _check_dout(dout)
    x = _check_x(x)
    h = _check_h(h)
    _warn_low_precision(x, stacklevel=2)

    def scalar(z: np.ndarray) -> float:
        out = np.asarray(f(z))
        if out.dtype.kind not in "biuf":
            raise TypeError(f"f must return a real-valued array, got dtype {out.dtype}")
        if out.shape != dout.shape:
            raise ValueError(f"f(x) has shape {out.shape} but dout has shape {dout.shape}")
        return float(np.sum(out * dout))

    return _numerical_gradient(scalar, x, h)


def _real_array(name: str, x: Any) -> np.ndarray:
    """``x`` as a float64 array; a complex, string or object array is refused (converting a
    complex gradient would silently drop its imaginary part)."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real-valued array (a gradient), got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b||_2 / (||a||_2 + ||b||_2)`` (0 when both are 0): scale-free, in ``[0, 1]``.

    ``a`` and ``b`` are real-valued arrays (or numbers) of one shape; complex ones are refused.

    Defined in chapter 08 (Gradient checking).
    """
    a = _real_array("a", a)
    b = _real_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        denom = np.linalg.norm(a) + np.linalg.norm(b)
        num = np.linalg.norm(a - b)
    if not (0 < denom < np.inf and num < np.inf):
        # the squares under- or overflowed (entries near 1e-170 or 1e170): rescale first
        scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
        if scale == 0:
            return 0.0
        if not np.isfinite(scale):
            return math.nan
        a, b = a / scale, b / scale
        denom, num = np.linalg.norm(a) + np.linalg.norm(b), np.linalg.norm(a - b)
    return float(num / denom)


def verdict(error: float) -> str:
    """``"great"`` (< 1e-7), ``"fine"`` (< 1e-5), ``"suspicious"`` (< 1e-3) or ``"bug?"``.

    Defined in chapter 08 (Gradient checking).
    """
    if not is_real(error):
        raise TypeError(f"error must be a real number (a relative error), got {error!r}")
    if not np.isfinite(error):
        return "bug?"
    if error < 0:
        raise ValueError(f"error must be >= 0 (a relative error), got {error!r}")
    if error < GREAT:
        return "great"
    if error < OK:
        return "fine"
    if error < WORRY:
        return "suspicious"
    return "bug?"


@dataclass
class GradcheckReport:
    """One row per checked array: ``name``, ``shape``, ``checked`` (entries compared),
    ``error`` (relative error) and ``verdict`` (:func:`verdict`, or ``"zero"`` when both
    gradients vanish).

    Defined in chapter 08 (Gradient checking).
    """

    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def max_error(self) -> float:
        """The worst relative error over all rows; NaN when any row's error is NaN (its
        gradient is NaN: the worst possible verdict, which Python's ``max`` would skip)."""
        errors = [float(r["error"]) for r in self.rows]
        if any(math.isnan(e) for e in errors):
            return math.nan
        return max(errors, default=0.0)

    def passed(self, threshold: float = GREAT) -> bool:
        """True when every row's relative error is below ``threshold``."""
        return all(r["error"] < threshold for r in self.rows)

    def __str__(self) -> str:
        lines = [f"{'array':<14} {'shape':<14} {'checked':>7}  {'rel. error':>10}  verdict"]
        for r in self.rows:
            lines.append(
                f"{r['name']:<14} {r['shape']!s:<14} {r['checked']:>7}  "
                f"{r['error']:>10.2e}  {r['verdict']}"
            )
        return "\n".join(lines)

    def _add(
        self, name: str, analytic: np.ndarray, numeric: np.ndarray, shape: tuple, zero_tol: float
    ) -> None:
        if max(np.linalg.norm(analytic), np.linalg.norm(numeric)) < zero_tol:
            # both are rounding noise around a true zero (a bias followed by BatchNorm): the
            # relative error of two noise vectors is meaningless
            err, word = 0.0, "zero"
        else:
            err = relative_error(analytic, numeric)
            word = verdict(err)
        self.rows.append(
            {
                "name": name,
                "shape": shape,
                "checked": int(np.size(numeric)),
                "error": err,
                "verdict": word,
            }
        )


def _generators(obj: Any) -> list[tuple[np.random.Generator, Any]]:
    """Every Generator attribute of a layer or of a model's layers, with its current state."""
    layers = getattr(obj, "layers", [obj])
    gens = [
        v for layer in layers for v in vars(layer).values() if isinstance(v, np.random.Generator)
    ]
    return [(g, copy.deepcopy(dict(g.bit_generator.state))) for g in gens]


def _restore(gens: list[tuple[np.random.Generator, Any]]) -> None:
    for g, state in gens:
        g.bit_generator.state = copy.deepcopy(state)


def check_layer(
    layer: Layer,
    X: np.ndarray,
    dout: np.ndarray | None = None,
    *,
    h: float = 1e-5,
    seed: int | np.random.Generator | None = 2718,
    zero_tol: float = 1e-8,
) -> GradcheckReport:
    """Check a module's ``backward`` (``dX`` and every parameter gradient) in float64.

    ``layer`` must be a :class:`~dlnotes.layers.Layer` (a whole model: :func:`check_model`).
    Works on a float64 copy of ``layer`` in its current mode. ``dout`` is the upstream gradient
    (default: standard normal from ``seed``; it should not be a multiple of ``X`` or of the
    output, which can make the true gradient nearly vanish and the relative error meaningless).
    Rows where both gradients have a norm below ``zero_tol`` are reported as ``"zero"`` with
    error 0 (see :func:`check_model`). Randomness inside the layer (dropout masks) is
    frozen: every evaluation reuses the mask of the analytic pass.

    Defined in chapter 08 (Gradient checking).
    """
    if not isinstance(layer, Layer):
        model = hasattr(layer, "layers")
        hint = "check_model(model, X, y)" if model else "numerical_gradient_array(f, X, dout)"
        raise TypeError(
            f"layer must be a dlnotes Layer (e.g. Linear(3, 2)) with forward and backward, got "
            f"{type(layer).__name__}; for this use {hint}"
        )
    h = _check_h(h)
    zero_tol = _check_zero_tol(zero_tol)
    layer = copy.deepcopy(layer)
    layer.astype(np.float64)
    layer.index = None
    X = _check_input(X)
    gens = _generators(layer)
    out = layer.forward(X)
    if dout is None:
        dout = seed_to_rng(seed).standard_normal(out.shape)
    dout = _check_dout(dout)
    dX = layer.backward(dout)
    analytic = [g.copy() for g in layer.grads]

    def run(_: np.ndarray) -> np.ndarray:
        _restore(gens)
        return layer.forward(X)

    report = GradcheckReport()
    assert dX is not None
    report._add("X", dX, numerical_gradient_array(run, X, dout, h=h), X.shape, zero_tol)
    for name, p, g in zip(layer.param_names, layer.params, analytic):
        report._add(name, g, numerical_gradient_array(run, p, dout, h=h), p.shape, zero_tol)
    return report


def check_model(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: Any = "softmax_cross_entropy",
    l2: float = 0.0,
    l1: float = 0.0,
    h: float = 1e-5,
    num_checks: int | None = 20,
    seed: int | np.random.Generator | None = 0,
    zero_tol: float = 1e-8,
) -> GradcheckReport:
    """Per-parameter gradient check of a whole :class:`~dlnotes.model.Sequential`.

    The objective is ``J = loss(model(X), y) + (l2/2) sum ||W||^2 + l1 sum |W|`` (penalties on
    ``model.weights``), evaluated on a float64 copy in train mode with every Dropout and
    DropConnect switched off (BatchNorm keeps using batch statistics). For each parameter,
    ``num_checks`` random entries (all entries when None or when the parameter is smaller) are
    compared; the report has one row per parameter named as ``model.param_names``. The model
    itself is untouched.

    A parameter whose true gradient is zero (the bias of a Linear followed by BatchNorm, which
    subtracts it away) has an analytic and a numerical gradient that are both rounding noise;
    their relative error means nothing, so when both norms are below ``zero_tol`` the row says
    ``"zero"`` with error 0.

    ``h`` must be > 0, ``num_checks`` an integer >= 1 (or None), ``l2``, ``l1`` and ``zero_tol``
    reals >= 0; anything else is refused before the model is copied.

    Defined in chapter 08 (Gradient checking).
    """
    # over 80 lines: 19 of them are the docstring; the check itself is one loop over the parameters.
    h = _check_h(h)
    zero_tol = _check_zero_tol(zero_tol)
    if num_checks is not None:
        num_checks = int(check_scalar("num_checks", num_checks, low=1, integer=True))
    l2 = check_scalar("l2", l2, low=0.0)
    l1 = check_scalar("l1", l1, low=0.0)
    rng = seed_to_rng(seed)
    loss_fn = get_loss(loss)
    if not (hasattr(model, "astype") and hasattr(model, "layers")):
        raise TypeError(f"model must be a dlnotes Sequential, got {type(model).__name__}")
    net = model.astype(np.float64)
    net.train()
    for layer in net.layers:
        if isinstance(layer, (Dropout, DropConnect)):
            layer.eval()
    X = _check_input(X)
    gens = _generators(net)

    def objective() -> float:
        _restore(gens)
        value, _ = loss_fn(net.forward(X), y)
        return value + penalty(net.weights, l2=l2, l1=l1)[0]

    _restore(gens)
    _, dout = loss_fn(net.forward(X), y)
    net.backward(dout)
    grads = [g.copy() for g in net.grads]
    _, pgrads = penalty(net.weights, l2=l2, l1=l1)
    if pgrads is not None:
        k = 0
        for i, penalized in enumerate(net.penalized):
            if penalized:
                grads[i] = grads[i] + pgrads[k]
                k += 1

    report = GradcheckReport()
    for name, p, g in zip(net.param_names, net.params, grads):
        flat = p.reshape(-1)
        if num_checks is None or flat.size <= num_checks:
            idx = np.arange(flat.size)
        else:
            idx = np.sort(rng.choice(flat.size, size=int(num_checks), replace=False))
        numeric = np.empty(len(idx))
        for j, i in enumerate(idx):
            old = flat[i]
            flat[i] = old + h
            f_plus = objective()
            flat[i] = old - h
            f_minus = objective()
            flat[i] = old
            numeric[j] = (f_plus - f_minus) / (2 * h)
        report._add(name, g.reshape(-1)[idx], numeric, p.shape, zero_tol)
    return report
