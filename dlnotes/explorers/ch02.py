"""Chapter 02's explorer: gradient descent on an ill-conditioned quadratic bowl.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.widgets import Control, Explorer, background_changed

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["gd_quadratic"]

#: Settings shared with the chapter's explorer challenge (exercise ``ch02_lr_challenge``).
STEPS = 60
TARGET = 1e-6
RADIUS = 2 * math.sqrt(2)  # the default start angle 45° gives x0 = (2, 2)


def gd_quadratic(steps: int = STEPS) -> Explorer:
    """Explorer: ``steps`` of gradient descent ``x ← x - α ∇f(x)`` on ``f(x) = ½ xᵀ A x``.

    ``A = diag(L, L/κ)`` with ``L = 1``; controls: the learning rate ``α``, the condition number
    ``κ`` and the start angle ``φ`` (``x0 = 2√2 (cos φ, sin φ)``). Left: contours and iterates;
    right: ``f(x_t)`` on a log scale with the target ``1e-6``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    import matplotlib.pyplot as plt

    controls = [
        Control(
            "lr",
            "α (learning rate)",
            [0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.7, 1.8, 1.9, 1.95, 2.0, 2.05],
            default=1.0,
            fmt=".3f",
        ),
        Control(
            "kappa",
            "κ (condition number)",
            [1, 2, 5, 10, 25, 50, 100],
            default=10,
            log=True,
            fmt=".3g",
        ),
        Control(
            "phi", "φ (start angle, degrees)", [0, 15, 30, 45, 60, 75, 90], default=45, fmt=".0f"
        ),
    ]
    window = ((-3.2, 3.2), (-3.2, 3.2))

    def setup() -> tuple[Any, dict[str, Any]]:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(9, 3.8), gridspec_kw={"width_ratios": [1, 1.25]}
        )
        (path,) = ax.plot([], [], "-o", color=plots.COLORS["gd"], ms=3, lw=1.1, animated=True)
        (start,) = ax.plot(
            [], [], "o", color=plots.COLORS["start"], ms=7, mec="white", animated=True
        )
        (curve,) = ax2.plot(
            [], [], color=plots.COLORS["gd"], lw=1.8, label="gradient descent", animated=True
        )
        ax.title.set_animated(True)
        plots.target_line(ax2, TARGET)
        plots.log_axis(ax2, xlim=(0, steps), ylim=(1e-12, 1e4), ylabel="$f(x_t)$")
        ax2.legend(loc="upper right", frameon=False, fontsize=9)
        fig.tight_layout()
        return fig, {
            "ax": ax,
            "ax2": ax2,
            "path": path,
            "start": start,
            "curve": curve,
            "contours": None,
            "kappa": None,
        }

    def update(st: dict[str, Any], lr: float, kappa: float, phi: float) -> str:
        q = ls.ill_conditioned_quadratic(float(kappa))
        ax = st["ax"]
        if st["kappa"] != kappa:  # contours change only with κ
            st["contours"] = plots.replace_contours(
                ax, q, st["contours"], window=window, levels=14, resolution=90
            )
            st["kappa"] = kappa
            background_changed(ax.figure)
        x0 = RADIUS * np.array([math.cos(math.radians(phi)), math.sin(math.radians(phi))])
        run = ls.gradient_descent(q, x0, lr, steps, blowup=1e3)
        st["path"].set_data(run.xs[:, 0], run.xs[:, 1])
        st["start"].set_data([x0[0]], [x0[1]])
        st["curve"].set_data(np.arange(len(run.fs)), np.maximum(run.fs, 1e-300))
        ax.set_title(f"α = {lr:.3f}, κ = {kappa:g}, 2/L = 2", fontsize=10)
        if run.diverged:
            verdict = f"diverged after {run.steps} steps (α ≥ 2/L = 2)"
        else:
            hit = np.flatnonzero(run.fs < TARGET)
            verdict = (
                f"f < {TARGET:g} after {hit[0]} steps"
                if hit.size
                else f"f = {run.fs[-1]:.2e} after {steps} steps"
            )
        st["ax2"].set_title(verdict, fontsize=10)
        return verdict

    return Explorer(
        title="Gradient descent on an ill-conditioned bowl",
        controls=controls,
        setup=setup,
        update=update,
        caption=f"f(x) = ½ xᵀ diag(1, 1/κ) x. Try to reach the dashed target within {steps} steps.",
    )
