"""Chapter 14's explorer: an EMA of the iterates of SGD on a noisy quadratic.

Also the closed forms the chapter checks its simulations against: the noise floor of SGD with
a constant learning rate on a quadratic, and the (lower) floor of an EMA of its iterates.

Defined in chapter 14 (Ensembles and weight averaging).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import as_float_array, check_scalar
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["ema_noisy_quadratic"]

#: The explorer's bowl: curvatures of ``f(x) = ½ Σ λ_i x_i²``, gradient noise, start, steps.
CURVATURES = (1.0, 0.25)
SIGMA = 1.0
X0 = (3.0, 3.0)
STEPS = 400


def noise_floor(lr: float, sigma: float, curvatures: Any, decay: float | None = None) -> float:
    """Stationary expected loss of SGD with a constant step on a noisy quadratic.

    The loss is ``f(x) = ½ Σ_i λ_i x_i²`` (``curvatures`` = the λ_i, shape ``(d,)``) and each
    gradient is ``λ_i x_i + σ ξ_i`` with independent standard normal ``ξ``. With
    ``r_i = 1 − lr λ_i`` each coordinate is an AR(1) process ``x_i ← r_i x_i − lr σ ξ_i``; once
    the start is forgotten its variance is ``V_i = lr σ² / (λ_i (2 − lr λ_i))``, so::

        E f(x_t) → Σ_i ½ λ_i V_i = Σ_i lr σ² / (2 (2 − lr λ_i))

    With ``decay = β`` it returns instead the floor of the exponential moving average
    ``x̄ ← β x̄ + (1 − β) x`` of the iterates, whose variance is smaller by the factor
    ``(1 − β)/(1 + β) · (1 + r_i β)/(1 − r_i β)``. Requires ``0 < lr λ_i < 2`` (stable SGD).

    Defined in chapter 14 (Ensembles and weight averaging).
    """
    lam = as_float_array("curvatures", curvatures, ndim=1)
    if lam.size == 0 or np.any(lam <= 0):
        raise ValueError(f"curvatures must be positive, got {lam.tolist()}")
    lr = check_scalar("lr", lr, low=0.0, low_inclusive=False)
    sigma = check_scalar("sigma", sigma, low=0.0)
    if np.any(lr * lam >= 2):
        raise ValueError(
            f"lr must be below 2 / max(curvatures) = {2 / lam.max():g} for SGD to be stable, "
            f"got {lr}"
        )
    r = 1.0 - lr * lam
    variance = lr * sigma**2 / (lam * (2.0 - lr * lam))
    if decay is not None:
        beta = check_scalar("decay", decay, low=0.0, high=1.0, high_inclusive=False)
        variance = variance * (1 - beta) / (1 + beta) * (1 + r * beta) / (1 - r * beta)
    return float(np.sum(0.5 * lam * variance))


def _noisy_sgd(
    lr: float, decay: float, noise: np.ndarray, curvatures: np.ndarray, x0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Iterates of SGD and their bias-corrected EMA, shapes ``(T + 1, d)`` each."""
    steps = len(noise)
    xs = np.empty((steps + 1, len(x0)))
    avg = np.empty_like(xs)
    x = np.array(x0, dtype=float)
    shadow = np.zeros_like(x)
    xs[0] = avg[0] = x
    for t in range(1, steps + 1):
        x = x - lr * (curvatures * x + SIGMA * noise[t - 1])
        shadow = decay * shadow + (1 - decay) * x
        xs[t] = x
        avg[t] = shadow / (1 - decay**t)
    return xs, avg


def ema_noisy_quadratic(steps: int = STEPS, seed: int = 0) -> Explorer:
    """Explorer: SGD ``x ← x − α (∇f(x) + σ ξ)`` on ``f = ½ (x₁² + x₂²/4)`` and its EMA.

    Controls: the learning rate ``α`` and the EMA decay ``β``. Left: contours, the cloud of
    iterates (dots) and the averaged trajectory (line). Right: ``f`` of the iterate and of the
    average over the steps, with the closed-form floors of :func:`noise_floor` dashed. The
    gradient noise is drawn once (``seed``), so moving a slider changes only α or β.

    Defined in chapter 14 (Ensembles and weight averaging).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullLocator

    from dlnotes.landscapes import Quadratic

    lam = np.array(CURVATURES)
    x0 = np.array(X0)
    noise = np.random.default_rng(seed).standard_normal((steps, len(lam)))
    bowl = Quadratic(np.diag(lam))
    controls = [
        Control(
            "lr",
            "α (learning rate)",
            [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2],
            default=0.3,
            log=True,
            fmt=".2f",
        ),
        Control(
            "decay",
            "β (EMA decay)",
            [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995],
            default=0.95,
            fmt=".3f",
        ),
    ]
    window = ((-4.0, 4.0), (-4.0, 4.0))

    def setup() -> tuple[Any, dict[str, Any]]:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(9, 3.8), gridspec_kw={"width_ratios": [1, 1.3]}
        )
        plots.contour(ax, bowl, window=window, levels=10, resolution=80)
        (cloud,) = ax.plot(
            [], [], "o", color=plots.COLORS["gd"], ms=2, mew=0, animated=True,
            label="iterates $x_t$",
        )  # fmt: skip
        (path,) = ax.plot(
            [],
            [],
            "-",
            color=plots.COLORS["nesterov"],
            lw=1.8,
            animated=True,
            label="EMA $\\bar x_t$",
        )
        ax.legend(loc="upper left", fontsize=8, frameon=True)
        ax.set_title("iterates and their EMA", fontsize=10)
        (f_iter,) = ax2.plot([], [], color=plots.COLORS["gd"], lw=0.8, alpha=0.7, animated=True)
        (f_avg,) = ax2.plot([], [], color=plots.COLORS["nesterov"], lw=1.8, animated=True)
        (floor_iter,) = ax2.plot(
            [], [], "--", color=plots.COLORS["gd"], lw=1.2, animated=True, label="floor of $x_t$"
        )
        (floor_avg,) = ax2.plot(
            [], [], "--", color=plots.COLORS["nesterov"], lw=1.2, animated=True,
            label="floor of $\\bar x_t$",
        )  # fmt: skip
        ax2.title.set_animated(True)
        ax2.set_yscale("log")
        ax2.set_xlim(0, steps)
        ax2.set_ylim(1e-4, 1e2)
        ax2.yaxis.set_major_locator(LogLocator(numticks=4))
        ax2.yaxis.set_minor_locator(NullLocator())
        ax2.set_xlabel("step $t$")
        ax2.set_ylabel("$f$")
        ax2.grid(alpha=0.3)
        ax2.legend(loc="upper right", frameon=False, fontsize=8)
        fig.tight_layout()
        return fig, {
            "ax": ax,
            "ax2": ax2,
            "cloud": cloud,
            "path": path,
            "f_iter": f_iter,
            "f_avg": f_avg,
            "floor_iter": floor_iter,
            "floor_avg": floor_avg,
        }

    def update(st: dict[str, Any], lr: float, decay: float) -> str:
        xs, avg = _noisy_sgd(lr, decay, noise, lam, x0)
        f_x = 0.5 * np.sum(lam * xs**2, axis=1)
        f_a = 0.5 * np.sum(lam * avg**2, axis=1)
        st["cloud"].set_data(xs[:, 0], xs[:, 1])
        st["path"].set_data(avg[:, 0], avg[:, 1])
        t = np.arange(steps + 1)
        st["f_iter"].set_data(t, np.maximum(f_x, 1e-300))
        st["f_avg"].set_data(t, np.maximum(f_a, 1e-300))
        floor = noise_floor(lr, SIGMA, lam)
        floor_ema = noise_floor(lr, SIGMA, lam, decay=decay)
        st["floor_iter"].set_data([0, steps], [floor, floor])
        st["floor_avg"].set_data([0, steps], [floor_ema, floor_ema])
        half = steps // 2
        last_x, last_a = float(np.mean(f_x[half:])), float(np.mean(f_a[half:]))
        verdict = (
            f"α = {lr:.2f}, β = {decay:.3f}: last {steps - half} steps, "
            f"f(x) ≈ {last_x:.2g}, f(x̄) ≈ {last_a:.2g}"
        )
        st["ax2"].set_title(verdict, fontsize=9)
        return verdict

    return Explorer(
        title="An EMA of the weights on a noisy quadratic",
        controls=controls,
        setup=setup,
        update=update,
        caption=(
            f"f(x) = ½(x₁² + x₂²/4), gradient noise σ = {SIGMA:g}, {steps} SGD steps from "
            f"{X0}. The dashed lines are the closed-form floors."
        ),
    )
