"""Figures of chapters 09 and 15 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``: the smallest text's size in points
at the PNG's dpi, times the scale to 468 px, must be at least 9 px; the book site shows at most
750 px unscaled). These tests run the cells on small synthetic inputs shaped like the measured
ones and measure what they draw:

* chapter 09's overfitting curves (cell ``eb37546d``): one legend under both panels, the
  annotation of the dev minimum between the curves, clear of both;
* its tanh figure (cell ``f093abb3``): the panels stacked, the legend between them, off both;
* its objective-with-penalty curves (cell ``035775a4``): the legend clear of every curve;
* its L1/L2 sparsity figure (cell ``f1cad114``): the panels stacked, each point's name apart
  from the other names and markers, the histograms' legend under its panel;
* its two augmentation grids (cells ``225d0660`` and ``e946f8e8``): every class and every row
  named, the names apart;
* chapter 15's gradient-check figure (cell ``98fcf33b``) and its dlnotes-against-PyTorch curves
  (cell ``1a6efb82``): the panels' titles apart and inside the figure, each legend clear of the
  curves and bars;
* chapter 09's ridge explorer and chapter 15's backward-sweep explorer: every text at least
  9 px high, titles inside the figure and apart (chapter 09), boxes, edge labels and status
  apart (chapter 15), at every value their controls name.
"""

from __future__ import annotations

import itertools
import types
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import numpy as np
import pytest
from figure_reading import (
    assert_legend_clear,
    assert_readable_cell,
    assert_readable_explorer,
    assert_texts_apart,
    assert_titles_clear,
    drawn_cell,
    every_setting,
    explorer_fixture,
    gradient_check_names,
    inside,
    legends,
    overlaps,
)
from matplotlib.figure import Figure
from matplotlib.text import Text

from dlnotes import data
from dlnotes.data import FASHION_MNIST_CLASSES
from dlnotes.explorers import ch09, ch15
from dlnotes.plots import COLORS


def _curve_points(fig: Figure, ax: Any, n: int = 40) -> np.ndarray:
    """Display points along every line of ``ax`` (``n`` per segment), for overlap tests."""
    points = []
    for line in ax.get_lines():
        if line.get_transform() != ax.transData:
            continue  # a reference line (axvline, axhline) in axes coordinates
        xy = ax.transData.transform(np.c_[line.get_xdata(), line.get_ydata()])
        for a, b in itertools.pairwise(xy):
            points.append(a + np.linspace(0, 1, n)[:, None] * (b - a))
    return np.concatenate(points) if points else np.empty((0, 2))


def _clear_of(box: Any, points: np.ndarray, pad: float = 1.0) -> bool:
    x, y = points.T
    hit = (box.x0 - pad < x) & (x < box.x1 + pad) & (box.y0 - pad < y) & (y < box.y1 + pad)
    return not bool(hit.any())


# ------------------------------------------------- chapter 09, the overfitting curves (5)
@pytest.fixture(params=[14, 19], ids=["minimum-at-14", "minimum-at-19"])
def overfitting_figure(request: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell eb37546d on curves shaped like the measured ones, the dev minimum at epoch 14 (as
    measured) or 19 (the latest the claims allow)."""
    best = request.param
    epoch = np.arange(1, 61)
    wiggle = 1 + 0.15 * np.sin(1.7 * epoch)
    train_loss = (1.9 * np.exp(-epoch / 8) + 0.03) * wiggle
    dev_loss = 0.7 + 0.012 * np.abs(epoch - best) + 0.02 * np.sin(epoch)
    dev_loss[best - 1] = 0.68
    hist = types.SimpleNamespace(
        epoch=epoch,
        train_loss=list(train_loss),
        dev_loss=list(dev_loss),
        train_acc=list(np.minimum(1.0, 0.55 + 0.45 * (1 - np.exp(-epoch / 12)))),
        dev_acc=list(0.77 - 0.2 * np.exp(-epoch / 4)),
    )
    with drawn_cell("09_regularization.ipynb", "eb37546d", {"hist_base": hist}, monkeypatch) as fig:
        yield fig


def test_overfitting_figure_is_readable_at_notebook_width(overfitting_figure: Figure) -> None:
    assert_readable_cell(overfitting_figure)


def test_overfitting_figure_has_one_legend_off_both_panels_and_its_note_between_the_curves(
    overfitting_figure: Figure,
) -> None:
    fig = overfitting_figure
    renderer = fig.canvas.get_renderer()
    ax, ax2 = fig.axes
    assert ax.bbox.x1 < ax2.bbox.x0
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == ["train (mini-batches)", "dev"]
    assert_legend_clear(fig, legend)
    (note,) = ax.texts
    assert " ".join(note.get_text().split()).startswith("dev minimum, epoch")
    note_box = Text.get_window_extent(note, renderer)  # the text alone, not its arrow
    assert ax.bbox.x0 <= note_box.x0 and note_box.x1 <= ax.bbox.x1
    assert ax.bbox.y0 <= note_box.y0 and note_box.y1 <= ax.bbox.y1
    assert _clear_of(note_box, _curve_points(fig, ax))


# ------------------------------------------------------- chapter 09, the tanh figure (20)
@pytest.fixture
def tanh_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    rng = np.random.default_rng(0)
    names = {
        "pre_acts": {0.0: rng.normal(0, 1.5, 20_000), 3e-2: rng.normal(0, 0.6, 20_000)},
        "tanh_lams": [0.0, 3e-3, 1e-2, 3e-2],
        "near_linear": [0.398, 0.478, 0.556, 0.594],
        "lipschitz": [12.8, 8.6, 5.1, 2.6],
    }
    with drawn_cell("09_regularization.ipynb", "f093abb3", names, monkeypatch) as fig:
        yield fig


def test_tanh_figure_is_readable_with_its_panels_stacked_and_legend_between(
    tanh_figure: Figure,
) -> None:
    fig = tanh_figure
    assert_readable_cell(fig)
    renderer = fig.canvas.get_renderer()
    top, bottom = fig.axes[0], fig.axes[1]
    assert top.bbox.y0 > bottom.bbox.y1  # stacked: the histogram panel above the trend panel
    (legend,) = legends(fig)
    assert len(legend.get_texts()) == 5
    box = assert_legend_clear(fig, legend, xlabels=False)
    assert not overlaps(box, top.xaxis.label.get_window_extent(renderer))
    # the title (the share beyond ±3) stays inside, clear of the figure's title
    title = top.title.get_window_extent(renderer)
    assert inside(title, fig)
    assert not overlaps(title, fig._suptitle.get_window_extent(renderer))


# ------------------------------------------- chapter 09, the objective with the penalty (23)
@pytest.fixture
def objective_figure(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """Cell 035775a4 with its training replaced by losses shaped like the measured ones: the
    penalty falls from 1.39 to 0.41, the data loss rises from 0.011 to 0.13 with spikes."""
    k = np.arange(16)
    penalties = 0.35 + 1.04 * np.exp(-k / 6)
    data_losses = 0.011 + 0.009 * k + 0.06 * (k % 3 == 2) * (k > 8)
    epoch = {"k": 0}

    def fake_fit(*args: Any, **kwargs: Any) -> None:
        epoch["k"] += 1

    def model(*args: Any, **kwargs: Any) -> Any:
        return types.SimpleNamespace(params=[np.zeros(1)], weights=[])

    names = {
        "mlp": model,
        "baseline": model(),
        "SGD": lambda *a, **kw: None,
        "fit": fake_fit,
        "evaluate": lambda *a: (float(data_losses[epoch["k"]]), 1.0),
        "penalty": lambda *a, **kw: (float(penalties[epoch["k"]]), None),
        "LR": 0.05,
        "BATCH": 50,
        "X_train": None,
        "y_train": None,
    }
    with drawn_cell("09_regularization.ipynb", "035775a4", names, monkeypatch) as fig:
        capsys.readouterr()
        yield fig


def test_objective_figure_is_readable_with_its_legend_clear_of_the_curves(
    objective_figure: Figure,
) -> None:
    fig = objective_figure
    assert_readable_cell(fig)
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    (legend,) = legends(fig)
    box = legend.get_window_extent(renderer)
    assert inside(box, fig)
    assert _clear_of(box, _curve_points(fig, ax), pad=3.0)


# ------------------------------------------------------ chapter 09, L1 against L2 (28)
@pytest.fixture
def sparsity_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell f1cad114 on first layers with the measured norms and near-zero fractions."""
    rng = np.random.default_rng(0)
    measured = {  # name: (norm of W1, fraction with |w| < 1e-3, colour)
        "none": (14.4, 0.02, "start"),
        "L2, λ = 3e-3": (9.8, 0.05, "gd"),
        "L2, λ = 1e-2": (6.3, 0.31, "gd"),
        "L1, λ = 3e-4": (9.7, 0.67, "nesterov"),
        "L1, λ = 1e-3": (7.3, 0.90, "nesterov"),
    }
    sparsity, fractions = {}, {}
    for name, (norm, zeros, color) in measured.items():
        W = rng.normal(0, 0.03, (784, 128))
        W[rng.random(W.shape) < zeros] = 0.0
        W *= norm / np.linalg.norm(W)
        model = types.SimpleNamespace(params=[W])
        sparsity[name] = (model, COLORS[color])
        fractions[id(model)] = zeros
    names = {"sparsity": sparsity, "near_zero": lambda model: fractions[id(model)]}
    with drawn_cell("09_regularization.ipynb", "f1cad114", names, monkeypatch) as fig:
        yield fig


def test_sparsity_figure_is_readable_with_every_point_named_apart(
    sparsity_figure: Figure,
) -> None:
    fig = sparsity_figure
    assert_readable_cell(fig)
    renderer = fig.canvas.get_renderer()
    top, bottom = fig.axes
    assert top.bbox.y0 > bottom.bbox.y1  # stacked
    names = [t.get_window_extent(renderer) for t in top.texts]
    assert [t.get_text() for t in top.texts] == [
        "none",
        "L2, λ = 3e-3",
        "L2, λ = 1e-2",
        "L1, λ = 3e-4",
        "L1, λ = 1e-3",
    ]
    for a, b in itertools.combinations(names, 2):
        assert not overlaps(a, b)
    markers = [line.get_window_extent(renderer) for line in top.get_lines()]
    for i, box in enumerate(names):
        assert top.bbox.x0 <= box.x0 and box.x1 <= top.bbox.x1
        for j, marker in enumerate(markers):
            assert i == j or not overlaps(box, marker), (i, j)
    (legend,) = legends(fig)
    box = assert_legend_clear(fig, legend, xlabels=False)
    assert not overlaps(box, bottom.xaxis.label.get_window_extent(renderer))


# ------------------------------------------------ chapter 09, the augmentation grids (37, 44)
@pytest.mark.parametrize("cell_id", ["225d0660", "e946f8e8"])
def test_augmentation_grid_is_readable_with_classes_and_rows_named_apart(
    cell_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    images = rng.random((6, 28, 28)).astype(np.float32)
    names = {name: getattr(data, name) for name in data.__all__ if name.startswith("random_")}
    names |= {
        "add_noise": data.add_noise,
        "images": images,
        "X_train": images.reshape(6, 784),
        "y_train": np.array([0, 7, 3, 3, 8, 7]),
        "FASHION_MNIST_CLASSES": FASHION_MNIST_CLASSES,
    }
    with drawn_cell("09_regularization.ipynb", cell_id, names, monkeypatch) as fig:
        assert_readable_cell(fig)
        axes = np.array(fig.axes).reshape(5, 6)
        titles = [ax.title for ax in axes[0]]
        assert [t.get_text() for t in titles] == [
            FASHION_MNIST_CLASSES[k] for k in (0, 7, 3, 3, 8, 7)
        ]
        labels = [row[0].yaxis.label for row in axes]
        assert all(label.get_text() for label in labels)
        for group in (titles, labels):
            assert_texts_apart(fig, group)


# ------------------------------------------------- chapter 15, the gradient check (7)
@pytest.fixture
def check_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell 98fcf33b with the measured outcome: both losses fall alike; every relative error
    about 1e-10 but the buggy b1's, 1."""
    with drawn_cell("15_frameworks.ipynb", "98fcf33b", gradient_check_names(), monkeypatch) as fig:
        yield fig


@pytest.fixture
def side_by_side_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell 1a6efb82 on two loss curves a few 1e-16 apart."""
    rng = np.random.default_rng(0)
    curve = list(2.3 * np.exp(-np.arange(60) / 12) + 0.05 * rng.random(60))
    names = {"curve_np": curve, "curve_pt": [c + 2e-16 * (i % 3) for i, c in enumerate(curve)]}
    with drawn_cell("15_frameworks.ipynb", "1a6efb82", names, monkeypatch) as fig:
        yield fig


@pytest.mark.parametrize("name", ["check_figure", "side_by_side_figure"])
def test_ch15_figures_are_readable_with_titles_apart_and_legends_clear(
    name: str, request: pytest.FixtureRequest
) -> None:
    fig = request.getfixturevalue(name)
    assert_readable_cell(fig)
    renderer = fig.canvas.get_renderer()
    ax, ax2 = fig.axes
    assert ax.bbox.x1 < ax2.bbox.x0  # side by side: the comparison reads across
    assert_titles_clear(fig, (ax, ax2), off_panels=False)
    # the left panel's label and ticks clear of the right panel's y label
    assert not overlaps(ax.bbox, ax2.yaxis.label.get_window_extent(renderer))
    for a in (ax, ax2):
        legend = a.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        assert _clear_of(box, _curve_points(fig, a), pad=2.0)
        for bar in a.patches:
            assert not overlaps(box, bar.get_window_extent(renderer))


# ------------------------------------------------------------------ the two explorers
ridge = explorer_fixture(ch09.ridge_regression)


def test_ridge_explorer_is_readable_with_titles_apart_at_every_setting(ridge: Any) -> None:
    explorer, fig, state = ridge
    assert_readable_explorer(fig, on_site=True)  # the website's frames (72 dpi)
    renderer = fig.canvas.get_renderer()
    left, right = state["ax"], state["ax2"]
    for panel in (left, right):
        box = assert_legend_clear(fig, panel.get_legend(), (left, right), xlabels=False)
        assert not overlaps(box, panel.xaxis.label.get_window_extent(renderer))
    for settings in every_setting(explorer):
        explorer.redraw(state, **settings)
        assert_titles_clear(fig, (left, right), context=settings)


sweep = explorer_fixture(ch15.backward_stepper)


def test_sweep_explorer_is_readable_with_boxes_labels_and_status_apart(sweep: Any) -> None:
    explorer, fig, state = sweep
    assert_readable_explorer(fig, on_site=True)  # the website's frames (72 dpi)
    renderer = fig.canvas.get_renderer()
    for settings in every_setting(explorer):
        explorer.redraw(state, **settings)
        fig.canvas.draw()
        boxes = {
            n: b.get_bbox_patch().get_window_extent(renderer) for n, b in state["boxes"].items()
        }
        status = state["title"].get_window_extent(renderer)
        assert inside(status, fig), settings
        for name, box in boxes.items():
            assert inside(box, fig), (name, settings)
            assert not overlaps(status, box), (name, settings)
        for a, b in itertools.combinations(boxes.values(), 2):
            assert not overlaps(a, b), settings
        for edge, label in state["labels"].items():
            if label.get_text():
                box = label.get_window_extent(renderer)
                assert not any(overlaps(box, b) for b in boxes.values()), (edge, settings)
