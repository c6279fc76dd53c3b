"""Chapter 09's explorer: overfitting and L2 regularization on a 1-D polynomial regression.

A degree-12 polynomial (Legendre features) is fitted to ``n`` noisy samples of a smooth curve by
ridge regression, the closed form of least squares with an L2 penalty. Everything is exact
linear algebra on a 13×13 system, so a redraw is instant.

Defined in chapter 09 (Regularization).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import NonFiniteInputError, as_float_array, check_scalar
from dlnotes.layers._base import seed_to_rng
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["ridge_regression"]

#: The λ grid of the explorer's error curves and static sweep (log-spaced).
LAMBDAS = np.geomspace(1e-8, 10.0, 19)
#: The training-set sizes of the explorer's static sweep.
SIZES = (8, 12, 16, 25, 40, 70, 120, 200)


def true_curve(x: np.ndarray) -> np.ndarray:
    """The noiseless target ``f(x) = sin(3x) + 0.3 x`` on ``[-1, 1]``.

    Defined in chapter 09 (Regularization).
    """
    return np.sin(3.0 * x) + 0.3 * x


def features(x: np.ndarray, degree: int = 12) -> np.ndarray:
    """Legendre features ``(N,) -> (N, degree + 1)``: ``P_0(x) = 1, P_1(x) = x, ...``.

    Legendre polynomials are orthogonal on ``[-1, 1]``, so the fit is well conditioned even at
    degree 12 (plain powers ``x^k`` are nearly collinear).

    Defined in chapter 09 (Regularization).
    """
    as_float_array("x", x)  # real numbers: a complex x would lose its imaginary part
    degree = int(check_scalar("degree", degree, low=0, integer=True))
    return np.polynomial.legendre.legvander(np.asarray(x, dtype=np.float64), degree)


def ridge_problem(
    *, pool: int = 200, dev: int = 400, noise: float = 0.3, degree: int = 12, seed: int = 0
) -> dict[str, Any]:
    """A seeded regression problem: ``pool`` training candidates (use the first ``n``) and a
    ``dev`` set, ``y = true_curve(x) + N(0, noise²)`` with ``x ~ U(-1, 1)``.

    Returns a dict with ``x``, ``y`` (shape ``(pool,)``), ``x_dev``, ``y_dev``, ``noise``,
    ``degree``.

    Defined in chapter 09 (Regularization).
    """
    pool = int(check_scalar("pool", pool, low=2, integer=True))
    dev = int(check_scalar("dev", dev, low=1, integer=True))
    noise = check_scalar("noise", noise, low=0.0)
    degree = int(check_scalar("degree", degree, low=0, integer=True))
    rng = seed_to_rng(seed)
    x = rng.uniform(-1.0, 1.0, pool)
    x_dev = rng.uniform(-1.0, 1.0, dev)
    return {
        "x": x,
        "y": true_curve(x) + noise * rng.standard_normal(pool),
        "x_dev": x_dev,
        "y_dev": true_curve(x_dev) + noise * rng.standard_normal(dev),
        "noise": noise,
        "degree": degree,
    }


def ridge_fit(Phi: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Ridge regression: ``w`` minimising ``(1/2N) ‖Φ w − y‖² + (λ/2) Σ_{k≥1} w_k²``.

    ``Phi`` has shape ``(N, K)`` with the constant feature in column 0 (not penalised, as a
    bias); returns ``w`` of shape ``(K,)``, the solution of
    ``(ΦᵀΦ/N + λ D) w = Φᵀ y / N`` with ``D = diag(0, 1, ..., 1)``, computed as the least-squares
    solution of the stacked system ``[Φ/√N; √λ D] w ≈ [y/√N; 0]`` (stable for tiny λ and
    ``N < K``).

    Defined in chapter 09 (Regularization).
    """
    as_float_array("Phi", Phi)  # real numbers: a complex array would lose its imaginary part
    as_float_array("y", y)
    Phi = np.asarray(Phi, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if Phi.ndim != 2 or y.shape != (Phi.shape[0],):
        raise ValueError(f"Phi must be (N, K) and y (N,), got {Phi.shape} and {y.shape}")
    if Phi.shape[0] < 1 or Phi.shape[1] < 1:
        raise ValueError(
            f"Phi must have at least one row and one column (the constant feature), got shape "
            f"{Phi.shape}"
        )
    for name, arr in (("Phi", Phi), ("y", y)):
        if not np.all(np.isfinite(arr)):
            bad = tuple(int(k) for k in np.argwhere(~np.isfinite(arr))[0])
            raise NonFiniteInputError(
                f"{name} must be finite, got {arr[bad]} at index {bad} (least squares has no "
                "answer for inf or NaN)"
            )
    lam = check_scalar("lam", lam, low=0.0)
    N, K = Phi.shape
    D = np.eye(K)
    D[0, 0] = 0.0
    A = np.vstack([Phi / np.sqrt(N), np.sqrt(lam) * D])
    b = np.concatenate([y / np.sqrt(N), np.zeros(K)])
    w, *_ = np.linalg.lstsq(A, b, rcond=None)
    return w


def ridge_errors(
    problem: dict[str, Any], n: int, lams: np.ndarray = LAMBDAS
) -> tuple[np.ndarray, np.ndarray]:
    """Train and dev mean squared errors of ridge fits on the first ``n`` points, one per λ.

    Defined in chapter 09 (Regularization).
    """
    keys = ("x", "y", "x_dev", "y_dev", "degree")
    if not isinstance(problem, Mapping) or any(k not in problem for k in keys):
        given = (
            f"a dict with keys {list(problem)}"
            if isinstance(problem, Mapping)
            else type(problem).__name__
        )
        raise TypeError(
            f"problem must be a dict from ridge_problem() with keys {list(keys)}, got {given}"
        )
    as_float_array("lams", lams, ndim=1)
    n = int(check_scalar("n", n, low=1, high=len(problem["x"]), integer=True))
    Phi = features(problem["x"][:n], problem["degree"])
    Phi_dev = features(problem["x_dev"], problem["degree"])
    y, y_dev = problem["y"][:n], problem["y_dev"]
    train, dev = [], []
    for lam in np.asarray(lams, dtype=np.float64):
        w = ridge_fit(Phi, y, float(lam))
        train.append(np.mean((Phi @ w - y) ** 2))
        dev.append(np.mean((Phi_dev @ w - y_dev) ** 2))
    return np.array(train), np.array(dev)


#: The x grid on which :func:`ridge_regression` draws the true curve and the fit.
_GRID = np.linspace(-1, 1, 150)


def _ridge_frame(
    problem: dict[str, Any], curves: tuple[np.ndarray, np.ndarray], lam: float, size: int
) -> dict[str, Any]:
    """What a frame of :func:`ridge_regression` shows: the fit to the first ``size`` points at
    ``lam``, the train and dev curves over :data:`LAMBDAS` (``curves``, from
    :func:`ridge_errors`), and the texts."""
    degree = problem["degree"]
    train_curve, dev_curve = curves
    x, y = problem["x"][:size], problem["y"][:size]
    w = ridge_fit(features(x, degree), y, float(lam))
    Phi = features(x, degree)
    train_mse = float(np.mean((Phi @ w - y) ** 2))
    dev_mse = float(np.mean((features(problem["x_dev"], degree) @ w - problem["y_dev"]) ** 2))
    best = LAMBDAS[int(np.argmin(dev_curve))]
    return {
        "lam": float(lam),
        "fit": np.clip(features(_GRID, degree) @ w, -10, 10),
        "points": (x, y),
        "train": np.maximum(train_curve, 1e-6),
        "dev": np.minimum(dev_curve, 1e3),
        "title": f"degree {degree}, n = {size},\nλ = {lam:.1e}",
        "title2": f"best λ on the grid\nfor n = {size}: {best:.0e}",
        "status": (
            f"train MSE = {train_mse:.3f}, dev MSE = {dev_mse:.3f}, gap = {dev_mse - train_mse:.3f}"
        ),
    }


#: Where :func:`ridge_regression` puts each panel's legend: below the axes, in two columns.
def _ridge_setup(noise: float) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`ridge_regression`: the fit (left), errors against ``λ`` (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high."""
    fig, (ax, ax2) = plots.two_panels((7, 4.6))
    ax.plot(_GRID, true_curve(_GRID), color="0.45", lw=1.5, ls="--", label="true curve")
    fit = plots.moving_line(ax, color=plots.COLORS["gd"], lw=2, label="fit")
    points = plots.moving_line(
        ax, "o", color=plots.COLORS["nesterov"], ms=4, label="training points"
    )
    ax.set_xlim(-1, 1)
    ax.set_ylim(-2.5, 2.5)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])  # the default 9 labels touch in a narrow notebook
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    # Both legends go below their axes: at a small λ the fit swings through any place of the
    # left panel, and the λ marker and the dev curve (for some n) cross any of the right one.
    plots.legend_below(ax)
    ax.title.set_animated(True)
    train = plots.moving_line(ax2, color=plots.COLORS["gd"], lw=1.8, label="train MSE")
    dev = plots.moving_line(ax2, color=plots.COLORS["nesterov"], lw=1.8, label="dev MSE")
    marker = ax2.axvline(1e-3, color="k", lw=1, animated=True)
    ax2.axhline(noise**2, color="0.5", ls=":", lw=1, label="noise σ²")
    plots.log_axis(
        ax2,
        xlim=(LAMBDAS[0] / 2, LAMBDAS[-1] * 2),
        ylim=(1e-3, 30),
        xlabel="L2 strength $\\lambda$",
        ylabel="mean squared error",
        log_x=True,
        grid=False,
    )
    plots.legend_below(ax2)
    plots.reserve_titles(fig, ax, ax2, text="λ\nλ")  # room for _ridge_draw's two-line titles
    state = {"ax": ax, "ax2": ax2, "fit": fit, "points": points, "train": train, "dev": dev}
    return fig, {**state, "marker": marker}


def _ridge_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    st["fit"].set_data(_GRID, frame["fit"])
    st["points"].set_data(*frame["points"])
    st["train"].set_data(LAMBDAS, frame["train"])
    st["dev"].set_data(LAMBDAS, frame["dev"])
    st["marker"].set_xdata([frame["lam"], frame["lam"]])
    st["ax"].set_title(frame["title"], fontsize=10)
    st["ax2"].set_title(frame["title2"], fontsize=10)


def ridge_regression() -> Explorer:
    """Explorer: a degree-12 polynomial fitted by ridge regression to ``n`` noisy points.

    Controls: the L2 strength ``λ`` (log scale) and the number of training points ``n``. Left:
    the training points, the true curve and the fit; right: train and dev mean squared error
    against ``λ`` for this ``n``, with the current ``λ`` marked and the noise level ``σ²`` (the
    expected error of the true curve; a finite dev set can measure a little less).

    Defined in chapter 09 (Regularization).
    """
    problem = ridge_problem()
    controls = [
        Control("lam", "λ (L2 strength)", list(LAMBDAS), default=1e-3, log=True, fmt=".1e"),
        Control("n", "n (training points)", list(SIZES), default=16, fmt=".0f"),
    ]

    # the train and dev curves over λ depend on n alone: computed once per n
    curves = functools.cache(lambda size: ridge_errors(problem, size))
    return Explorer(
        title="Overfitting and L2 regularization: ridge regression of a degree-12 polynomial",
        controls=controls,
        setup=lambda: _ridge_setup(problem["noise"]),
        compute=lambda lam, n: _ridge_frame(problem, curves(round(n)), lam, round(n)),
        draw=_ridge_draw,
        caption=(
            "Few points and a small λ: the curve passes close to most points (through all of "
            "them for n ≤ 12 at λ = 1e-8: a degree-12 polynomial has 13 coefficients) and the "
            "dev error soars. Raise λ or n and watch the train/dev gap close."
        ),
    )
