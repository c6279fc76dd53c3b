"""Chapter 05's explorer: gradient descent, momentum, AdaGrad, RMSProp and Adam race on a rotated
bowl.

The numerics are the library's: the bowl is :func:`dlnotes.landscapes.ill_conditioned_quadratic`
turned by ``θ``, its start :data:`dlnotes.landscapes.SWEEP_X0` turned with it, and
:func:`dlnotes.landscapes.best_lr_run` gives every method its *best* learning rate from its grid
in :data:`dlnotes.landscapes.SWEEP_LRS` (all learning rates of a grid advance together as rows of
one array in :func:`dlnotes.landscapes.lr_sweep`, which is what makes the race cheap). This module
puts the runs into a frame and draws it.

Defined in chapter 05 (Adaptive methods).
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["optimizer_race"]

#: The methods of the race, in legend order, with their colours in :data:`dlnotes.plots.COLORS`.
METHODS = ls.SWEEP_METHODS
_COLOR_KEYS = {
    "GD": "gd",
    "momentum": "momentum",
    "AdaGrad": "adagrad",
    "RMSprop": "rmsprop",
    "Adam": "adam",
}

STEPS = 400
TARGET = 1e-6  # reach f(x_t) < TARGET · f(x_0)

#: The f values of the race's drawn level sets, and the half-width of its left panel.
LEVELS = np.geomspace(2e-4, 4.0, 11)
LIM = 3.4


def _race_frame(theta: float, kappa: float, steps: int) -> dict[str, Any]:
    """What a frame of :func:`optimizer_race` shows: the level sets of the rotated bowl (ellipses),
    each method's best run with its ``f(x_t)/f(x_0)``, the start and the status line."""
    radians = math.radians(float(theta))
    bowl = ls.ill_conditioned_quadratic(float(kappa), theta=radians)
    R = ls.rotation(radians)
    x0 = R @ np.array(ls.SWEEP_X0)  # the start turns with the bowl
    curvatures = np.array([1.0, 1.0 / float(kappa)])
    s = np.linspace(0.0, 2 * math.pi, 121)
    circle = np.stack([np.cos(s), np.sin(s)])  # (2, 121)
    rings = [R @ (np.sqrt(2 * c / curvatures)[:, None] * circle) for c in LEVELS]
    f0 = float(bowl.f(x0))
    paths, curves, parts = {}, {}, []
    for name in METHODS:
        lr, hit, run = ls.best_lr_run(bowl, x0, name, steps=steps, target=TARGET)
        paths[name] = run.xs
        curves[name] = np.maximum(run.fs / f0, 1e-300)
        back = hit >= 0 and ls.steps_to_stay(run.fs, f0, TARGET) != hit  # dips, climbs back
        count = str(hit) if hit >= 0 else f">{steps}"
        nb = "\u00a0"  # no-break spaces: a wrapped status line breaks only between methods
        parts.append(f"{name}{nb}{count}{nb}(α={lr:.2g})" + (f"{nb}↑" if back else ""))
    return {
        "rings": rings,
        "paths": paths,
        "curves": curves,
        "x0": x0,
        "title": f"θ = {theta:.0f}°, κ = {kappa:g}",
        "status": "first below 1e-6 at step (↑: climbs back above later): " + " · ".join(parts),
    }


#: How many characters a line of the race's status holds (10-point text, seven inches).
STATUS_WIDTH = 88
#: How many lines the status can take: the figure keeps room for them under both panels.
STATUS_LINES = 3


def _race_setup(steps: int) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`optimizer_race`: level sets and paths (left), losses (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high; the status, on up
    to :data:`STATUS_LINES` lines, under both panels."""
    fig, (ax, ax2) = plots.two_panels((7, 4.5), widths=(1.25, 1))
    # Level sets of a quadratic are ellipses: drawn as moving lines, so rotating the bowl
    # only moves artists and the still background never needs a redraw.
    rings = [plots.moving_line(ax, color="0.55", lw=0.7) for _ in range(len(LEVELS))]
    paths, curves = {}, {}
    for name in METHODS:
        color = plots.COLORS[_COLOR_KEYS[name]]
        paths[name] = plots.moving_line(ax, "-", color=color, lw=1.4)
        curves[name] = plots.moving_line(ax2, color=color, lw=1.8, label=name)
    start = plots.start_marker(ax)
    plots.minimum_marker(ax, ([0], [0]))
    ax.set_xlim(-LIM, LIM)
    ax.set_ylim(-LIM, LIM)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.title.set_animated(True)
    plots.target_line(ax2, TARGET, label=False)
    plots.log_axis(
        ax2,
        xlim=(0, steps),
        ylim=(1e-12, 10),
        ylabel="$f(x_t)\\,/\\,f(x_0)$",
        animated_title=False,
    )
    ax2.set_title("each method at its best α\n(dashed: 1e-6)", fontsize=10)
    # outside: inside, RMSProp's bumps and the slow methods' lines cross every corner at some
    # setting, and loc="best" would be worked out once, on the still background
    plots.legend_outside(ax2)
    # the status under both panels, hanging from just below them (the website's player shows
    # the figure only)
    status = ax2.text(0.5, 0.135, "", transform=fig.transFigure, ha="center", va="top",
                      fontsize=10, animated=True, clip_on=False)  # fmt: skip
    ax.set_title("θ", fontsize=10)  # room for the left title (the right one is still)
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    state = {
        "ax": ax,
        "rings": rings,
        "paths": paths,
        "curves": curves,
        "start": start,
        "status": status,
    }
    return fig, state


def _race_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    for ring, pts in zip(st["rings"], frame["rings"]):
        ring.set_data(pts[0], pts[1])
    for name in METHODS:
        xs, fs = frame["paths"][name], frame["curves"][name]
        st["paths"][name].set_data(xs[:, 0], xs[:, 1])
        st["curves"][name].set_data(np.arange(len(fs)), fs)
    x0 = frame["x0"]
    st["start"].set_data([x0[0]], [x0[1]])
    st["ax"].set_title(frame["title"], fontsize=10)
    # at most STATUS_LINES lines fit under the figure
    st["status"].set_text(textwrap.fill(frame["status"], STATUS_WIDTH))


def optimizer_race(steps: int = STEPS) -> Explorer:
    """Explorer: five methods, each at its best learning rate, on a bowl rotated by ``θ``.

    The bowl is ``½ xᵀ R(θ) diag(1, 1/κ) R(θ)ᵀ x`` and the start rotates with it, so the problem
    is the same in every frame up to a rotation of the coordinates. Left: contours and iterates;
    right: ``f(x_t)/f(x_0)`` on a log scale; the status line lists the step at which each method
    first gets below ``1e-6``, marked ``↑`` when it climbs back above later.

    Defined in chapter 05 (Adaptive methods).
    """
    controls = [
        Control(
            "theta",
            "θ (rotation, degrees)",
            [0, 5, 10, 15, 20, 30, 45, 60, 75, 90],
            default=0,
            fmt=".0f",
        ),
        Control("kappa", "κ (condition number)", [3, 10, 30, 100, 300], default=100, log=True),
    ]

    return Explorer(
        title="Optimizer race on a rotated ill-conditioned bowl",
        controls=controls,
        setup=lambda: _race_setup(steps),
        compute=lambda theta, kappa: _race_frame(theta, kappa, steps),
        draw=_race_draw,
        caption=(
            "f(x) = ½ xᵀ R(θ) diag(1, 1/κ) R(θ)ᵀ x; the start rotates with the bowl. Each method "
            "uses the learning rate from its grid that reaches f < 1e-6·f(x₀) first (the lowest "
            "final f if none does); ↑ marks a run that climbs back above 1e-6 later."
        ),
    )
