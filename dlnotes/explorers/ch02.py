"""Chapter 02's explorer: gradient descent on an ill-conditioned quadratic bowl.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["gd_quadratic"]

#: The explorer shows the chapter's challenge (:data:`~dlnotes.landscapes.LR_CHALLENGE`, exercise
#: ``ch02_lr_challenge``): its steps, its target and, at the default start angle 45°, its start
#: ``x0 = (2, 2)``, at this distance from the minimum.
RADIUS = math.hypot(*ls.LR_CHALLENGE.x0)


WINDOW = ((-3.2, 3.2), (-3.2, 3.2))


def _frame(lr: float, kappa: float, phi: float, steps: int) -> dict[str, Any]:
    """What a frame of :func:`gd_quadratic` shows: the bowl, the run from the angle ``phi`` and
    its verdict (also the status line)."""
    bowl = ls.ill_conditioned_quadratic(float(kappa))
    x0 = RADIUS * np.array([math.cos(math.radians(phi)), math.sin(math.radians(phi))])
    run = ls.gradient_descent(bowl, x0, lr, steps, blowup=1e3)
    growth = (1 - lr * bowl.L) ** 2  # f's factor per step along the steepest direction
    target = ls.LR_CHALLENGE.target
    if run.diverged:
        verdict = f"diverged after {run.steps} steps (α > 2/L = 2)"
    else:
        hit = int(ls.steps_to_target(run.fs, 1.0, target))
        verdict = (
            f"f < {target:g} after {hit} step{'' if hit == 1 else 's'}"
            if hit >= 0
            else f"f = {ls.loss_text(run.fs[-1], target)} after {steps} steps"
            + (f", growing ×{growth:.3g} a step (α > 2/L = 2)" if growth > 1 else "")
        )
    return {
        "bowl": bowl,
        "x0": x0,
        "xs": run.xs,
        "fs": np.maximum(run.fs, 1e-300),
        "title": f"α = {lr:.3f}, κ = {kappa:g}, 2/L = 2",
        "kappa": float(kappa),
        "status": verdict,
    }


def _setup(steps: int) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`gd_quadratic`: the bowl's iterates (left), ``f(x_t)`` (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high; the legend sits
    under the right panel (a diverging run's ``f`` crosses its upper corners) and the status,
    the right panel's title, has room for two lines (:func:`_draw`)."""
    fig, (ax, ax2) = plots.two_panels((7, 4.4), widths=(1, 1.25))
    path = plots.moving_line(ax, "-o", color=plots.COLORS["gd"], ms=3, lw=1.1)
    start = plots.start_marker(ax)
    curve = plots.moving_line(ax2, color=plots.COLORS["gd"], lw=1.8, label="gradient descent")
    ax.title.set_animated(True)
    plots.target_line(ax2, ls.LR_CHALLENGE.target)
    plots.log_axis(ax2, xlim=(0, steps), ylim=(1e-12, 1e4), ylabel="$f(x_t)$")
    plots.legend_below(ax2)
    plots.reserve_titles(fig, ax, ax2, text="α\nstatus")
    state = {"ax": ax, "ax2": ax2, "path": path, "start": start, "curve": curve}
    return fig, {**state, "contours": None, "kappa": None}


def _status_title(status: str) -> str:
    """The status as the right panel's title: a growing run's reason on a second line (on one
    line it is wider than the panel)."""
    return status.replace(", growing", ",\ngrowing", 1)


def _draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    kappa = frame["kappa"]
    plots.contours_for(
        st["ax"], frame["bowl"], st, "kappa", kappa, window=WINDOW, levels=14, resolution=90
    )
    xs, x0, fs = frame["xs"], frame["x0"], frame["fs"]
    st["path"].set_data(xs[:, 0], xs[:, 1])
    st["start"].set_data([x0[0]], [x0[1]])
    st["curve"].set_data(np.arange(len(fs)), fs)
    st["ax"].set_title(frame["title"], fontsize=10)
    st["ax2"].set_title(_status_title(frame["status"]), fontsize=10)


def gd_quadratic(steps: int = ls.LR_CHALLENGE.steps) -> Explorer:
    """Explorer: ``steps`` of gradient descent ``x ← x - α ∇f(x)`` on ``f(x) = ½ xᵀ A x``.

    ``A = diag(L, L/κ)`` with ``L = 1``; controls: the learning rate ``α``, the condition number
    ``κ`` and the start angle ``φ`` (``x0 = 2√2 (cos φ, sin φ)``). Left: contours and iterates;
    right: ``f(x_t)`` on a log scale with the target ``1e-6``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    controls = [
        Control(
            "lr",
            "α (learning rate)",
            [0.1, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.7, 1.8, 1.9, 1.95, 2.0, 2.05],
            # the challenge's cautious α: at 1.0 the explorer would open on an answer
            default=0.5,
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

    return Explorer(
        title="Gradient descent on an ill-conditioned bowl",
        controls=controls,
        setup=lambda: _setup(steps),
        compute=lambda lr, kappa, phi: _frame(lr, kappa, phi, steps),
        draw=_draw,
        caption=f"f(x) = ½ xᵀ diag(1, 1/κ) x. Try to reach the dashed target within {steps} steps.",
    )
