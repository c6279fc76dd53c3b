"""Chapter 04's explorer: heavy-ball momentum against gradient descent on a quadratic bowl.

Defined in chapter 04 (Momentum and Nesterov).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.landscapes import heavy_ball, optimal_heavy_ball
from dlnotes.widgets import Control, Explorer, background_changed

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["heavy_ball_quadratic"]

#: The settings of the chapter's explorer challenge (exercise ``ch04_momentum_challenge``, whose
#: constants a test keeps equal to these): 100 steps from (2, 2) to f < 1e-6.
STEPS = 100
TARGET = 1e-6
X0 = np.array((2.0, 2.0))


def _first_hit(fs: np.ndarray) -> int | None:
    hit = np.flatnonzero(fs < TARGET)
    return int(hit[0]) if hit.size else None


def heavy_ball_quadratic(steps: int = STEPS) -> Explorer:
    """Explorer: ``steps`` of heavy ball ``v ← ρv − α∇f(x); x ← x + v`` on ``f = ½ xᵀ A x``.

    ``A = diag(L, L/κ)`` with ``L = 1``, start ``x0 = (2, 2)``; controls: the learning rate
    ``α``, the momentum ``ρ`` and the condition number ``κ``. Left: contours with the
    momentum iterates (orange) and gradient descent with the same ``α`` (blue); right:
    ``f(x_t)`` of both on a log scale with the target ``1e-6``.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    import matplotlib.pyplot as plt

    controls = [
        Control(
            "lr",
            "α (learning rate)",
            [0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.3, 3.6, 4.0],
            default=1.0,
            fmt=".3f",
        ),
        Control(
            "rho",
            "ρ (momentum)",
            [0.0, 0.2, 0.4, 0.5, 0.6, 0.67, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99],
            default=0.9,
            fmt=".3f",
        ),
        Control(
            "kappa",
            "κ (condition number)",
            [1, 3, 10, 30, 100, 300, 1000],
            default=100,
            log=True,
            fmt=".3g",
        ),
    ]
    window = ((-3.2, 3.2), (-3.2, 3.2))

    def setup() -> tuple[Any, dict[str, Any]]:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(9, 3.8), gridspec_kw={"width_ratios": [1, 1.25]}
        )
        (gd_path,) = ax.plot(
            [], [], "-", color=plots.COLORS["gd"], lw=1.0, alpha=0.8, animated=True
        )
        (path,) = ax.plot(
            [], [], "-o", color=plots.COLORS["momentum"], ms=2.5, lw=1.1, animated=True
        )
        ax.plot(*X0, "o", color=plots.COLORS["start"], ms=7, mec="white")
        (gd_curve,) = ax2.plot(
            [],
            [],
            color=plots.COLORS["gd"],
            lw=1.5,
            label="gradient descent (same α)",
            animated=True,
        )
        (curve,) = ax2.plot(
            [], [], color=plots.COLORS["momentum"], lw=1.8, label="heavy ball", animated=True
        )
        ax.title.set_animated(True)
        plots.target_line(ax2, TARGET)
        plots.log_axis(ax2, xlim=(0, steps), ylim=(1e-12, 1e4), ylabel="$f(x_t)$")
        ax2.legend(loc="upper right", frameon=False, fontsize=8)
        fig.tight_layout()
        return fig, {
            "ax": ax,
            "ax2": ax2,
            "path": path,
            "gd_path": gd_path,
            "curve": curve,
            "gd_curve": gd_curve,
            "contours": None,
            "kappa": None,
        }

    def update(st: dict[str, Any], lr: float, rho: float, kappa: float) -> str:
        q = ls.ill_conditioned_quadratic(float(kappa))
        ax = st["ax"]
        if st["kappa"] != kappa:  # contours change only with κ
            st["contours"] = plots.replace_contours(
                ax, q, st["contours"], window=window, levels=14, resolution=90
            )
            st["kappa"] = kappa
            background_changed(ax.figure)
        run = heavy_ball(q, X0, lr, rho, steps, blowup=1e3)
        gd_run = heavy_ball(q, X0, lr, 0.0, steps, blowup=1e3)
        xs, fs, diverged = run.xs, run.fs, run.diverged
        gd_xs, gd_fs, gd_diverged = gd_run.xs, gd_run.fs, gd_run.diverged
        st["path"].set_data(xs[:, 0], xs[:, 1])
        st["gd_path"].set_data(gd_xs[:, 0], gd_xs[:, 1])
        st["curve"].set_data(np.arange(len(fs)), np.maximum(fs, 1e-300))
        st["gd_curve"].set_data(np.arange(len(gd_fs)), np.maximum(gd_fs, 1e-300))
        best_lr, best_rho = optimal_heavy_ball(float(kappa))
        ax.set_title(
            f"α = {lr:.3f}, ρ = {rho:.3f}  (best for κ = {kappa:g}: "
            f"α = {best_lr:.2f}, ρ = {best_rho:.2f})",
            fontsize=9,
        )

        def verdict(name: str, fs: np.ndarray, div: bool) -> str:
            if div:
                return f"{name} diverged"
            hit = _first_hit(fs)
            return f"{name}: {hit} steps" if hit is not None else f"{name}: f = {fs[-1]:.1e}"

        status = (
            f"{verdict('heavy ball', fs, diverged)}; {verdict('GD', gd_fs, gd_diverged)}"
            f" (to f < {TARGET:g})"
        )
        st["ax2"].set_title(status, fontsize=9)
        return status

    return Explorer(
        title="Heavy-ball momentum on an ill-conditioned bowl",
        controls=controls,
        setup=setup,
        update=update,
        caption=(
            f"f(x) = ½ xᵀ diag(1, 1/κ) x from x0 = (2, 2). Orange: heavy ball; blue: gradient "
            f"descent with the same α. Reach the dashed target within {steps} steps."
        ),
    )
