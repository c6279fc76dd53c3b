"""Bayesian optimization in one dimension: a Gaussian-process model of the score and the
expected-improvement rule that picks the next trial.

Random search and successive halving (:mod:`dlnotes.tuning`) never look at the scores when they
choose *where* to try next. Bayesian optimization does {cite}`snoek2012`: it fits a model of the
score :math:`f(x)` to the trials so far and tries next where the model expects the most
improvement over the best score :math:`f^*` seen yet. The model here is a Gaussian process with
the squared-exponential kernel

.. math:: k(x, x') = \\exp\\!\\left(-\\frac{(x - x')^2}{2\\ell^2}\\right),

whose posterior at query points :math:`x_*`, given trials :math:`(X, y)` with the scores
standardized to mean 0 and standard deviation 1, is

.. math::

    \\mu(x_*) = k_*^\\top (K + \\sigma_n^2 I)^{-1} y, \\qquad
    s^2(x_*) = 1 - k_*^\\top (K + \\sigma_n^2 I)^{-1} k_*,

and the expected improvement of a query, for a score to *minimize*, is

.. math:: \\mathrm{EI}(x) = \\mathbb{E}[\\max(f^* - f(x), 0)]
          = (f^* - \\mu)\\,\\Phi(z) + s\\,\\varphi(z), \\qquad z = \\frac{f^* - \\mu}{s}.

Teaching code: one dimension, a fixed length scale, candidates from a finite set (a grid of
:math:`\\log_{10}` learning rates in the book). Defined in chapter 13 (Hyperparameter tuning).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dlnotes._validate import check_scalar
from dlnotes.layers._base import seed_to_rng

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """:math:`\\Phi(z) = (1 + \\mathrm{erf}(z/\\sqrt 2))/2`, elementwise."""
    return 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))


def _real(name: str, a: object) -> np.ndarray:
    """``a`` as a float64 array; complex, string and object values are refused (a cast to
    float would drop an imaginary part with only a warning)."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def _vector(name: str, a: object) -> np.ndarray:
    arr = _real(name, a)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of numbers, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def rbf_kernel(a: np.ndarray, b: np.ndarray, length_scale: float) -> np.ndarray:
    """The squared-exponential kernel matrix, shape ``(len(a), len(b))``:
    :math:`K_{ij} = \\exp(-(a_i - b_j)^2 / (2\\ell^2))`."""
    a, b = _vector("a", a), _vector("b", b)
    ell = check_scalar("length_scale", length_scale, low=0.0, low_inclusive=False)
    return np.exp(-((a[:, None] - b[None, :]) ** 2) / (2.0 * ell**2))


def gp_posterior(
    x: np.ndarray,
    y: np.ndarray,
    x_query: np.ndarray,
    *,
    length_scale: float,
    noise: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian-process posterior mean and standard deviation at ``x_query``.

    ``x``, ``y``: the trials so far, shape ``(n,)`` each; ``x_query``: shape ``(q,)``. The
    scores are standardized first (a constant ``y`` gets scale 1), so the prior has the
    trials' mean and spread; ``noise`` is the variance :math:`\\sigma_n^2` added to the diagonal
    (a small jitter for a deterministic score). Returns ``(mu, s)`` in the units of ``y``, each
    shape ``(q,)``; ``s`` is 0 (up to the jitter) at a trial and tends to ``y``'s spread far
    from every trial.
    """
    x, y, xq = _vector("x", x), _vector("y", y), _vector("x_query", x_query)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    noise = check_scalar("noise", noise, low=0.0)
    y_mean, y_std = y.mean(), y.std()
    y_std = y_std if y_std > 0 else 1.0
    z = (y - y_mean) / y_std
    K = rbf_kernel(x, x, length_scale) + (noise + 1e-10) * np.eye(x.size)
    K_star = rbf_kernel(x, xq, length_scale)  # (n, q)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, z))
    v = np.linalg.solve(L, K_star)
    mu = K_star.T @ alpha
    var = np.clip(1.0 - np.sum(v * v, axis=0), 0.0, None)
    return y_mean + y_std * mu, y_std * np.sqrt(var)


def expected_improvement(mu: np.ndarray, s: np.ndarray, best: float) -> np.ndarray:
    """:math:`\\mathrm{EI} = (f^* - \\mu)\\Phi(z) + s\\varphi(z)`, :math:`z = (f^* - \\mu)/s`,
    for a score to minimize with best-so-far ``best``; where ``s`` is 0 it is
    :math:`\\max(f^* - \\mu, 0)`. ``mu``, ``s``: same shape; returns that shape, all ≥ 0."""
    mu, s = _real("mu", mu), _real("s", s)
    if mu.shape != s.shape:
        raise ValueError(f"mu and s must have the same shape, got {mu.shape} and {s.shape}")
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(s))):
        raise ValueError("mu and s must be finite (a posterior mean and standard deviation)")
    if np.any(s < 0):
        raise ValueError("s (a standard deviation) must be ≥ 0")
    best = check_scalar("best", best)
    gain = best - mu
    safe = np.where(s > 0, s, 1.0)
    z = gain / safe
    ei = gain * _normal_cdf(z) + s * np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi)
    return np.where(s > 0, np.maximum(ei, 0.0), np.maximum(gain, 0.0))


@dataclass
class BayesOptRun:
    """The trials of :func:`bayesian_optimization`, in order: ``x`` and ``y`` (lists); the
    first ``n_init`` were drawn at random, each later one chosen by the model of all before it."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    n_init: int = 0

    @property
    def best(self) -> tuple[float, float]:
        """``(x, y)`` of the lowest score."""
        if not self.y:
            raise ValueError("this run has no trials yet, so no best one")
        i = int(np.argmin(self.y))
        return self.x[i], self.y[i]


def bayesian_optimization(
    objective: Callable[[float], float],
    candidates: np.ndarray,
    *,
    n_trials: int,
    n_init: int = 3,
    length_scale: float = 0.4,
    seed: int | np.random.Generator | None = 0,
) -> BayesOptRun:
    """Minimize ``objective`` over the finite set ``candidates`` (shape ``(c,)``) in
    ``n_trials`` calls: ``n_init`` candidates drawn at random (no repeats, from ``seed``), then
    each next trial the untried candidate of largest :func:`expected_improvement` under the
    :func:`gp_posterior` of the trials so far. ``objective`` must return a finite real number
    (complex and string results are refused); ``seed`` is an int >= 0, a Generator or None."""
    cand = _vector("candidates", candidates)
    if np.unique(cand).size != cand.size:
        values, counts = np.unique(cand, return_counts=True)
        raise ValueError(
            f"candidates must be distinct (each is tried at most once), got "
            f"{float(values[np.argmax(counts)])!r} {int(counts.max())} times"
        )
    length_scale = check_scalar("length_scale", length_scale, low=0.0, low_inclusive=False)
    n_trials = int(check_scalar("n_trials", n_trials, low=1, integer=True))
    n_init = int(check_scalar("n_init", n_init, low=1, integer=True))
    if n_trials > cand.size or n_init > n_trials:
        raise ValueError(
            f"need n_init ≤ n_trials ≤ len(candidates), got {n_init}, {n_trials}, {cand.size}"
        )
    rng = seed_to_rng(seed)
    tried = list(rng.choice(cand.size, size=n_init, replace=False))
    run = BayesOptRun(n_init=n_init)

    def call(i: int) -> None:
        x = float(cand[i])
        value = objective(x)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        value = check_scalar(f"objective({x!r})", value)  # one finite number
        run.x.append(float(cand[i]))
        run.y.append(value)

    for i in tried:
        call(int(i))
    while len(run.x) < n_trials:
        mu, s = gp_posterior(np.array(run.x), np.array(run.y), cand, length_scale=length_scale)
        ei = expected_improvement(mu, s, min(run.y))
        ei[tried] = -np.inf
        i = int(np.argmax(ei))
        tried.append(i)
        call(i)
    return run
