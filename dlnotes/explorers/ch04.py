"""Chapter 04's explorer: heavy-ball momentum against gradient descent on a quadratic bowl.

Defined in chapter 04 (Momentum and Nesterov).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.landscapes import heavy_ball
from dlnotes.widgets import Control, Explorer, in_static_build

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["heavy_ball_quadratic"]

# The explorer shows the chapter's challenge (:data:`~dlnotes.landscapes.MOMENTUM_CHALLENGE`,
# exercise ``ch04_momentum_challenge``): from its ``x0``, f below its ``target`` within its
# ``steps`` and staying below through ``tail`` more steps (heavy ball's f oscillates: a first dip
# is not enough, nor being below at step 100 only by luck). The verdict runs the tail steps too;
# only ``steps`` are drawn.

WINDOW = ((-3.2, 3.2), (-3.2, 3.2))


def _drawn(run: ls.Run, steps: int) -> ls.Run:
    """The first ``steps`` steps of ``run`` (a run of ``steps + tail`` steps), those drawn."""
    return ls.Run(run.xs[: steps + 1], run.fs[: steps + 1], run.diverged and run.steps < steps)


def _verdict(name: str, run: ls.Run, steps: int, *, gd: bool = False) -> str:
    """The status of ``run``, a run of ``steps + tail`` steps (the challenge's tail) of which
    ``steps`` are drawn, from its :func:`~dlnotes.landscapes.challenge_outcome` (as the exercise
    ``ch04_momentum_challenge`` judges it).

    For gradient descent (``gd``) on a quadratic every mode shrinks or grows monotonically, so
    ``f`` above ``f(x_0)`` means it diverges (heavy ball's ``f`` can rise for a while and fall)."""
    if run.diverged and run.steps < steps:
        return f"{name} diverged"
    outcome = ls.challenge_outcome(ls.MOMENTUM_CHALLENGE, run, steps)
    if outcome.stay >= 0:
        return f"{name}: {outcome.stay} steps"
    f_end = ls.loss_text(run.fs[steps], ls.MOMENTUM_CHALLENGE.target)
    if outcome.back >= 0:  # below at the last drawn step, but not for good
        return f"{name}: f = {f_end} (climbs back at {outcome.back})"
    hit = outcome.hit
    dipped = f" (below the target at step {hit}, then back above)" if hit >= 0 else ""
    growing = " (growing: diverging)" if gd and run.fs[steps] > run.fs[0] else ""
    return f"{name}: f = {f_end}{dipped}{growing}"


def _frame(lr: float, rho: float, kappa: float, steps: int) -> dict[str, Any]:
    """What a frame of :func:`heavy_ball_quadratic` shows: the bowl, the heavy-ball run and
    gradient descent at the same ``α``, the settings and the status line."""
    bowl = ls.ill_conditioned_quadratic(float(kappa))
    # the verdicts look the challenge's tail steps past the drawn ones: f must stay below, not
    # dip at the end
    x0, total = ls.MOMENTUM_CHALLENGE.x0, steps + ls.MOMENTUM_CHALLENGE.tail
    long_run = heavy_ball(bowl, x0, lr, rho, total, blowup=1e3)
    long_gd = heavy_ball(bowl, x0, lr, 0.0, total, blowup=1e3)
    run, gd_run = _drawn(long_run, steps), _drawn(long_gd, steps)
    return {
        "bowl": bowl,
        "run": run,
        "gd_run": gd_run,
        # not the best (α, ρ) for κ: exercise 3 asks the learner to find a pair that works
        "title": f"α = {lr:.3f}, ρ = {rho:.3f}, κ = {kappa:g}",
        "kappa": float(kappa),
        "status": (
            f"{_verdict('heavy ball', long_run, steps)}; {_verdict('GD', long_gd, steps, gd=True)} "
            f"(to f < {ls.MOMENTUM_CHALLENGE.target:g})"
        ),
    }


#: Where :func:`heavy_ball_quadratic` puts the right panel's legend: below the axes, in the
#: default font size (a diverging run's ``f`` crosses the panel's upper corners).
def _setup(steps: int) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`heavy_ball_quadratic`: both paths (left), both ``f(x_t)`` (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high. On the website
    the status is the figure's title, above both panels, on two lines (:func:`_draw`)."""
    fig, (ax, ax2) = plots.two_panels((7, 4.2), widths=(1, 1.25))
    # both paths above the contours (drawn later, at a line's zorder 2); gradient descent on
    # top, with dots: at α = 1 it is a short run down the x₂ axis, under heavy ball's swings
    gd_path = plots.moving_line(
        ax, "-o", color=plots.COLORS["gd"], ms=2.5, lw=1.4, alpha=0.9, zorder=3.5
    )
    path = plots.moving_line(ax, "-o", color=plots.COLORS["momentum"], ms=2.5, lw=1.1, zorder=3)
    plots.start_marker(ax, np.array(ls.MOMENTUM_CHALLENGE.x0)).set_zorder(4)  # over both
    gd_curve = plots.moving_line(
        ax2, color=plots.COLORS["gd"], lw=1.5, label="gradient descent (same α)"
    )
    curve = plots.moving_line(ax2, color=plots.COLORS["momentum"], lw=1.8, label="heavy ball")
    ax.title.set_animated(True)
    plots.target_line(ax2, ls.MOMENTUM_CHALLENGE.target)
    plots.log_axis(ax2, xlim=(0, steps), ylim=(1e-12, 1e4), ylabel="$f(x_t)$")
    plots.legend_below(ax2)
    if in_static_build():
        fig.suptitle("placeholder\nplaceholder", fontsize=10)  # room for the status
    plots.reserve_titles(fig, ax, text="α")
    state = {"ax": ax, "ax2": ax2, "path": path, "gd_path": gd_path}
    return fig, {**state, "curve": curve, "gd_curve": gd_curve, "contours": None, "kappa": None}


def _draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    kappa = frame["kappa"]
    plots.contours_for(
        st["ax"], frame["bowl"], st, "kappa", kappa, window=WINDOW, levels=14, resolution=90
    )
    for key, run in (("", frame["run"]), ("gd_", frame["gd_run"])):
        st[f"{key}path"].set_data(run.xs[:, 0], run.xs[:, 1])
        st[f"{key}curve"].set_data(np.arange(len(run.fs)), np.maximum(run.fs, 1e-300))
    st["ax"].set_title(frame["title"], fontsize=10)
    # the status once: the live and still faces print it above the figure; the website's
    # player shows only the figure, so there it is the figure's title, one line for heavy
    # ball and one for gradient descent (on one line it is wider than the figure)
    if in_static_build():
        st["ax"].figure.suptitle(frame["status"].replace("; ", ";\n", 1), fontsize=10)


def heavy_ball_quadratic(steps: int = ls.MOMENTUM_CHALLENGE.steps) -> Explorer:
    """Explorer: ``steps`` of heavy ball ``v ← ρv − α∇f(x); x ← x + v`` on ``f = ½ xᵀ A x``.

    ``A = diag(L, L/κ)`` with ``L = 1``, start ``x0 = (2, 2)``; controls: the learning rate
    ``α``, the momentum ``ρ`` and the condition number ``κ``. Left: contours with the
    momentum iterates (orange) and gradient descent with the same ``α`` (blue); right:
    ``f(x_t)`` of both on a log scale with the target ``1e-6``.

    Defined in chapter 04 (Momentum and Nesterov).
    """
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

    return Explorer(
        title="Heavy-ball momentum on an ill-conditioned bowl",
        controls=controls,
        setup=lambda: _setup(steps),
        compute=lambda lr, rho, kappa: _frame(lr, rho, kappa, steps),
        draw=_draw,
        caption=(
            f"f(x) = ½ xᵀ diag(1, 1/κ) x from x0 = (2, 2). Orange: heavy ball; blue: gradient "
            f"descent with the same α. Get below the dashed target within {steps} steps and stay "
            f"there (the verdict checks {ls.MOMENTUM_CHALLENGE.tail} steps more than are drawn)."
        ),
    )
