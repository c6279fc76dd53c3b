"""Chapter 13's explorer: grid search against random search when one hyperparameter matters.

Defined in chapter 13 (Hyperparameter tuning).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes.tuning import Uniform, grid_search, random_search, toy_objective
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["grid_vs_random"]

SPACE = {"x": Uniform(0.0, 1.0), "y": Uniform(0.0, 1.0)}


def _searches(n_trials: int, seed: int) -> tuple[Any, Any]:
    """Grid search over ``m × m`` points (``m = ⌊√n_trials⌋``) and random search with as many
    trials from ``seed``, both on :func:`toy_objective`."""
    m = math.isqrt(int(n_trials))
    grid = grid_search(toy_objective, SPACE, m, progress=False)
    rand = random_search(toy_objective, SPACE, m * m, seed=int(seed), progress=False)
    return grid, rand


def _rug(xs: np.ndarray, height: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertical ticks at ``xs`` as one polyline broken by NaNs."""
    px = np.repeat(xs, 3).astype(float)
    py = np.tile([0.0, height, np.nan], len(xs))
    px[2::3] = np.nan
    return px, py


#: The two searches of :func:`grid_vs_random`, left to right, and their colours.
_SEARCH_COLORS = {"grid": plots.COLORS["momentum"], "random": plots.COLORS["gd"]}
#: The height of the rug's ticks under the loss profile.
_RUG_HEIGHT = 0.18


def _search_frame(n_trials: float, seed: float) -> dict[str, Any]:
    """What a frame of :func:`grid_vs_random` shows, for each search by name: the points tried,
    the best one, the rug of the ``x`` tested and the title; both titles are the status line."""
    grid, rand = _searches(int(n_trials), int(seed))
    frame: dict[str, Any] = {}
    for name, res in [("grid", grid), ("random", rand)]:
        x, y = res.column("x"), res.column("y")
        distinct = len(np.unique(np.round(x, 12)))
        frame[name] = {
            "points": (x, y),
            "best": ([res.best["x"]], [res.best["y"]]),
            "rug": _rug(x, _RUG_HEIGHT),
            "title": f"{name}: {distinct} distinct x, best loss {res.best['score']:.3f}",
        }
    frame["status"] = "; ".join(frame[name]["title"] for name in _SEARCH_COLORS)
    return frame


def _search_setup() -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`grid_vs_random`: per search (grid left, random right) the points on
    the loss's filled contours (top) and the loss along ``x`` with a rug of the ``x`` tested
    (bottom)."""
    import matplotlib.pyplot as plt

    xs = np.linspace(0, 1, 200)
    X, Y = np.meshgrid(xs, xs)
    loss = toy_objective({"x": X, "y": Y})
    profile = toy_objective({"x": xs, "y": np.full_like(xs, 0.5)})
    # two rows sharing x, unlike plots.two_panels: the search's points above, its rug below;
    # seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab
    # at 900 px with its file browser open) shows every text at least 9 px high
    fig, axes = plt.subplots(
        2,
        2,
        figsize=(7, 4.6),
        gridspec_kw={"height_ratios": [2.3, 1]},
        sharex=True,
        sharey="row",
    )
    st: dict[str, Any] = {}
    for col, (name, color) in enumerate(_SEARCH_COLORS.items()):
        ax, ax2 = axes[0, col], axes[1, col]
        ax.contourf(xs, xs, loss, levels=[0, 0.1, 0.3, 0.6, 0.9, 1.1], cmap="Greys_r")
        pts = plots.moving_line(ax, "o", color=color, ms=5, mec="white")
        best = plots.moving_line(ax, "o", ms=12, mfc="none", mec=color, mew=2)
        ax.title.set_animated(True)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_ylabel("y (barely matters)" if col == 0 else "")
        ax2.plot(xs, profile, color="0.35", lw=1.2)
        rug = plots.moving_line(ax2, color=color, lw=1.6)
        ax2.set_ylim(0, 1.1)
        ax2.set_xlabel("x (matters)")
        ax2.set_ylabel("loss at y = 0.5" if col == 0 else "")
        st[name] = {"ax": ax, "pts": pts, "best": best, "rug": rug}
    plots.reserve_titles(fig, *axes[0], text="random: 00 distinct x, best loss 0.000")
    return fig, st


def _search_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    for name in _SEARCH_COLORS:
        parts, shown = st[name], frame[name]
        parts["pts"].set_data(*shown["points"])
        parts["best"].set_data(*shown["best"])
        parts["rug"].set_data(*shown["rug"])
        parts["ax"].set_title(shown["title"], fontsize=10)


def grid_vs_random() -> Explorer:
    """Explorer: ``n`` trials of grid search and of random search on :func:`toy_objective`.

    ``loss(x, y)`` has a narrow valley along ``x = 0.62`` and hardly depends on ``y``. A grid of
    ``n = m²`` points tests only ``m = √n`` distinct values of ``x``; random search tests ``n``.
    Controls: the budget ``n`` (perfect squares) and the random search's seed. Top: the points on
    the loss (darker is lower); bottom: the loss along ``x`` with a tick at every ``x`` tested.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    controls = [
        Control(
            "n_trials",
            "n (trials)",
            [4, 9, 16, 25, 36, 49],  # squares: the grid search needs a whole number per axis
            default=16,
            only_values=True,
        ),
        Control("seed", "seed (random search)", list(range(8)), default=4, fmt=".0f"),
    ]

    return Explorer(
        title="Grid search vs random search",
        controls=controls,
        setup=_search_setup,
        compute=_search_frame,
        draw=_search_draw,
        caption=(
            "Only x matters: a grid of n points tests √n values of it, random search n. "
            "Change n and the seed."
        ),
    )
