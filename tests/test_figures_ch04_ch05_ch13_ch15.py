"""Figures of chapters 04, 05, 13 and 15 drawn so that they read: five defects, each fixed in
its cell.

* chapter 13's search plots (cells ``7a7e943e`` and ``f455738a``) name their axes in the book's
  notation (α, λ, "dev error", as ``book/notation.md`` and the prose write them), not with the
  results table's column names ``lr``, ``l2`` and ``dev_error``;
* chapter 13's successive-halving figure (``f006f19d``) draws no rung's dots in the hue of the
  dashed pick line they sit on (the 9-epoch rung was light blue on the blue pick);
* chapter 15's gradient-check figure (``98fcf33b``) names its dotted line at 1e-7, on the line,
  clear of the bars and of the legend;
* chapter 05's saddle figure (``3c2548bc``) draws its three paths, which share one diagonal, each
  in its own line style or marker, the one drawn under the others the widest, so none hides
  another;
* chapter 04's valley figures (``1cd1d527``, ``ded7d007``) draw gradient descent's 100 bounces as
  dots and join only the first few steps by lines, instead of 100 lines that fill a triangle.

The cells run as ``tests/figure_reading.py`` runs them, on the chapters' own inputs where those
are cheap, on inputs shaped like them otherwise (as the other ``tests/test_figures_*.py`` do).
"""

from __future__ import annotations

import colorsys
import itertools
import math
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_reading import (
    assert_legends_clear,
    assert_readable_cell,
    assert_texts_apart,
    digits_search_stand_in,
    drawn_cell,
    drawn_texts,
    gradient_check_names,
    halving_names,
    inside,
    legends,
    overlaps,
    run_figure_cell,
)
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.optim import SGD, teaching
from dlnotes.plots import COLORS
from dlnotes.schedules import step_decay
from dlnotes.tuning import (
    narrow_space,
    plot_results,
    random_search,
)

#: The column names of chapter 13's results table, which no axis may show.
COLUMNS = {"lr", "l2", "dev_error"}


def _drawn(
    notebook: str, cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> AbstractContextManager[Figure]:
    """:func:`drawn_cell`, the cells seeing ``ls``, ``plots``, ``math`` and ``plot_results``."""
    names = {"ls": ls, "plots": plots, "math": math, "plot_results": plot_results, **names}
    return drawn_cell(notebook, cell_id, names, monkeypatch)


def _hue(color: Any) -> tuple[float, float]:
    """Hue in degrees and saturation (HSV) of a matplotlib colour."""
    h, s, _ = colorsys.rgb_to_hsv(*to_rgb(color))
    return 360 * h, s


def _hues_apart(a: Any, b: Any, degrees: float = 30) -> bool:
    """Whether two colours read as different: one is a grey (or black), or their hues lie at
    least ``degrees`` apart on the colour wheel."""
    (ha, sa), (hb, sb) = _hue(a), _hue(b)
    if min(sa, sb) < 0.2:
        return to_hex(a) != to_hex(b)
    gap = abs(ha - hb) % 360
    return min(gap, 360 - gap) >= degrees


# ================================================================= chapter 13's search plots
NB13 = "13_tuning.ipynb"


@pytest.fixture(scope="module")
def search() -> tuple[Any, Any]:
    """16 random trials of the chapter's digits space, scored by a stand-in for training."""
    return digits_search_stand_in()


def _axis_labels(fig: Figure) -> list[str]:
    return [label for ax in fig.axes for label in (ax.get_xlabel(), ax.get_ylabel()) if label]


def test_the_16_trials_name_their_axes_in_the_books_notation(
    monkeypatch: pytest.MonkeyPatch, search: tuple[Any, Any]
) -> None:
    _, results = search
    with _drawn(NB13, "7a7e943e", {"results": results}, monkeypatch) as fig:
        assert_readable_cell(fig)
        top, bottom, bar = fig.axes  # the colour bar is an axes of its own
        assert (top.get_xlabel(), top.get_ylabel()) == ("learning rate α", "dev error")
        assert (bottom.get_xlabel(), bottom.get_ylabel()) == ("learning rate α", "L2 strength λ")
        assert bar.get_ylabel() == "dev error"
        assert not COLUMNS & set(_axis_labels(fig)), _axis_labels(fig)
        assert_legends_clear(fig, titles=True)


def test_coarse_to_fine_names_its_axes_in_the_books_notation(
    monkeypatch: pytest.MonkeyPatch, search: tuple[Any, Any]
) -> None:
    objective, results = search
    fine_space = narrow_space(results, keep_fraction=0.25)
    fine = random_search(objective, fine_space, 16, seed=1, metric="dev_error", progress=False)
    names = {
        "results": results,
        "fine_space": fine_space,
        "fine": fine,
        "fine_err": fine.column("dev_error"),
    }
    with _drawn(NB13, "f455738a", names, monkeypatch) as fig:
        assert_readable_cell(fig)
        (ax,) = fig.axes
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("learning rate α", "dev error")


# ======================================================= chapter 13's successive halving
@pytest.fixture
def halving_figure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Figure]:
    """Cell f006f19d on the chapter's own table (search 0, a few milliseconds)."""
    with _drawn(NB13, "f006f19d", halving_names(), monkeypatch) as fig:
        yield fig


def test_no_rung_is_drawn_in_the_hue_of_the_pick_line(halving_figure: Figure) -> None:
    fig = halving_figure
    assert_readable_cell(fig)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    rungs = [line for label, line in lines.items() if label.startswith("rung: ")]
    (pick,) = [line for label, line in lines.items() if label.startswith("halving's pick")]
    (winner,) = [line for label, line in lines.items() if label.startswith("full training")]
    assert len(rungs) == 4
    colours = [to_hex(line.get_color()) for line in rungs]
    assert len(set(colours)) == 4, colours  # four rungs, four colours
    for line in rungs:
        # the rungs' dots sit on the dashed pick line (the 9-epoch rung did, in light blue)
        assert _hues_apart(line.get_color(), pick.get_color()), (line.get_label(), colours)
        assert to_hex(line.get_color()) != to_hex(winner.get_color()), line.get_label()
    # the legend still names every rung and both lines
    (legend,) = legends(fig)
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [line.get_label() for line in [*rungs, winner, pick]]


# ============================================================= chapter 15's gradient check
@pytest.fixture
def check_figure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Figure]:
    """Cell 98fcf33b with the measured outcome: every relative error about 1e-10 but the
    buggy b1's, 1."""
    with _drawn("15_frameworks.ipynb", "98fcf33b", gradient_check_names(), monkeypatch) as fig:
        yield fig


def test_the_gradient_checks_threshold_line_is_named_on_the_line(check_figure: Figure) -> None:
    fig = check_figure
    assert_readable_cell(fig)
    assert_texts_apart(fig, drawn_texts(fig))
    renderer = fig.canvas.get_renderer()
    _, ax2 = fig.axes
    (threshold,) = [
        line for line in ax2.get_lines() if np.allclose(line.get_ydata(), 1e-7)
    ]  # the dotted line at 1e-7
    names = [t for t in ax2.texts if "threshold" in t.get_text()]
    assert len(names) == 1, [t.get_text() for t in ax2.texts]
    (name,) = names
    assert "10^{-7}" in name.get_text() or "1e-7" in name.get_text()
    box = name.get_window_extent(renderer)
    line_y = ax2.transData.transform((0, 1e-7))[1]
    assert 0 <= box.y0 - line_y <= 6, (box.y0, line_y)  # just above the line it names
    assert threshold.get_linestyle() == ":"
    assert inside(box, fig) and ax2.bbox.x0 <= box.x0 and box.x1 <= ax2.bbox.x1
    for bar in ax2.patches:  # clear of every bar, the tall wrong-sign b1 among them
        assert not overlaps(box, bar.get_window_extent(renderer))
    assert not overlaps(box, ax2.get_legend().get_window_extent(renderer))


# ================================================================ chapter 05's saddle paths
def test_the_saddle_paths_on_one_diagonal_each_have_their_own_style(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 3c2548bc as the chapter runs it (1500 steps of three methods)."""
    with _drawn("05_adaptive.ipynb", "3c2548bc", {"teaching": teaching}, monkeypatch) as fig:
        assert_readable_cell(fig)
        left = fig.axes[0]
        lines = left.get_lines()
        paths = {
            line.get_label(): line
            for line in lines
            if line.get_label() in ("GD", "AdaGrad", "RMSprop")
        }
        assert list(paths) == ["GD", "AdaGrad", "RMSprop"]  # the legend's order

        def style(line: Line2D) -> tuple[str, str]:
            return str(line.get_linestyle()), str(line.get_marker())

        for a, b in itertools.combinations(paths.values(), 2):
            assert style(a) != style(b), (a.get_label(), b.get_label(), style(a))
        # drawn bottom to top (by zorder, then in order of drawing): the one at the bottom
        # is wider than every line and marker over it, so it shows on both sides of them
        order = sorted(paths.values(), key=lambda p: (p.get_zorder(), lines.index(p)))
        bottom, *over = order
        for line in over:
            widest = max(line.get_linewidth(), line.get_markersize())
            assert bottom.get_linewidth() > widest, (bottom.get_label(), line.get_label())


# ================================================================ chapter 04's valley paths
NB04 = "04_momentum.ipynb"
IMPORTS04 = {
    "math": math,
    "ls": ls,
    "plots": plots,
    "SGD": SGD,
    "teaching": teaching,
    "step_decay": step_decay,
}


def _assert_zigzag_reads(fig: Figure, gd_steps: int = 100) -> None:
    """Every gradient-descent iterate is drawn as a dot, and lines join at most the first
    ten steps: 100 lines across the valley fill a solid triangle."""
    left = fig.axes[0]
    blue = [line for line in left.get_lines() if to_hex(line.get_color()) == to_hex(COLORS["gd"])]
    dots = [line for line in blue if len(line.get_xydata()) == gd_steps + 1]
    assert len(dots) == 1
    (path,) = dots
    assert path.get_marker() not in ("", "None", None)
    for line in blue:
        if line.get_linestyle() not in ("None", "", " "):
            assert len(line.get_xydata()) <= 11, (line.get_label(), len(line.get_xydata()))


def test_the_valleys_gradient_descent_path_shows_its_zigzag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with drawn_cell(NB04, "1cd1d527", IMPORTS04, monkeypatch) as fig:
        assert_readable_cell(fig)
        assert_texts_apart(fig, drawn_texts(fig))
        _assert_zigzag_reads(fig)
        assert "100 steps" in fig.axes[0].get_title()


def test_the_heavy_ball_figures_gradient_descent_path_shows_its_zigzag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = run_figure_cell(NB04, "1cd1d527", dict(IMPORTS04), monkeypatch)
    plt.close("all")
    with drawn_cell(NB04, "ded7d007", names, monkeypatch) as fig:
        assert_readable_cell(fig)
        assert_texts_apart(fig, drawn_texts(fig))
        _assert_zigzag_reads(fig)
