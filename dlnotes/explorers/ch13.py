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


def grid_vs_random() -> Explorer:
    """Explorer: ``n`` trials of grid search and of random search on :func:`toy_objective`.

    ``loss(x, y)`` has a narrow valley along ``x = 0.62`` and hardly depends on ``y``. A grid of
    ``n = m²`` points tests only ``m = √n`` distinct values of ``x``; random search tests ``n``.
    Controls: the budget ``n`` (perfect squares) and the random search's seed. Top: the points on
    the loss (darker is lower); bottom: the loss along ``x`` with a tick at every ``x`` tested.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    import matplotlib.pyplot as plt

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
    xs = np.linspace(0, 1, 200)
    X, Y = np.meshgrid(xs, xs)
    loss = toy_objective({"x": X, "y": Y})
    profile = toy_objective({"x": xs, "y": np.full_like(xs, 0.5)})
    colors = {"grid": plots.COLORS["momentum"], "random": plots.COLORS["gd"]}

    def setup() -> tuple[Any, dict[str, Any]]:
        fig, axes = plt.subplots(
            2, 2, figsize=(8, 4.8), gridspec_kw={"height_ratios": [2.3, 1]}, sharex=True
        )
        st: dict[str, Any] = {}
        for col, name in enumerate(["grid", "random"]):
            ax, ax2 = axes[0, col], axes[1, col]
            ax.contourf(xs, xs, loss, levels=[0, 0.1, 0.3, 0.6, 0.9, 1.1], cmap="Greys_r")
            (pts,) = ax.plot([], [], "o", color=colors[name], ms=5, mec="white",
                            animated=True)  # fmt: skip
            (best,) = ax.plot([], [], "o", ms=12, mfc="none", mec=colors[name], mew=2,
                              animated=True)  # fmt: skip
            ax.set_title(f"{name}: 00 distinct x, best loss 0.000", fontsize=10)
            ax.title.set_animated(True)
            ax.set_xlim(-0.03, 1.03)
            ax.set_ylim(-0.03, 1.03)
            ax.set_ylabel("y (barely matters)" if col == 0 else "")
            ax2.plot(xs, profile, color="0.35", lw=1.2)
            (rug,) = ax2.plot([], [], color=colors[name], lw=1.6, animated=True)
            ax2.set_ylim(0, 1.1)
            ax2.set_xlabel("x (matters)")
            ax2.set_ylabel("loss at y = 0.5" if col == 0 else "")
            st[name] = {"ax": ax, "pts": pts, "best": best, "rug": rug}
        fig.tight_layout()
        return fig, st

    def update(st: dict[str, Any], n_trials: float, seed: float) -> str:
        grid, rand = _searches(int(n_trials), int(seed))
        lines = []
        for name, res in [("grid", grid), ("random", rand)]:
            x, y = res.column("x"), res.column("y")
            parts = st[name]
            parts["pts"].set_data(x, y)
            parts["best"].set_data([res.best["x"]], [res.best["y"]])
            parts["rug"].set_data(*_rug(x, 0.18))
            distinct = len(np.unique(np.round(x, 12)))
            text = f"{name}: {distinct} distinct x, best loss {res.best['score']:.3f}"
            parts["ax"].set_title(text, fontsize=10)
            lines.append(text)
        return "; ".join(lines)

    return Explorer(
        title="Grid search vs random search",
        controls=controls,
        setup=setup,
        update=update,
        caption=(
            "Only x matters: a grid of n points tests √n values of it, random search n. "
            "Change n and the seed."
        ),
    )
