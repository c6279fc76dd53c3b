"""Figures of chapters 01 and 04 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``, the measure every figure test uses:
the smallest text's size in points at the PNG's dpi, times the scale to 468 px). These tests
measure what the cells and the explorers draw:

* chapter 01's contour figure (cell ``d89f0577``), its raw-against-standardized curves (cell
  ``6d0ee964``) and its bias/variance bars (cell ``7a09f318``) keep every text at least 9 px
  high at that width and stay at most 750 px wide on the book site; the two contour panels
  stay side by side with their titles apart; the curves' one legend sits off both panels; the
  bars' labels keep apart and the legend off the bars;
* chapter 01's standard-error curves (cell ``e3a4af48``), its templates of W (cell
  ``037e5249``) and its decision boundaries (cell ``01c61b6f``) do the same; the templates keep
  every class named and apart; the two boundary panels stay side by side, each legend under
  its panel, off the points;
* chapter 01's and chapter 04's explorers keep every text at least 9 px high, their legends
  off both panels and inside the figure, and their titles inside the figure and apart, at
  every value their controls name (chapter 01) or along every sweep (chapter 04) and for the
  widest titles their formats write; on the website, chapter 04's status (the figure's title
  there, on two lines) stays inside the figure, above both panels' titles.
"""

from __future__ import annotations

import itertools
import types
from contextlib import AbstractContextManager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_reading import (
    MAX_SITE_PX,
    assert_legend_clear,
    assert_readable_cell,
    assert_readable_explorer,
    assert_titles_clear,
    drawn_cell,
    every_named_value,
    every_setting,
    explorer_fixture,
    inline_png_width,
    inside,
    legends,
    notebook_scale,
    overlaps,
)
from matplotlib.figure import Figure

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.data import FASHION_MNIST_CLASSES
from dlnotes.explorers import ch01, ch04
from dlnotes.widgets import STATIC_ENV


def _drawn(
    cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> AbstractContextManager[Figure]:
    """:func:`drawn_cell` on chapter 01's master notebook, the cells seeing ``ls`` and ``plots``."""
    names = {"ls": ls, "plots": plots, **names}
    return drawn_cell("01_learning_problem.ipynb", cell_id, names, monkeypatch)


# ----------------------------------------------------- chapter 01, the contour figure (17)
@pytest.fixture
def contour_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell d89f0577 on the chapter's two problems (cell cec3bac3's ``norm_runs``)."""
    norm_runs = {}
    for name, standardize in [("raw: s = 4, m = 1", False), ("standardized", True)]:
        quad, _, _ = ch01.two_feature_problem(4.0, 1.0, standardize=standardize)
        norm_runs[name] = (quad, 1.0 / quad.L, ls.gd_steps_to_target(quad, 1.0 / quad.L))
    with _drawn("d89f0577", {"norm_runs": norm_runs}, monkeypatch) as fig:
        yield fig, norm_runs


def test_contour_figure_is_readable_at_notebook_width(contour_figure: Any) -> None:
    fig, _ = contour_figure
    assert_readable_cell(fig)


def test_contour_figure_keeps_its_panels_side_by_side_with_their_titles_apart(
    contour_figure: Any,
) -> None:
    fig, norm_runs = contour_figure
    assert len(fig.axes) == 2
    left, right = fig.axes
    assert left.bbox.x1 < right.bbox.x0  # side by side: the comparison reads across
    assert_titles_clear(fig, fig.axes, off_panels=False)
    for ax, (name, (quad, _, steps)) in zip(fig.axes, norm_runs.items()):
        # each title names its problem, its κ and its step count
        title = ax.get_title()
        assert name in title and f"κ = {quad.kappa:.1f}" in title and f"{steps} steps" in title


# --------------------------------------------- chapter 01, raw against standardized (27)
def _history(losses: list[float], accs: list[float]) -> Any:
    return types.SimpleNamespace(
        epoch=np.arange(1, len(losses) + 1), train_loss=losses, dev_acc=accs
    )


@pytest.fixture
def inputs_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell 6d0ee964 on histories shaped like the measured ones (ten epochs each)."""
    raw = _history(list(np.linspace(1.38, 0.6, 10) ** 1.2), list(np.linspace(0.66, 0.8, 10)))
    std = _history(list(np.linspace(0.78, 0.38, 10)), list(np.linspace(0.775, 0.84, 10)))
    inputs = {"raw pixels": None, "standardized": None}
    best_lr = {"raw pixels": 0.03, "standardized": 0.03}
    search = {("raw pixels", 0.03): (None, raw), ("standardized", 0.03): (None, std)}
    names = {"inputs": inputs, "best_lr": best_lr, "search": search}
    with _drawn("6d0ee964", names, monkeypatch) as fig:
        yield fig


def test_inputs_figure_is_readable_at_notebook_width(inputs_figure: Figure) -> None:
    assert_readable_cell(inputs_figure)


def test_inputs_figure_has_one_legend_off_both_panels(inputs_figure: Figure) -> None:
    fig = inputs_figure
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        "raw pixels, α = 0.03",
        "standardized, α = 0.03",
    ]
    assert_legend_clear(fig, legend, xlabels=False)
    assert len(fig.axes) == 2 and all(len(ax.get_lines()) == 2 for ax in fig.axes)


# --------------------------------------------------- chapter 01, bias and variance (50)
CASES = {  # as measured (the 2-unit network's train and dev errors nearly equal)
    "784-2-10, 5000 images": (0.6172, 0.6194),
    "784-128-10, 300 images": (0.0, 0.247),
    "784-3-10, 300 images": (0.2433, 0.461),
    "softmax baseline, 5000": (0.125, 0.161),
}


@pytest.fixture
def bias_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    with _drawn("7a09f318", {"cases": CASES, "bayes_ref": 0.05}, monkeypatch) as fig:
        yield fig


def test_bias_figure_is_readable_at_notebook_width(bias_figure: Figure) -> None:
    assert_readable_cell(bias_figure)


def test_bias_figure_labels_keep_apart_and_the_legend_off_the_bars(
    bias_figure: Figure,
) -> None:
    fig = bias_figure
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    assert len(labels) == len(CASES)
    for label, (name, (tr, dv)) in zip(labels, CASES.items()):
        # every label still names the model, its data and both gaps
        text = " ".join(label.get_text().split())
        assert all(part in text for part in name.split(", ")), text
        assert f"bias {tr - 0.05:+.0%}" in text and f"variance {dv - tr:+.0%}" in text
    boxes = [t.get_window_extent(renderer) for t in labels]
    for a, b in itertools.pairwise(boxes):
        assert (b.x0 - a.x1) * notebook_scale(inline_png_width(fig)) >= 4
    for box in boxes:
        assert inside(box, fig)
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        "Bayes reference (5%)",
        "training error",
        "dev error",
    ]
    assert_legend_clear(fig, legend, xlabels=False)  # the bars may reach any height


# ------------------------------------------------------------------ the two explorers
normalization = explorer_fixture(ch01.normalization_gd)


heavy_ball = explorer_fixture(ch04.heavy_ball_quadratic)


@pytest.mark.parametrize("name", ["normalization", "heavy_ball"])
def test_explorer_is_readable_with_its_legend_off_both_panels(
    name: str, request: pytest.FixtureRequest
) -> None:
    _, fig, state = request.getfixturevalue(name)
    assert_readable_explorer(fig)
    panels = (state["ax"], state["ax2"])
    found = [ax.get_legend() for ax in panels if ax.get_legend() is not None]
    assert found
    for legend in found:
        # the paths and the loss curves reach any place inside the axes at some setting
        assert_legend_clear(fig, legend, panels, min_points=10)


def test_ch01_explorer_titles_stay_inside_and_apart_at_every_named_setting(
    normalization: Any,
) -> None:
    explorer, fig, state = normalization
    panels = (state["ax"], state["ax2"])
    for settings in every_setting(explorer):
        explorer.redraw(state, **settings)
        assert_titles_clear(fig, panels, context=settings)
    # the widest titles the formats can write (κ and R in exponent notation, no step count)
    frame = ch01._frame(1.0, 0.0, "raw", ch01.STEPS)
    widest = {"title": "standardized inputs, s = 0.125, m = -3\nκ = 1.23e+04, α = 1/L, R = 1.2e+02"}
    widest["verdict"] = f"needs over a million steps for {ch01.TARGET:g}"
    ch01._draw(state, {**frame, **widest})
    assert_titles_clear(fig, panels, context=widest)


def _ch04_sweeps(explorer: Any) -> list[dict[str, Any]]:
    """Every value of each control with the others at their defaults, and the settings whose
    statuses are the widest (heavy ball dips below the target late, then climbs back)."""
    return [
        *every_named_value(explorer),
        {"lr": 1.0, "rho": 0.9, "kappa": 300},
        {"lr": 0.75, "rho": 0.9},
    ]


def test_ch04_explorer_left_title_stays_inside_along_every_sweep(heavy_ball: Any) -> None:
    explorer, fig, state = heavy_ball
    renderer = fig.canvas.get_renderer()
    for settings in _ch04_sweeps(explorer):
        explorer.redraw(state, **{**explorer.defaults, **settings})
        box = state["ax"].title.get_window_extent(renderer)
        assert inside(box, fig) and not overlaps(box, state["ax"].bbox), settings
        assert state["ax2"].get_title() == ""  # the live face prints the status above


def test_ch04_website_status_stays_inside_above_both_panels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(STATIC_ENV, "1")
    explorer = ch04.heavy_ball_quadratic()
    fig, state = explorer.setup()
    try:
        fig.set_dpi(72)  # as Explorer.static_html draws the website's frames
        assert fig.canvas.get_width_height(physical=True)[0] <= MAX_SITE_PX
        renderer = fig.canvas.get_renderer()
        left, right = state["ax"], state["ax2"]

        def assert_status_clear(status: str) -> None:
            fig.canvas.draw()
            texts = [*fig.texts, *(ax.title for ax in (left, right))]
            (title,) = [t for t in texts if t.get_text().replace("\n", " ") == status]
            box = title.get_window_extent(renderer)
            assert inside(box, fig), status
            for ax in (left, right):
                assert not overlaps(box, ax.bbox), status
                if ax.title is not title:
                    assert not overlaps(box, ax.title.get_window_extent(renderer)), status

        for settings in _ch04_sweeps(explorer):
            status = explorer.redraw(state, **{**explorer.defaults, **settings})
            assert_status_clear(status)
        # the widest status: heavy ball dips at the last step, f printed with 5 digits
        frame = ch04._frame(0.75, 0.9, 100, ls.MOMENTUM_CHALLENGE.steps)
        widest = (
            "heavy ball: f = 1.0004e-06 (below the target at step 100, then back above); "
            "GD: f = 1.0004e-06 (growing: diverging) (to f < 1e-06)"
        )
        ch04._draw(state, {**frame, "status": widest})
        assert_status_clear(widest)
    finally:
        plt.close(fig)


# ------------------------------------- chapter 01, dev-set size and standard error (9)
@pytest.fixture
def se_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell e3a4af48 on spreads as the resampling measures them (on the formula's line)."""
    sizes_n = np.array([25, 100, 400, 1600])
    names = {"sizes_n": sizes_n, "measured_se": np.sqrt(0.75 * 0.25 / sizes_n)}
    with _drawn("e3a4af48", names, monkeypatch) as fig:
        yield fig


def test_se_figure_is_readable_at_notebook_width(se_figure: Figure) -> None:
    assert_readable_cell(se_figure)
    (ax,) = se_figure.axes
    # the two levels the prose reads off are still labelled
    assert [t.get_text() for t in ax.texts] == ["SE = 1.0%", "SE = 0.1%"]


# ---------------------------------------------- chapter 01, the templates of W (33)
@pytest.fixture
def templates_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    W = np.random.default_rng(0).normal(0.0, 0.05, size=(784, 10))
    names = {"W": W, "FASHION_MNIST_CLASSES": FASHION_MNIST_CLASSES}
    with _drawn("037e5249", names, monkeypatch) as fig:
        yield fig


def test_templates_figure_is_readable_with_every_class_named_apart(
    templates_figure: Figure,
) -> None:
    fig = templates_figure
    assert_readable_cell(fig)
    assert [ax.get_title() for ax in fig.axes] == list(FASHION_MNIST_CLASSES)
    assert_titles_clear(fig, fig.axes, off_panels=False)


# ------------------------------------------- chapter 01, linear decision boundaries (42)
class _Logits:
    """A two-class model whose logit difference is ``score(x)`` (a stand-in for fit)."""

    def __init__(self, score: Any) -> None:
        self.score = score

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([np.zeros(len(X)), self.score(X)])


@pytest.fixture
def boundaries_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell 01c61b6f on problems shaped like cells 13740dda's and c2bbefd0's."""
    rng = np.random.default_rng(3)
    y_pair2 = np.repeat([0, 1], 200)
    X_pair = rng.standard_normal((400, 2)) + np.column_stack(
        [np.where(y_pair2 == 1, 1.0, -1.0), np.zeros(400)]
    )
    X_pair = X_pair @ np.array([[1.0, 0.5], [0.0, 1.0]])
    X_ring = rng.uniform(-2.0, 2.0, size=(600, 2))
    radius = np.sqrt(8 / np.pi)
    names = {
        "X_pair": X_pair,
        "y_pair2": y_pair2,
        "w_log": np.array([1.85, 0.01]),
        "b_log": -0.03,
        "X_ring": X_ring,
        "y_ring": (np.hypot(*X_ring.T) < radius).astype(np.int64),
        "linear_ring": _Logits(lambda X: X[:, 1] - X[:, 0] + 0.3),
        "hidden_ring": _Logits(lambda X: radius - np.hypot(*X.T)),
    }
    with _drawn("01c61b6f", names, monkeypatch) as fig:
        yield fig


def test_boundaries_figure_is_readable_at_notebook_width(boundaries_figure: Figure) -> None:
    assert_readable_cell(boundaries_figure)


def test_boundaries_figure_keeps_its_panels_apart_and_its_legends_off_the_points(
    boundaries_figure: Figure,
) -> None:
    fig = boundaries_figure
    assert len(fig.axes) == 2
    left, right = fig.axes
    assert left.bbox.x1 < right.bbox.x0
    assert_titles_clear(fig, fig.axes, off_panels=False)
    assert "straight boundary" in left.get_title()
    assert "disc" in right.get_title()
    expected = [["class 0", "class 1", "$xw + b = 0$"], ["softmax (linear)", "16 hidden units"]]
    for ax, labels in zip(fig.axes, expected):
        legend = ax.get_legend()
        assert legend is not None
        assert [t.get_text() for t in legend.get_texts()] == labels
        # the points fill the right panel and reach any place of the left one
        assert_legend_clear(fig, legend)
