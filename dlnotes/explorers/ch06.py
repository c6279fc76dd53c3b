"""Chapter 06's explorer: learning-rate schedules on a least-squares problem with mini-batch noise.

The problem is :func:`dlnotes.landscapes.noisy_regression`; mini-batch SGD on it is
:func:`dlnotes.landscapes.sgd_runs`, on the batches of :func:`dlnotes.landscapes.minibatch_stream`.

Defined in chapter 06 (Learning-rate schedules and second-order methods).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes import schedules as sch
from dlnotes._validate import check_scalar
from dlnotes.landscapes import minibatch_stream, noise_floor, noisy_regression, sgd_runs
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["schedule_explorer"]

STEPS = 1500
KINDS = ("constant", "step", "exponential", "1/t", "cosine", "cyclic")


def make_schedule(kind: str, lr: float, warmup: int = 0, total_steps: int = STEPS) -> sch.Schedule:
    """The explorer's schedules, all peaking at ``lr`` and lasting ``total_steps`` steps.

    ``kind`` is one of ``KINDS``: ``"constant"``; ``"step"`` (÷5 every quarter of the run);
    ``"exponential"`` (down to lr/1000 at the end); ``"1/t"`` (``lr/(1 + k t)``, lr/100 at the
    end); ``"cosine"`` (to 0); ``"cyclic"`` (triangular between lr/20 and lr, 4 cycles). With
    ``warmup = W > 0`` a linear warm-up from 0 takes the first W steps and the schedule runs on
    the remaining ``total_steps - W``.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr = check_scalar("lr", lr, low=0.0, low_inclusive=False)
    warmup = int(check_scalar("warmup", warmup, low=0, integer=True))
    total_steps = int(check_scalar("total_steps", total_steps, low=2, integer=True))
    if warmup >= total_steps:
        raise ValueError(f"warmup must be < total_steps = {total_steps}, got {warmup}")
    T = total_steps - warmup
    if kind == "constant":
        base = sch.constant(lr)
    elif kind == "step":
        base = sch.step_decay(lr, step_size=max(1, T // 4), gamma=0.2)
    elif kind == "exponential":
        base = sch.exponential(lr, k=math.log(1000.0) / T)
    elif kind == "1/t":
        base = sch.inverse_time(lr, k=99.0 / T)
    elif kind == "cosine":
        base = sch.cosine(lr, T)
    elif kind == "cyclic":
        base = sch.triangular(lr / 20, lr, half_cycle=max(1, T // 8))
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return sch.linear_warmup(base, warmup) if warmup else base


def _schedule_frame(
    problem: dict[str, Any],
    stream: tuple[np.ndarray, np.ndarray],
    reference: np.ndarray,
    kind: str,
    lr: float,
    warmup: float,
) -> dict[str, Any]:
    """What a frame of :func:`schedule_explorer` shows: the schedule's ``α_t``, the mean excess
    loss of SGD on ``stream`` with it, the noise floor of a constant peak ``α`` and the verdict."""
    steps = len(reference)
    t_axis = np.arange(steps)
    schedule = make_schedule(kind, float(lr), round(warmup), steps)
    lrs = schedule(t_axis)
    excess = sgd_runs(problem, lrs, stream=stream).mean(axis=1)
    curvatures, batch = np.linalg.eigvalsh(problem["H"]), problem["batch_size"]
    if not np.all(np.isfinite(excess)):
        verdict = f"diverged at step {int(np.argmax(~np.isfinite(excess)))}"
    else:
        final, ref = excess[-100:].mean(), reference[-100:].mean()
        verdict = f"final excess {final:.1e} (constant 0.05: {ref:.1e})"
    return {
        "lrs": np.maximum(lrs, 1e-12),
        "excess": np.maximum(np.where(np.isfinite(excess), excess, 1e3), 1e-12),
        "floor": noise_floor(float(lr), curvatures, problem["sigma2"] * curvatures / batch),
        "title": f"{kind}: α = {lr:.3g}, W = {round(warmup)}",
        "status": verdict,
    }


def _schedule_setup(reference: np.ndarray, runs: int) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`schedule_explorer`: ``α_t`` (left), the excess loss (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high; the legend under
    the right panel (a diverging run's loss and the floor reach any corner of it), the status
    its title, on two lines."""
    steps = len(reference)
    fig, (ax, ax2) = plots.two_panels((7, 4.1))
    lr_line = plots.moving_line(ax, color=plots.COLORS["sgd"], lw=1.8)
    plots.log_axis(
        ax, xlim=(0, steps), ylim=(1e-5, 3), ylabel=r"learning rate $\alpha_t$", numticks=4
    )
    ax2.plot(np.arange(steps), reference, color="0.6", lw=1.2, label=r"constant $\alpha = 0.05$")
    curve = plots.moving_line(ax2, color=plots.COLORS["sgd"], lw=1.6, label="this schedule")
    floor = plots.moving_line(
        ax2,
        ls="--",
        color=plots.COLORS["nesterov"],
        lw=1,
        label=r"floor of constant peak $\alpha$ (model)",
    )
    plots.log_axis(
        ax2,
        xlim=(0, steps),
        ylim=(1e-5, 30),
        ylabel=rf"$f(w_t) - f^\star$ (mean of {runs} runs)",
    )
    plots.legend_below(ax2, ncol=1)
    plots.reserve_titles(fig, ax, ax2, text="placeholder\nplaceholder")
    return fig, {"ax": ax, "ax2": ax2, "lr_line": lr_line, "curve": curve, "floor": floor}


def _schedule_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    t_axis = np.arange(len(frame["lrs"]))
    st["lr_line"].set_data(t_axis, frame["lrs"])
    st["ax"].set_title(frame["title"], fontsize=10)
    st["curve"].set_data(t_axis, frame["excess"])
    st["floor"].set_data([0, len(t_axis)], [frame["floor"], frame["floor"]])
    # two lines: on one, the status is wider than its panel and runs into the left title
    st["ax2"].set_title(frame["status"].replace(" (", "\n(", 1), fontsize=10)


def schedule_explorer(steps: int = STEPS, runs: int = 8) -> Explorer:
    """Explorer: a schedule's ``α_t`` (left) and the loss of mini-batch SGD using it (right).

    Controls: the schedule's kind, its peak learning rate ``α`` and the warm-up length ``W``.
    The problem is :func:`dlnotes.landscapes.noisy_regression` (``runs`` SGD runs averaged,
    ``steps`` steps); the grey curve is constant ``α = 0.05`` for comparison, the dashed line the
    noise floor of a constant ``α`` at the chosen peak.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    problem = noisy_regression()
    stream = minibatch_stream(problem, steps, runs)  # the same noise for every setting
    reference = sgd_runs(problem, np.full(steps, 0.05), stream=stream).mean(axis=1)
    controls = [
        Control("kind", "schedule", list(KINDS), default="cosine", choices=True),
        Control(
            "lr",
            "α (peak learning rate)",
            [0.0125, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8],
            default=0.4,
            log=True,
            fmt=".3g",
        ),
        Control("warmup", "W (warm-up steps)", [0, 25, 50, 100, 200, 400], default=0, fmt=".0f"),
    ]

    return Explorer(
        title="Learning-rate schedules on a noisy problem",
        controls=controls,
        setup=lambda: _schedule_setup(reference, runs),
        compute=lambda kind, lr, warmup: _schedule_frame(
            problem, stream, reference, kind, lr, warmup
        ),
        draw=_schedule_draw,
        caption=(
            "Mini-batch SGD (B = 8) on a least-squares problem. Which schedule ends lowest? "
            "What does a long warm-up cost here? Dashed: the noise floor of a constant peak α "
            "in the chapter's model of the gradient noise, which leaves out that the noise "
            "grows with the excess loss: constant α settles 10 % above it at α = 0.1, 50 % at 0.8."
        ),
    )
