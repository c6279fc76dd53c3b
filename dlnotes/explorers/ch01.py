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
from dlnotes._validate import check_bool, check_scalar
from dlnotes.data import Standardizer
from dlnotes.landscapes import Quadratic, gd_steps_to_target, gradient_descent
from dlnotes.layers._base import seed_to_rng
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
    standardize = check_bool("standardize", standardize)
    rng = seed_to_rng(seed)
    z = rng.standard_normal((n, 2)) @ np.linalg.cholesky(np.array([[1.0, r], [r, 1.0]])).T
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    y = z @ np.array([1.5, -1.0]) + 0.5 * rng.standard_normal(n)
    X = (offset + z) * np.array([1.0, scale])
    if standardize:
        X = Standardizer().fit(X).transform(X)
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


#: The levels of the drawn level sets, as fractions of the start's gap ``f(0) − f*``.
RING_LEVELS = (1.0, 0.3, 0.1, 0.03, 0.01, 0.001)


def _relative_gaps(quad: Quadratic, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` of gradient descent with ``α = 1/L`` from ``w = 0``: the iterates, shape
    ``(steps + 1, 2)``, and their relative gaps ``(f(w_t) − f*) / (f(w_0) − f*)``."""
    W = gradient_descent(quad, np.zeros(2), 1.0 / quad.L, steps).xs
    gaps = quad.f(W) - quad.f_min
    return W, np.maximum(gaps / gaps[0], 1e-300)


def _frame(scale: float, offset: float, inputs: str, steps: int) -> dict[str, Any]:
    """What a frame of :func:`normalization_gd` shows, in the left panel's coordinates
    ``(w − w*) / R`` (``R`` the half-width of the outermost level set's box)."""
    quad, _, _ = two_feature_problem(scale, offset, standardize=inputs == "standardized")
    W, gaps = _relative_gaps(quad, steps)
    gap0 = float(quad.f(np.zeros(2)) - quad.f_min)
    rings = [_ellipse(quad, level * gap0) for level in RING_LEVELS]
    R = float(np.abs(rings[0] - quad.minimizer).max())  # half-width of the outer ring's box

    def view(points: np.ndarray) -> np.ndarray:
        return (points - quad.minimizer) / R

    kappa = quad.kappa
    need = gd_steps_to_target(quad, 1.0 / quad.L, target=TARGET)
    verdict = (
        f"gap < {TARGET:g} after {need} steps"
        if need <= steps
        else f"needs {need:,} steps for {TARGET:g}"
        if need < 10**6
        else f"needs over a million steps for {TARGET:g}"
    )
    return {
        "rings": [view(pts) for pts in rings],
        "path": view(W),
        "start": view(np.zeros((1, 2))),
        "gaps": gaps,
        # the inputs on the first line: standardized ones give the same picture for every
        # s and m, and the website's player over s must still show which s it is at
        "title": f"{inputs} inputs, s = {scale:.3g}, m = {offset:g}\nκ = {kappa:.3g}, α = 1/L, "
        f"R = {R:.2g}",
        "verdict": verdict,
        "status": f"{inputs} inputs, s = {scale:.3g}, m = {offset:g}: κ = {kappa:.3g}; {verdict}",
    }


#: Where :func:`normalization_gd` puts the right panel's legend: below the axes, in the
#: default font size (the gap curve runs through any corner of the panel at some setting).
def _setup(steps: int, reference_gaps: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`normalization_gd`: level sets and iterates (left), gaps (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high."""
    fig, (ax, ax2) = plots.two_panels((7, 4.2), widths=(1, 1.25))
    rings = [plots.moving_line(ax, color="0.55", lw=0.8) for _ in RING_LEVELS]
    path = plots.moving_line(ax, "-o", color=plots.COLORS["gd"], ms=2.5, lw=1.0)
    start = plots.start_marker(ax)
    star = plots.minimum_marker(ax)
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
    ts = np.arange(steps + 1)
    ax2.plot(ts, reference_gaps, color="0.6", ls="--", lw=1.4, label="standardized inputs")
    curve = plots.moving_line(ax2, color=plots.COLORS["gd"], lw=1.8, label="these inputs")
    plots.target_line(ax2, TARGET, ls=":")
    plots.log_axis(
        ax2,
        xlim=(0, steps),
        ylim=(1e-12, 2.0),
        ylabel=r"$(f(w_t) - f^\star) / (f(w_0) - f^\star)$",
    )
    plots.legend_below(ax2)
    plots.reserve_titles(fig, ax, ax2, text="κ\nκ")  # the left title has two lines
    state = {"ax": ax, "ax2": ax2, "rings": rings, "path": path, "start": start, "star": star}
    return fig, {**state, "curve": curve}


def _draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    for ring, pts in zip(st["rings"], frame["rings"]):
        ring.set_data(*pts.T)
    st["path"].set_data(*frame["path"].T)
    st["start"].set_data(*frame["start"].T)
    st["star"].set_data([0.0], [0.0])
    st["curve"].set_data(np.arange(len(frame["gaps"])), frame["gaps"])
    st["ax"].set_title(frame["title"], fontsize=10)
    st["ax2"].set_title(frame["verdict"], fontsize=10)


def normalization_gd(steps: int = STEPS) -> Explorer:
    """Explorer: gradient descent with ``α = 1/L`` on two-feature least squares.

    Controls: the unit of feature 2 (scale ``s``), the mean ``m`` of both features, and whether
    the inputs are standardized. Left: level sets of ``f`` (ellipses) and the ``steps`` iterates
    from ``w = 0``; right: the relative gap ``(f(w_t) − f*) / (f(w_0) − f*)`` on a log scale,
    with the standardized run in grey for comparison.

    Defined in chapter 01 (Setting up a learning problem).
    """
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
    reference_quad, _, _ = two_feature_problem(standardize=True)
    _, reference_gaps = _relative_gaps(reference_quad, steps)

    return Explorer(
        title="Feature units, conditioning and gradient descent",
        controls=controls,
        setup=lambda: _setup(steps, reference_gaps),
        compute=lambda scale, offset, inputs: _frame(scale, offset, inputs, steps),
        draw=_draw,
        caption=(
            "Least squares ŷ = w₁x₁ + w₂x₂ with x = (m + z)·(1, s), gradient descent with α = 1/L "
            "from w = 0. Grey dashed: the same data standardized."
        ),
    )
