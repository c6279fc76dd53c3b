"""Closed forms on quadratic bowls: how fast a method converges, and where SGD's noise leaves it.

On ``f(x) = ½ xᵀ A x`` every method of Part I is linear in the error, so along each
eigen-direction of ``A`` (curvature ``λ``) the error evolves on its own. That turns runs of
millions of steps into one formula:

* gradient descent multiplies the error by ``1 − αλ`` per step (:func:`gd_steps_to_target`);
* heavy ball's error obeys ``e_{t+1} = (1 + ρ − αλ) e_t − ρ e_{t−1}``, so it shrinks like the
  largest root of ``z² − (1 + ρ − αλ) z + ρ`` (:func:`heavy_ball_roots`, :func:`heavy_ball_rate`,
  :func:`optimal_heavy_ball`);
* SGD with a constant step settles at a noise floor (:func:`noise_floor`).

Defined in chapters 01 (steps to a target), 04 (heavy ball), 06 and 14 (noise floors).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes._validate import as_float_array, check_scalar
from dlnotes.landscapes.surfaces import Quadratic

__all__ = [
    "gd_steps_to_target",
    "heavy_ball_rate",
    "heavy_ball_roots",
    "noise_floor",
    "optimal_heavy_ball",
]


def gd_steps_to_target(
    quad: Quadratic,
    lr: float,
    *,
    x0: Any = None,
    target: float = 1e-6,
    max_steps: int = 10**6,
) -> int:
    """Gradient-descent steps from ``x0`` until ``f − f* ≤ target · (f(x0) − f*)``.

    ``x0`` (shape ``(d,)``) defaults to the origin, where chapter 01's weights start; it must not
    be the minimizer (then there is no gap to shrink, and every ``lr``, even an unstable one,
    would need 0 steps: a ValueError says so). Uses the closed form on the eigen-directions of
    ``A`` (``x_t − x*`` shrinks by ``(1 − αλ_i)^t`` along eigenvector ``i``), so even millions of
    steps cost nothing. Returns ``max_steps`` when the target is not reached by then (or the run
    diverges).

    Defined in chapter 01 (Setting up a learning problem).
    """
    if not isinstance(quad, Quadratic) or quad.minimizer is None or quad.eigenvalues[0] <= 0:
        raise ValueError("quad must be a Quadratic with a positive-definite A")
    lr = check_scalar("lr", lr, low=0.0, low_inclusive=False)
    target = check_scalar("target", target, low=0.0, low_inclusive=False)
    max_steps = int(check_scalar("max_steps", max_steps, low=1, integer=True))
    start = np.zeros(quad.dim) if x0 is None else as_float_array("x0", x0, shape=(quad.dim,))
    if not np.all(np.isfinite(start)):
        raise ValueError(f"x0 must be finite, got {start.tolist()}")
    lam, V = np.linalg.eigh(quad.A)
    c = V.T @ (start - quad.minimizer)  # eigen-coordinates of x_0 − x*
    gap0 = 0.5 * float(np.sum(lam * c**2))
    if gap0 == 0:
        where = "the origin (the default x0)" if x0 is None else f"x0 = {start.tolist()}"
        raise ValueError(
            f"{where} is the minimizer of quad: f(x0) − f* = 0, so there is no gap to shrink "
            "and no step count to find; pass an x0 away from quad.minimizer"
        )
    factors = np.abs(1.0 - lr * lam)
    if np.any(factors >= 1.0):
        return max_steps

    def gap(t: int) -> float:
        return 0.5 * float(np.sum(lam * c**2 * factors ** (2 * t)))

    if gap(max_steps) > target * gap0:
        return max_steps
    lo, hi = 0, max_steps  # gap(lo) > target, gap(hi) <= target; the gap decreases with t
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if gap(mid) <= target * gap0:
            hi = mid
        else:
            lo = mid
    return hi


def heavy_ball_roots(lr: float, rho: float, curvature: float) -> np.ndarray:
    """The two roots ``z`` of ``z² − (1 + ρ − αλ) z + ρ = 0`` (complex array of shape ``(2,)``).

    Along an eigen-direction with curvature ``λ`` the heavy-ball error obeys
    ``e_{t+1} = (1 + ρ − αλ) e_t − ρ e_{t−1}``, so it shrinks like ``max |z|^t``; complex roots
    (``|z| = √ρ``) mean the error oscillates.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    lr = check_scalar("lr", lr, low=0.0)
    rho = check_scalar("rho", rho, low=0.0, high=1.0, high_inclusive=False)
    curvature = check_scalar("curvature", curvature)
    b = 1.0 + rho - lr * curvature
    if not math.isfinite(b * b):  # |b| > 1e154: b² overflows; the roots are b and ρ/b
        small = complex(rho / b) if math.isfinite(b) else complex(-0.0 if b < 0 else 0.0)
        return np.array([complex(b), small] if b > 0 else [small, complex(b)])
    disc = complex(b * b - 4.0 * rho)
    root = disc**0.5
    return np.array([(b + root) / 2, (b - root) / 2])


def heavy_ball_rate(lr: Any, rho: Any, curvatures: Any) -> np.ndarray:
    """Heavy ball's rate: ``max |z|`` over both roots (:func:`heavy_ball_roots`) and all curvatures.

    ``lr`` and ``rho`` broadcast against each other (a whole ``(α, ρ)`` grid at once); the result
    has their broadcast shape. The error shrinks like ``rate^t``; ``rate ≥ 1`` diverges.
    Validated as :func:`heavy_ball_roots` validates one value: every ``lr`` finite and ``>= 0``,
    every ``rho`` in ``[0, 1)``, ``curvatures`` a non-empty 1-D array of finite numbers.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    lr_arr = as_float_array("lr", lr)
    rho_arr = as_float_array("rho", rho)
    if not np.all(np.isfinite(lr_arr) & (lr_arr >= 0)):
        raise ValueError(f"lr must be finite and >= 0, got {_first_bad(lr_arr, lr_arr >= 0)}")
    rho_ok = (rho_arr >= 0) & (rho_arr < 1)  # False for NaN
    if not np.all(rho_ok):
        raise ValueError(f"rho must be in [0, 1), got {_first_bad(rho_arr, rho_ok)}")
    lam = _curvatures(curvatures)
    try:
        lr_arr, rho_arr = np.broadcast_arrays(lr_arr, rho_arr)
    except ValueError:
        raise ValueError(
            f"lr (shape {lr_arr.shape}) and rho (shape {rho_arr.shape}) must broadcast against "
            "each other (equal shapes, or one a scalar; np.meshgrid makes a grid)"
        ) from None
    worst = np.zeros(lr_arr.shape)
    for curvature in lam:
        with np.errstate(over="ignore", invalid="ignore"):
            b = 1 + rho_arr - lr_arr * curvature
            b2 = b * b
            root = np.sqrt((b2 - 4 * rho_arr).astype(complex))
            here = np.maximum(abs((b + root) / 2), abs((b - root) / 2))
        # where b² overflows (|b| > 1e154) the roots are b and ρ/b: the rate is |b|
        here = np.where(np.isfinite(b2), here, np.abs(b))
        worst = np.maximum(worst, here)
    return worst


def _first_bad(values: np.ndarray, ok: np.ndarray) -> float:
    """The first of ``values`` that is not finite or not ``ok`` (for an error message)."""
    good = np.isfinite(values) & ok
    return float(values.reshape(-1)[np.argmin(good.reshape(-1))])


def _curvatures(curvatures: Any) -> np.ndarray:
    """``curvatures`` as a non-empty 1-D float array of finite numbers, or a ValueError."""
    lam = as_float_array("curvatures", curvatures, ndim=1)
    if lam.size == 0:
        raise ValueError("curvatures must hold at least one curvature, got []")
    if not np.all(np.isfinite(lam)):
        raise ValueError(f"curvatures must be finite, got {lam.tolist()}")
    return lam


def optimal_heavy_ball(kappa: float, L: float = 1.0) -> tuple[float, float]:
    """Polyak's best ``(α, ρ)`` for heavy ball on a quadratic with curvatures in ``[L/κ, L]``::

        α = 4 / (√L + √μ)²,   ρ = ((√κ − 1) / (√κ + 1))²,   rate √ρ = (√κ − 1) / (√κ + 1)

    Defined in chapter 04 (Momentum and Nesterov).
    """
    kappa = check_scalar("kappa", kappa, low=1.0)
    L = check_scalar("L", L, low=0.0, low_inclusive=False)
    mu = L / kappa
    sk = math.sqrt(kappa)
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, ((sk - 1) / (sk + 1)) ** 2


def noise_floor(lr: float, curvatures: Any, noise: Any, decay: float | None = None) -> float:
    """Stationary expected excess loss of constant-step SGD on a noisy quadratic.

    The loss is ``f(x) = ½ Σ_i λ_i x_i²`` in the eigen-coordinates (``curvatures`` = the λ_i,
    shape ``(d,)``) and each gradient is ``λ_i x_i + ξ_i`` with independent zero-mean noise of
    variance ``noise`` (``s_i²``: a scalar, or one value per direction; ``s_i`` is the noise's
    standard deviation, as in the book). With ``r_i = 1 − αλ_i`` each coordinate is an AR(1)
    process ``x_i ← r_i x_i − α ξ_i``; once the start is forgotten its variance is
    ``V_i = α s_i² / (λ_i (2 − αλ_i))``, so::

        E f(x_t) → Σ_i ½ λ_i V_i = Σ_i α s_i² / (2 (2 − αλ_i))

    For small ``α`` it is proportional to the learning rate. Chapter 06's mini-batch regression
    has ``s_i² = σ² λ_i / B``; chapter 14's noisy bowl ``s_i² = σ²``.

    With ``decay = β`` it returns instead the floor of the exponential moving average
    ``x̄ ← β x̄ + (1 − β) x`` of the iterates, whose variance is smaller by the factor
    ``(1 − β)/(1 + β) · (1 + r_i β)/(1 − r_i β)``. Requires ``0 < αλ_i < 2`` (stable SGD).
    Validated: ``curvatures`` non-empty, finite and positive; ``noise`` finite and ``>= 0``;
    ``lr`` and ``decay`` finite numbers in range.

    Defined in chapters 06 (Learning-rate schedules) and 14 (Ensembles and weight averaging).
    """
    lam = _curvatures(curvatures)
    if not np.all(lam > 0):
        raise ValueError(f"curvatures must be positive, got {lam.tolist()}")
    s = as_float_array("noise", noise)
    bad = not np.all(np.isfinite(s) & (s >= 0))
    if bad or s.ndim > 1 or (s.ndim == 1 and s.shape != lam.shape):
        raise ValueError(
            f"noise must be one finite variance >= 0 or one per curvature (shape {lam.shape}), "
            f"got {s.tolist()}"
        )
    lr = check_scalar("lr", lr, low=0.0, low_inclusive=False)
    if np.any(lr * lam >= 2):
        raise ValueError(
            f"lr must be below 2 / max(curvatures) = {2 / lam.max():g} for SGD to be stable, "
            f"got {lr}"
        )
    r = 1.0 - lr * lam
    variance = lr * s / (lam * (2.0 - lr * lam))
    if decay is not None:
        beta = check_scalar("decay", decay, low=0.0, high=1.0, high_inclusive=False)
        variance = variance * (1 - beta) / (1 + beta) * (1 + r * beta) / (1 - r * beta)
    return float(np.sum(0.5 * lam * variance))
