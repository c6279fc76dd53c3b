"""Figures of chapters 07, 08 and 10 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``: the smallest text's size in points
at the PNG's dpi, times the scale to 468 px, must be at least 9 px; the book site shows up to
750 px unscaled). These tests run the figure cells on small synthetic inputs shaped like the
measured ones, and build the explorers:

* chapter 07's weight images (cell ``840b6829``), signal curves (``d3b2f9bb``, now stacked, each
  legend to the right of its panel), per-scheme stds (``bc7c928d``, one legend under both
  panels), histograms (``0576e36a``, the pre-activations in the top block and the gradients in
  the bottom one, as the prose says) and training curves (``70d29c97``, one legend under both
  panels) keep every text at least 9 px high and their legends off every panel;
* chapter 08's V of the finite-difference error (cell ``10eb1b32``) does too, each guide's label
  clear of its guide line and of every curve and guide;
* chapter 10's overfitting curves (``f8a9eea8``), gap and dev-loss panels (``4141fb25``, the two
  accuracy panels above the dev loss), mask-average errors (``e66d3a5d``) and ablation
  (``4d0468f9``, one x label for both panels, the legend clear of the points) do too;
* the explorers of chapters 07, 08 and 10 keep every text at least 9 px high, their legends
  inside the figure and off both panels, and their titles inside the figure, above their panels
  and apart, at every value of each control and for the widest titles their formats write.
"""

from __future__ import annotations

import itertools
import re
import types
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import numpy as np
import pytest
from figure_reading import (
    MAX_SITE_PX,
    assert_legend_clear,
    assert_legends_clear,
    assert_readable_cell,
    assert_readable_explorer,
    assert_titles_clear,
    drawn_cell,
    every_named_value,
    every_setting,
    inside,
    legends,
    live_explorer,
    live_width,
    overlaps,
)
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from dlnotes.explorers import ch07, ch08, ch10
from dlnotes.plots import COLORS

CH07, CH08, CH10 = "07_initialization.ipynb", "08_gradient_checking.ipynb", "10_dropout.ipynb"
SCHEMES = {"N(0, 0.01²)": None, "Xavier": None, "He": None}
SCHEME_COLORS = {"N(0, 0.01²)": "0.5", "Xavier": COLORS["momentum"], "He": COLORS["gd"]}


def _history(**curves: Any) -> Any:
    n = len(next(iter(curves.values())))
    return types.SimpleNamespace(epoch=np.arange(1, n + 1), **curves)


# ------------------------------------------------------------------------------ chapter 07
@pytest.fixture
def weights_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    rng = np.random.default_rng(0)
    W1_sym = np.tile(rng.normal(size=(64, 1)), (1, 64))
    names = {"W1_sym": W1_sym, "W1_rand": rng.normal(size=(64, 64))}
    with drawn_cell(CH07, "840b6829", names, monkeypatch) as fig:
        yield fig


def test_ch07_weight_images_are_readable(weights_figure: Figure) -> None:
    assert_readable_cell(weights_figure)
    assert_titles_clear(weights_figure, off_panels=False)
    assert len(weights_figure.axes) == 12


@pytest.fixture
def signal_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    layers = np.arange(51)
    names = {
        "diag_norms": {a: a**layers for a in (0.9, 1.0, 1.1)},
        "random_vars": {c: c**layers for c in (0.8, 1.0, 1.25)},
        "depth_linear": 50,
    }
    with drawn_cell(CH07, "d3b2f9bb", names, monkeypatch) as fig:
        yield fig


def test_ch07_signal_figure_is_readable_with_its_legends_beside_the_panels(
    signal_figure: Figure,
) -> None:
    assert_readable_cell(signal_figure)
    assert_legends_clear(signal_figure, 2, min_points=10)
    assert_titles_clear(signal_figure, off_panels=False)
    top, bottom = signal_figure.axes
    assert top.bbox.y0 > bottom.bbox.y1  # stacked: a = 0.9, 1, 1.1 above nσ² = 0.8, 1, 1.25
    labels = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in (top, bottom)]
    assert labels == [
        ["$a = 0.9$", "$a = 1.0$", "$a = 1.1$"],
        [rf"$n\sigma^2 = {c}$" for c in (0.8, 1.0, 1.25)],
    ]
    # the prose cites the dotted predictions: each is drawn after (on top of) its
    # measured curve, at least 1.5 pt, and the measured curve under it is pale and wider
    lines = bottom.get_lines()
    for measured, dotted in zip(lines[::2], lines[1::2]):
        assert dotted.get_linestyle() == ":" and dotted.get_linewidth() >= 1.5
        assert measured.get_linewidth() > dotted.get_linewidth()
        assert (measured.get_alpha() or 1.0) <= 0.6


def _stats(depth: int = 10) -> dict[Any, dict[str, Any]]:
    rng = np.random.default_rng(0)
    stats = {}
    for act, scheme in itertools.product(["ReLU", "tanh"], SCHEMES):
        scale = {"N(0, 0.01²)": 0.1, "Xavier": 0.7, "He": 1.0}[scheme]
        stats[act, scheme] = {
            "z_var": scale ** (2 * np.arange(1, depth + 1)),
            "grad_var": scale ** (2 * np.arange(depth, 0, -1)),
            "z": [scale**layer * rng.normal(size=(300, 256)) for layer in range(depth)],
            "grad": [scale**layer * rng.normal(size=(300, 256)) for layer in range(depth)],
        }
    return stats


@pytest.fixture
def schemes_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    names = {
        "stats": _stats(),
        "NONLINEARITIES": {"ReLU": "relu", "tanh": "tanh"},
        "SCHEMES": SCHEMES,
        "SCHEME_COLORS": SCHEME_COLORS,
        "depth": 10,
        "width": 256,
    }
    with drawn_cell(CH07, "bc7c928d", names, monkeypatch) as fig:
        yield fig


def test_ch07_scheme_figure_is_readable_with_one_legend_under_both_panels(
    schemes_figure: Figure,
) -> None:
    assert_readable_cell(schemes_figure)
    assert_legends_clear(schemes_figure, 1, min_points=10)
    assert_titles_clear(schemes_figure, off_panels=False)
    assert len(legends(schemes_figure)[0].get_texts()) == 6


@pytest.fixture
def histogram_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    names = {"stats": _stats(), "SCHEMES": SCHEMES, "SCHEME_COLORS": SCHEME_COLORS}
    with drawn_cell(CH07, "0576e36a", names, monkeypatch) as fig:
        yield fig


def test_ch07_histograms_are_readable_with_pre_activations_on_top(
    histogram_figure: Figure,
) -> None:
    fig = histogram_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    assert len(fig.axes) == 24
    # the prose: "the pre-activations z_l ... (top) and their gradients (bottom)"
    top, bottom = fig.subfigs
    assert top.get_suptitle().startswith("pre-activations")
    assert bottom.get_suptitle().startswith("gradients")
    assert min(ax.bbox.y0 for ax in top.axes) > max(ax.bbox.y1 for ax in bottom.axes)
    for sub in (top, bottom):  # one row per scheme, named
        assert [ax.get_ylabel() for ax in sub.axes[::4]] == list(SCHEMES)
    renderer = fig.canvas.get_renderer()
    for sub in (top, bottom):  # each block names its x axis, under its bottom row
        label = sub._supxlabel
        assert label is not None and label.get_text() == "value"
        box = label.get_window_extent(renderer)
        assert inside(box, fig) and box.y1 <= min(ax.bbox.y0 for ax in sub.axes)


@pytest.fixture
def training_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    epochs = np.arange(12)
    runs = {
        name: (None, _history(train_loss=2.3 * f**epochs, dev_acc=1 - 0.9 * f**epochs))
        for name, f in zip(SCHEMES, (1.0, 0.8, 0.5))
    }
    names = {"runs": runs, "SCHEMES": SCHEMES, "SCHEME_COLORS": SCHEME_COLORS}
    with drawn_cell(CH07, "70d29c97", names, monkeypatch) as fig:
        yield fig


def test_ch07_training_figure_is_readable_with_one_legend_under_both_panels(
    training_figure: Figure,
) -> None:
    assert_readable_cell(training_figure)
    assert_legends_clear(training_figure, 1, min_points=10)
    assert_titles_clear(training_figure, off_panels=False)
    (legend,) = legends(training_figure)
    assert [t.get_text() for t in legend.get_texts()] == list(SCHEMES)


# ------------------------------------------------------------------------------ chapter 08
@pytest.fixture
def v_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    eps64 = np.finfo(np.float64).eps
    hs = np.logspace(-13, 0, 60)
    names = {
        "hs": hs,
        "one_sided": 0.4 * hs + eps64 / hs,
        "two_sided": 0.1 * hs**2 + eps64 / hs,
        "eps64": eps64,
    }
    with drawn_cell(CH08, "10eb1b32", names, monkeypatch) as fig:
        yield fig


def test_ch08_v_figure_is_readable_with_each_guide_label_off_its_line(
    v_figure: Figure,
) -> None:
    fig = v_figure
    assert_readable_cell(fig)
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    guides = {  # the label and the dotted/dashed guide it names
        "slope 1": lambda x: 0.05 * x,
        "slope 2": lambda x: 0.01 * x**2,
    }
    for text in ax.texts:
        name = text.get_text()
        box = text.get_window_extent(renderer)
        assert inside(box, fig) and overlaps(box, ax.bbox), name
        if name in guides:
            xs = np.logspace(-4, -1, 200)
            points = ax.transData.transform(np.c_[xs, guides[name](xs)])
            assert not any(box.contains(x, y) for x, y in points), name
            for line in ax.lines:  # both curves and every guide, densified on screen
                ends = ax.transData.transform(line.get_xydata())
                t = np.linspace(0, 1, 20)[:, None]
                dense = (ends[:-1, None] * (1 - t) + ends[1:, None] * t).reshape(-1, 2)
                assert not any(box.contains(x, y) for x, y in dense), (name, line)
    assert {t.get_text() for t in ax.texts} >= set(guides)


# ------------------------------------------------------------------------------ chapter 10
def _curves(n: int = 60) -> dict[str, Any]:
    t = np.arange(1, n + 1)
    plain = _history(
        dev_acc=0.8 - 0.3 * np.exp(-t / 5),
        train_loss=2.3 * np.exp(-t / 8),
        dev_loss=0.7 + 1.6 * np.exp(-t / 4) + 0.005 * t,
    )
    dropped = _history(
        dev_acc=0.81 - 0.3 * np.exp(-t / 5),
        train_loss=2.3 * np.exp(-t / 10),
        dev_loss=0.65 + 1.6 * np.exp(-t / 4),
    )
    return {
        "epochs": t,
        "train_loss_eval": {(0.0, 0): 2.0 * np.exp(-t / 6)},
        "plain_hist": plain,
        "plain_train_acc": 1.0 - 0.5 * np.exp(-t / 8),
        "dropped_hist": dropped,
        "dropped_train_acc": 0.97 - 0.5 * np.exp(-t / 10),
    }


@pytest.fixture
def overfit_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    with drawn_cell(CH10, "f8a9eea8", _curves(), monkeypatch) as fig:
        yield fig


def test_ch10_overfitting_figure_is_readable_with_one_legend_under_both_panels(
    overfit_figure: Figure,
) -> None:
    assert_readable_cell(overfit_figure)
    assert_legends_clear(overfit_figure, 1, min_points=10)
    assert_titles_clear(overfit_figure, off_panels=False)


def test_ch10_overfitting_loss_panel_draws_the_eval_mode_training_loss(
    overfit_figure: Figure,
) -> None:
    # The shared legend's "training set" names the eval-mode measurement of the left panel;
    # the right panel draws the same measurement, not the running mini-batch loss.
    _, loss = overfit_figure.axes
    train, dev = loss.get_lines()
    curves = _curves()
    assert np.allclose(train.get_ydata(), curves["train_loss_eval"][0.0, 0])
    assert np.allclose(dev.get_ydata(), curves["plain_hist"].dev_loss)
    assert "eval mode" in loss.get_ylabel()


@pytest.fixture
def gap_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    with drawn_cell(CH10, "4141fb25", _curves(), monkeypatch) as fig:
        yield fig


def test_ch10_gap_figure_is_readable_with_its_legends_off_the_panels(
    gap_figure: Figure,
) -> None:
    fig = gap_figure
    assert_readable_cell(fig)
    assert_legends_clear(fig, 2, min_points=10)
    assert_titles_clear(fig, off_panels=False)
    no_dropout, dropout, loss = fig.axes
    assert no_dropout.get_title().startswith("no dropout")
    assert dropout.get_title().startswith("dropout p = 0.5")
    assert loss.get_ylabel() == "dev cross-entropy"
    assert min(no_dropout.bbox.y0, dropout.bbox.y0) > loss.bbox.y1
    # blue is "training set" above: the dev-loss curves use colours the top panels do not
    top_colours = {to_hex(line.get_color()) for line in no_dropout.get_lines()}
    assert not {to_hex(line.get_color()) for line in loss.get_lines()} & top_colours


@pytest.fixture
def masks_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    Ks = 2 ** np.arange(8)
    names = {
        "Ks": Ks,
        "error": {"linear layer": 0.24 / np.sqrt(Ks), "deep ReLU network": 0.35 / Ks**0.45},
        "noise": {"linear layer": 0.24 / np.sqrt(Ks), "deep ReLU network": 0.35 / np.sqrt(Ks)},
    }
    with drawn_cell(CH10, "e66d3a5d", names, monkeypatch) as fig:
        yield fig


def test_ch10_mask_average_figure_is_readable_with_its_legend_off_the_panel(
    masks_figure: Figure,
) -> None:
    assert_readable_cell(masks_figure)
    assert_legends_clear(masks_figure, 1, min_points=10)
    assert len(legends(masks_figure)[0].get_texts()) == 4
    # plain decimals on the y axis: "6×10⁻¹"-style minor labels read ~4 px at 468 px
    ax = masks_figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels(which="both") if t.get_text()]
    assert labels and all(re.fullmatch(r"[0-9.]+", label) for label in labels), labels


@pytest.fixture
def ablation_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    fractions = [0.1, 0.25, 0.5]
    measured = {  # as measured, in accuracy lost
        ("no dropout", 1): (0.008, 0.034, 0.115),
        ("dropout", 1): (0.004, 0.008, 0.036),
        ("no dropout", 2): (0.011, 0.017, 0.061),
        ("dropout", 2): (0.002, -0.002, 0.003),
    }
    ablation = {
        (name, layer, q): lost
        for (name, layer), losses in measured.items()
        for q, lost in zip(fractions, losses)
    }
    with drawn_cell(
        CH10, "4d0468f9", {"fractions": fractions, "ablation": ablation}, monkeypatch
    ) as fig:
        yield fig


def test_ch10_ablation_figure_is_readable_with_its_legend_clear_of_the_points(
    ablation_figure: Figure,
) -> None:
    fig = ablation_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, off_panels=False)
    renderer = fig.canvas.get_renderer()
    assert fig.get_supxlabel() == "fraction of the layer's units switched off"
    (legend,) = legends(fig)
    box = legend.get_window_extent(renderer)
    ax = fig.axes[0]
    for line in ax.get_lines():
        xs, ys = line.get_data()
        fine = np.linspace(0, 1, 100)
        curve = np.c_[np.interp(fine, xs, xs), np.interp(fine, xs, ys)]
        assert not any(box.contains(x, y) for x, y in ax.transData.transform(curve))


# ------------------------------------------------------------------------------ explorers
@pytest.mark.parametrize(
    "factory", [ch07.signal_propagation, ch08.difference_error_explorer, ch10.dropout_masks]
)
def test_explorer_is_readable_with_its_legends_off_the_panels(factory: Any) -> None:
    with live_explorer(factory()) as (_, fig, _):
        assert_readable_explorer(fig)
        assert live_width(fig) <= MAX_SITE_PX, live_width(fig)
        panels = list(fig.axes)
        for ax in panels:
            legend = ax.get_legend()
            if legend is not None:  # the curves reach any place inside the axes
                assert_legend_clear(fig, legend, panels, min_points=10)
        assert (
            sum(ax.get_legend() is not None for ax in panels)
            == {
                ch07.signal_propagation: 2,
                ch08.difference_error_explorer: 0,
                ch10.dropout_masks: 1,
            }[factory]
        )


def test_ch07_explorer_titles_stay_clear_at_every_named_value() -> None:
    with live_explorer(ch07.signal_propagation()) as (explorer, fig, state):
        panels = [state["ax"], state["ax2"]]
        for settings in every_named_value(explorer):
            explorer.redraw(state, **settings)
            assert_titles_clear(fig, panels, above=True, context=settings)
        widest = {"title": "std(z_L)/std(z_1) = 1.2e+30", "title2": "std(z_L) = 1.2e+30"}
        ch07._signal_draw(state, {**explorer.compute(**explorer.defaults), **widest})
        assert_titles_clear(fig, panels, above=True, context=widest)


def test_ch08_explorer_title_stays_inside_at_every_setting() -> None:
    with live_explorer(ch08.difference_error_explorer()) as (explorer, fig, state):
        titles = {ch08._difference_frame(**s)["title"] for s in every_setting(explorer)}
        for title in sorted(titles, key=len)[-40:]:  # the longest are the widest
            state["ax"].set_title(title, fontsize=10)
            assert_titles_clear(fig, [state["ax"]], above=True, context=title)
        for text in state["ax"].texts:  # the thresholds' labels, at 10 points
            assert text.get_fontsize() >= 10


def test_ch10_explorer_titles_stay_clear_at_every_named_value() -> None:
    with live_explorer(ch10.dropout_masks(n_masks=300)) as (explorer, fig, state):
        panels = [state["ax"], state["ax2"]]
        for settings in every_named_value(explorer):
            explorer.redraw(state, **settings)
            assert_titles_clear(fig, panels, above=True, context=settings)
        widest = {
            "title": "Sneaker, p = 0.80:\n100% of pixels kept",
            "title2": "mean -10.00 vs test-time 9.92;\nspread (std) 11.9",
        }
        ch10._dropout_draw(state, {**explorer.compute(**explorer.defaults), **widest})
        assert_titles_clear(fig, panels, above=True, context=widest)
