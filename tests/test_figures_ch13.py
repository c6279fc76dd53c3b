"""Figures of chapter 13 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``: the smallest text's size in points
at the PNG's dpi, times the scale to 468 px). These tests run the chapter's figure cells on
small inputs shaped like the chapter's (or on the cheap real ones) and its explorer, and check:

* grid against random search (cell ``f1a209c8``), the sampling histograms (``e91c1417``), the
  16 trials (``7a7e943e``), coarse to fine (``f455738a``), panda against caviar
  (``2cef0267``), successive halving on search 0 (``f006f19d``) and Bayesian optimization's
  steps (``47921bc9``) keep every text at least 9 px high at that width and stay at most
  750 px wide on the book site;
* every legend moved off the data sits outside every panel, inside the figure, and still names
  what the prose reads off it; titles stay inside the figure and apart;
* the explorer (grid against random search) keeps every text at least 9 px high and its two
  titles (its status line) inside the figure and apart, at every value its controls name and
  for the widest titles its format writes.
"""

from __future__ import annotations

import itertools
from contextlib import AbstractContextManager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import numpy as np
import pytest
from figure_reading import (
    assert_legends_clear,
    assert_readable_cell,
    assert_readable_explorer,
    assert_titles_clear,
    digits_search_stand_in,
    drawn_cell,
    every_setting,
    explorer_fixture,
    halving_names,
)
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from dlnotes.bayesopt import bayesian_optimization, expected_improvement, gp_posterior
from dlnotes.explorers import ch13
from dlnotes.tuning import (
    Uniform,
    grid_search,
    narrow_space,
    plot_results,
    random_search,
    toy_objective,
)

NOTEBOOK = "13_tuning.ipynb"


def _drawn(
    cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> AbstractContextManager[Figure]:
    """:func:`drawn_cell` on chapter 13's master notebook, the cells seeing ``plot_results``."""
    names = {"plot_results": plot_results, **names}
    return drawn_cell(NOTEBOOK, cell_id, names, monkeypatch)


@pytest.fixture
def search_results() -> Any:
    """16 random trials of the chapter's digits space, scored by a stand-in for training."""
    return digits_search_stand_in()


# ------------------------------------------------------ grid against random search (f1a209c8)
@pytest.fixture
def grid_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    names = {
        "Uniform": Uniform,
        "grid_search": grid_search,
        "random_search": random_search,
        "toy_objective": toy_objective,
    }
    with _drawn("f1a209c8", names, monkeypatch) as fig:
        yield fig


def test_grid_figure_is_readable_with_both_titles_apart(grid_figure: Figure) -> None:
    fig = grid_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    left, right = fig.axes
    assert left.bbox.x1 < right.bbox.x0  # side by side: grid left, random right
    # each title still says how many distinct x its search tested, and its best loss
    words = [ax.get_title().replace(",", " ").split() for ax in (left, right)]
    assert words == [
        "grid: 4 distinct x best loss 0.262".split(),
        "random: 16 distinct x best loss 0.049".split(),
    ]


# --------------------------------------------------- the sampling histograms (e91c1417)
@pytest.fixture
def sampling_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    rng = np.random.default_rng(0)
    names = {
        "lr_uniform": rng.uniform(1e-4, 1.0, 400),
        "lr_log": 10 ** rng.uniform(-4, 0, 400),
        "beta_uniform": rng.uniform(0.9, 0.999, 400),
        "beta_log": 1 - 10 ** rng.uniform(-3, -1, 400),
    }
    with _drawn("e91c1417", names, monkeypatch) as fig:
        yield fig


def test_sampling_figure_is_readable_with_its_legends_off_the_bars(
    sampling_figure: Figure,
) -> None:
    fig = sampling_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    assert assert_legends_clear(fig, titles=True) == [
        ["uniform", "log-uniform"],
        [r"uniform $\beta$", r"log-uniform $1-\beta$"],
    ]


# -------------------------------------------------------------- the 16 trials (7a7e943e)
@pytest.fixture
def trials_figure(monkeypatch: pytest.MonkeyPatch, search_results: Any) -> Any:
    _, results = search_results
    with _drawn("7a7e943e", {"results": results}, monkeypatch) as fig:
        yield fig


def test_trials_figure_is_readable_with_its_legends_off_the_points(
    trials_figure: Figure,
) -> None:
    fig = trials_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    labels = assert_legends_clear(fig, titles=True)
    assert ["trials", "best"] in labels  # the ring is named
    # the two scatter plots read the same α axis: stacked, aligned and on equal limits
    ax, ax2 = (a for a in fig.axes if a.get_xlabel() == "learning rate α")
    assert ax.bbox.y0 > ax2.bbox.y1
    assert ax.get_xlim() == pytest.approx(ax2.get_xlim())
    assert (ax.bbox.x0, ax.bbox.x1) == pytest.approx((ax2.bbox.x0, ax2.bbox.x1), abs=1)


# -------------------------------------------------------------- coarse to fine (f455738a)
@pytest.fixture
def fine_figure(monkeypatch: pytest.MonkeyPatch, search_results: Any) -> Any:
    objective, results = search_results
    fine_space = narrow_space(results, keep_fraction=0.25)
    fine = random_search(objective, fine_space, 16, seed=1, metric="dev_error", progress=False)
    names = {
        "results": results,
        "fine_space": fine_space,
        "fine": fine,
        "fine_err": fine.column("dev_error"),
    }
    with _drawn("f455738a", names, monkeypatch) as fig:
        yield fig


def test_fine_figure_is_readable_with_its_legend_off_the_points(fine_figure: Figure) -> None:
    fig = fine_figure
    assert_readable_cell(fig)
    (labels,) = assert_legends_clear(fig, titles=True)
    assert sorted(labels) == sorted(["fine range of α", "coarse round", "best", "fine round"])


# ------------------------------------------------------------ panda against caviar (2cef0267)
@pytest.fixture
def panda_figure(monkeypatch: pytest.MonkeyPatch, search_results: Any) -> Any:
    _, results = search_results
    names = {
        "results": results,
        "untended_err": list(np.linspace(0.3, 0.2, 12)),
        "babysat": list(np.geomspace(0.3, 0.05, 12)),
        "halved": [1, 2],
    }
    with _drawn("2cef0267", names, monkeypatch) as fig:
        yield fig


def test_panda_figure_is_readable_with_its_legend_off_the_curves(panda_figure: Figure) -> None:
    fig = panda_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    left, right = fig.axes
    assert left.bbox.x1 < right.bbox.x0  # side by side, one dev-error axis
    assert "best in blue" in " ".join(right.get_title().split())
    (labels,) = assert_legends_clear(fig, titles=True)
    assert labels[:2] == ["constant α = 0.8", "babysat (halve α)"]


# ---------------------------------------- successive halving on search 0 (f006f19d)
@pytest.fixture
def halving_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell f006f19d on the chapter's own table (search 0, a few milliseconds)."""
    with _drawn("f006f19d", halving_names(), monkeypatch) as fig:
        yield fig


def test_halving_figure_is_readable_with_its_legend_off_the_curves(
    halving_figure: Figure,
) -> None:
    fig = halving_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    (labels,) = assert_legends_clear(fig, titles=True)
    assert labels[:4] == [
        "rung: 27 trials at 1 epoch",
        "rung: 9 trials at 3 epochs",
        "rung: 3 trials at 9 epochs",
        "rung: 1 trial at 27 epochs",
    ]
    assert labels[4].startswith("full training's winner (α = 0.0020")
    assert labels[5].startswith("halving's pick (α = ")
    # the 9-epoch rung's light-blue dots sit on the dashed blue pick: every rung's dots
    # are ringed in white and large enough to stand out from the lines under them
    rungs = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert len(rungs) == 4
    for line in rungs:
        assert to_hex(line.get_markeredgecolor()) == "#ffffff" and line.get_markersize() >= 7


# ----------------------------------------- Bayesian optimization, step by step (47921bc9)
@pytest.fixture
def bayes_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell 47921bc9 on a basin shaped like the measured one (chance on both sides)."""
    candidates = np.round(np.arange(-4.0, 0.55, 0.1), 1)
    table = {x: float(min(np.log(10), 0.17 + 0.5 * (x + 1.2) ** 2)) for x in candidates}
    run = bayesian_optimization(lambda x: table[x], candidates, n_trials=8, n_init=3, seed=10)
    names = {
        "table": table,
        "candidates": candidates,
        "run": run,
        "gp_posterior": gp_posterior,
        "expected_improvement": expected_improvement,
    }
    with _drawn("47921bc9", names, monkeypatch) as fig:
        yield fig


def test_bayes_figure_is_readable_with_one_legend_off_every_panel(
    bayes_figure: Figure,
) -> None:
    fig = bayes_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    # three steps, read left to right: model above, expected improvement below
    tops = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in tops] == [f"after {n} trials" for n in (3, 4, 5)]
    assert all(a.bbox.x1 < b.bbox.x0 for a, b in itertools.pairwise(tops))
    labels = assert_legends_clear(fig, titles=True)
    assert labels == [
        [
            "true dev loss",
            "model mean $\\mu$",
            "$\\mu \\pm 2s$",
            "trials so far",
            "next trial (max EI)",
        ]
    ]


# ------------------------------------------------------------------------------- explorer
search_explorer = explorer_fixture(ch13.grid_vs_random)


def test_search_explorer_is_readable_at_notebook_width(search_explorer: Any) -> None:
    _, fig, _ = search_explorer
    assert_readable_explorer(fig)


def test_search_explorer_titles_stay_inside_and_apart_at_every_named_setting(
    search_explorer: Any,
) -> None:
    explorer, fig, state = search_explorer
    panels = [state[name]["ax"] for name in ("grid", "random")]
    for settings in every_setting(explorer):
        explorer.redraw(state, **settings)
        assert_titles_clear(fig, panels, context=settings)
    # the widest titles the format writes: two-digit counts, a loss above 1
    frame = ch13._search_frame(49, 0)
    for name in ("grid", "random"):
        frame[name] = {**frame[name], "title": f"{name}: 49 distinct x, best loss 1.088"}
    ch13._search_draw(state, frame)
    assert_titles_clear(fig, panels, context="widest")
