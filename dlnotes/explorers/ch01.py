"""Chapter 01's explorer: how the units of the input features shape gradient descent.

A least-squares model without bias, ``ŷ = X w`` with two features, is fitted by gradient
descent. Measuring a feature in other units (scale ``s``) or giving both features a mean
``m`` changes the Hessian ``XᵀX / N`` and so the condition number; standardizing the inputs
undoes both.

Defined in chapter 01 (Setting up a learning problem).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import check_scalar
from dlnotes.landscapes import Quadratic, gd_steps_to_target
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["normalization_gd"]

__all__ = ["EXPLORERS", "normalization_gd", "two_feature_problem"]

#: Gradient-descent steps shown by the explorer, and the target for the relative gap.
STEPS = 100
TARGET = 1e-6


def two_feature_problem(
    scale: float = 1.0,
    offset: float = 0.0,
    *,
    standardize: bool = False,
    n: int = 200,
    r: float = 0.5,
    seed: int = 0,
) -> tuple[Quadratic, np.ndarray, np.ndarray]:
    """Least squares ``f(w) = (1/2N) ‖X w − y‖²`` on two features, as a :class:`Quadratic`.

    Standardized features ``z`` (shape ``(n, 2)``, sample mean 0, sample std 1, correlation
    close to ``r``) and the target ``y = 1.5 z₁ − z₂ + 0.5 ε`` are drawn from ``seed``. The raw
    features are ``x = (m + z) · (1, s)``: both have mean ``m`` (``offset``) before feature 2 is
    measured in units ``s`` times smaller (``scale``). With ``standardize=True`` the features
    are standardized with their own statistics, which gives back ``z`` whatever ``s`` and ``m``.

    The quadratic has ``A = XᵀX / N`` (the Hessian), ``b = Xᵀy / N`` and ``c = yᵀy / (2N)``.
    Returns ``(quadratic, X, y)``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    scale = check_scalar("scale", scale, low=0.0, low_inclusive=False)
    offset = check_scalar("offset", offset)
    n = int(check_scalar("n", n, low=3, integer=True))
    r = check_scalar("r", r, low=-1.0, high=1.0, low_inclusive=False, high_inclusive=False)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2)) @ np.linalg.cholesky(np.array([[1.0, r], [r, 1.0]])).T
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    y = z @ np.array([1.5, -1.0]) + 0.5 * rng.standard_normal(n)
    X = (offset + z) * np.array([1.0, scale])
    if standardize:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    quad = Quadratic(X.T @ X / n, X.T @ y / n, float(y @ y) / (2 * n))
    return quad, X, y


def _minimizer(quad: Quadratic) -> np.ndarray:
    if not isinstance(quad, Quadratic) or quad.minimizer is None or quad.eigenvalues[0] <= 0:
        raise ValueError("quad must be a Quadratic with a positive-definite A")
    return quad.minimizer


def _ellipse(quad: Quadratic, level: float, npts: int = 120) -> np.ndarray:
    """Points with ``f(w) − f* = level``: ``w* + V diag(sqrt(2 level / λ)) (cos θ, sin θ)``."""
    lam, V = np.linalg.eigh(quad.A)
    theta = np.linspace(0.0, 2 * np.pi, npts)
    circle = np.stack([np.cos(theta), np.sin(theta)])
    return (_minimizer(quad)[:, None] + V @ (np.sqrt(2 * level / lam)[:, None] * circle)).T


def normalization_gd(steps: int = STEPS) -> Explorer:
    """Explorer: gradient descent with ``α = 1/L`` on two-feature least squares.

    Controls: the unit of feature 2 (scale ``s``), the mean ``m`` of both features, and whether
    the inputs are standardized. Left: level sets of ``f`` (ellipses) and the ``steps`` iterates
    from ``w = 0``; right: the relative gap ``(f(w_t) − f*) / (f(w_0) − f*)`` on a log scale,
    with the standardized run in grey for comparison.

    Defined in chapter 01 (Setting up a learning problem).
    """
    import matplotlib.pyplot as plt

    controls = [
        Control(
            "scale",
            "s (unit of x₂)",
            [0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 8.0],
            default=1.0,
            log=True,
            fmt=".3g",
        ),
        Control("offset", "m (mean of both features)", [0, 0.25, 0.5, 1, 1.5, 2, 3], default=0),
        Control("inputs", "inputs", ["raw", "standardized"], default="raw", choices=True),
    ]
    ts = np.arange(steps + 1)

    def relative_gaps(quad: Quadratic) -> tuple[np.ndarray, np.ndarray]:
        lr = 1.0 / quad.L
        w = np.zeros(2)
        ws = [w]
        for _ in range(steps):
            w = w - lr * (quad.A @ w - quad.b)
            ws.append(w)
        W = np.array(ws)
        gaps = quad.f(W) - quad.f_min
        return W, np.maximum(gaps / gaps[0], 1e-300)

    reference_quad, _, _ = two_feature_problem(standardize=True)
    _, reference_gaps = relative_gaps(reference_quad)

    def setup() -> tuple[Any, dict[str, Any]]:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(9, 3.8), gridspec_kw={"width_ratios": [1, 1.25]}
        )
        rings = [ax.plot([], [], color="0.55", lw=0.8, animated=True)[0] for _ in range(6)]
        (path,) = ax.plot([], [], "-o", color=plots.COLORS["gd"], ms=2.5, lw=1.0, animated=True)
        (start,) = ax.plot(
            [], [], "o", color=plots.COLORS["start"], ms=7, mec="white", animated=True
        )
        (star,) = ax.plot([], [], "*", color=plots.COLORS["minimum"], ms=11, animated=True)
        # The left panel shows w − w* divided by the size R of the outermost level set: a
        # shift and an isotropic rescaling, which keep every shape and angle, and fixed axes.
        ax.set_xlim(-1.1, 1.1)
        ax.set_ylim(-1.1, 1.1)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(r"$(w_1 - w_1^\star)/R$")
        ax.set_ylabel(r"$(w_2 - w_2^\star)/R$")
        ax.title.set_animated(True)
        ax2.plot(ts, reference_gaps, color="0.6", ls="--", lw=1.4, label="standardized inputs")
        (curve,) = ax2.plot(
            [], [], color=plots.COLORS["gd"], lw=1.8, label="these inputs", animated=True
        )
        plots.target_line(ax2, TARGET, ls=":")
        plots.log_axis(
            ax2,
            xlim=(0, steps),
            ylim=(1e-12, 2.0),
            ylabel=r"$(f(w_t) - f^\star) / (f(w_0) - f^\star)$",
        )
        ax2.legend(loc="lower right", frameon=False, fontsize=8)
        ax.set_title("κ", fontsize=10)  # placeholders: tight_layout keeps room for the titles
        ax2.set_title("κ", fontsize=10)
        fig.tight_layout()
        state = {
            "ax": ax,
            "ax2": ax2,
            "rings": rings,
            "path": path,
            "start": start,
            "star": star,
            "curve": curve,
        }
        return fig, state

    def update(st: dict[str, Any], scale: float, offset: float, inputs: str) -> str:
        quad, _, _ = two_feature_problem(scale, offset, standardize=inputs == "standardized")
        W, gaps = relative_gaps(quad)
        gap0 = float(quad.f(np.zeros(2)) - quad.f_min)
        rings = [_ellipse(quad, level * gap0) for level in (1.0, 0.3, 0.1, 0.03, 0.01, 0.001)]
        R = float(np.abs(rings[0] - quad.minimizer).max())  # half-width of the outer ring's box

        def view(points: np.ndarray) -> np.ndarray:
            return (points - quad.minimizer) / R

        for ring, pts in zip(st["rings"], rings):
            ring.set_data(*view(pts).T)
        st["path"].set_data(*view(W).T)
        st["start"].set_data(*view(np.zeros((1, 2))).T)
        st["star"].set_data([0.0], [0.0])
        st["curve"].set_data(ts, gaps)
        kappa = quad.kappa
        st["ax"].set_title(f"κ = {kappa:.3g}, α = 1/L, R = {R:.2g}", fontsize=10)
        need = gd_steps_to_target(quad, 1.0 / quad.L, target=TARGET)
        verdict = (
            f"gap < {TARGET:g} after {need} steps"
            if need <= steps
            else f"needs {need:,} steps for {TARGET:g}"
            if need < 10**6
            else f"needs over a million steps for {TARGET:g}"
        )
        st["ax2"].set_title(verdict, fontsize=10)
        return f"{inputs} inputs, s = {scale:.3g}, m = {offset:g}: κ = {kappa:.3g}; {verdict}"

    return Explorer(
        title="Feature units, conditioning and gradient descent",
        controls=controls,
        setup=setup,
        update=update,
        caption=(
            "Least squares ŷ = w₁x₁ + w₂x₂ with x = (m + z)·(1, s), gradient descent with α = 1/L "
            "from w = 0. Grey dashed: the same data standardized."
        ),
    )
