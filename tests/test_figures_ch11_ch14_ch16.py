"""Chapters 11, 14 and 16: the last three notebook figures below JupyterLab's 468 px reading line.

A survey of every figure the sixteen notebooks print (run top to bottom, each PNG measured as
``tests/figure_reading.py`` says) left three under ``MIN_TEXT_PX`` once scaled to
``NOTEBOOK_PX``: chapter 11's accuracy against α and c (10 in wide, 6.6 px), chapter 14's
averaged iterates (an 8-pt legend, 7.5 px) and the capstone's curves of the learner's run (10 in
wide, 6.4 px). Each cell runs here on small synthetic inputs shaped like the real ones.
"""

from __future__ import annotations

import re
import types
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_reading import (
    MAX_SITE_PX,
    MIN_TEXT_PX,
    assert_legend_clear,
    inline_png_width,
    inside,
    legends,
    overlaps,
    run_figure_cell,
    smallest_text_px,
)
from matplotlib.ticker import MaxNLocator


def _readable(fig: Any) -> None:
    fig.canvas.draw()
    width = inline_png_width(fig)
    text, px = smallest_text_px(fig, width)
    assert px >= MIN_TEXT_PX, f"{text!r} is {px:.2f} px high at notebook width"
    assert width <= MAX_SITE_PX, width


def _grid() -> dict[tuple[str, float, float], dict[str, Any]]:
    lrs, scales = (0.01, 0.03, 0.1, 0.3, 1.0), (0.25, 1.0, 4.0)
    grid = {}
    for norm in ("plain", "batchnorm"):
        for lr in lrs:
            for c in scales:
                diverged = norm == "plain" and (lr >= 0.3 or c != 1.0)
                grid[norm, lr, c] = {"diverged": diverged, "dev_acc": 0.7 - 0.1 * lr}
    return grid


def test_ch11_accuracy_figure_is_readable_with_its_labels_apart(monkeypatch) -> None:
    names = {"grid": _grid(), "lrs": [0.01, 0.03, 0.1, 0.3, 1.0], "scales": [0.25, 1.0, 4.0]}
    fig = run_figure_cell("11_batchnorm.ipynb", "80085786", names, monkeypatch)["fig"]
    try:
        _readable(fig)
        r = fig.canvas.get_renderer()
        a, b = (ax.xaxis.label.get_window_extent(r) for ax in fig.axes)
        assert not overlaps(a, b) and inside(a, fig) and inside(b, fig)
        # The plain line falls to its x at c = 4 across the right panel: the legend sits
        # below both panels, off their data areas and x labels.
        (legend,) = legends(fig)
        assert [t.get_text() for t in legend.get_texts()] == ["plain", "with BatchNorm"]
        assert_legend_clear(fig, legend)
    finally:
        plt.close(fig)


def test_ch14_averages_figure_is_readable_with_its_legend_off_the_curves(monkeypatch) -> None:
    T = 600
    t = np.arange(1, T + 1)
    names = {
        "T_quad": T,
        "f_last": 0.17 + 3 * np.exp(-t / 10),
        "f_ema": 0.04 + 3 * np.exp(-t / 20),
        "polyak_start": 200,
        "f_polyak": 0.17 * 200 / t[200:],
        "floor": 0.17,
        "floor_ema": 0.04,
        "lr": 0.3,
        "sigma": 1.0,
        "beta": 0.95,
    }
    fig = run_figure_cell("14_ensembles.ipynb", "c6390de3", names, monkeypatch)["fig"]
    try:
        _readable(fig)
        (ax,) = fig.axes
        r = fig.canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(r)
        for line in ax.get_lines():
            xy = ax.transData.transform(line.get_xydata())
            assert not any(legend.contains(x, y) for x, y in xy), line.get_label()
    finally:
        plt.close(fig)


class _History(list):
    """What ``fit`` returns: a list (one entry an epoch) with the per-epoch curves."""

    def __init__(self, epochs: int, start: float) -> None:
        super().__init__(range(epochs))
        e = np.arange(epochs)
        self.train_loss = list(start * np.exp(-e / 8))
        self.train_acc = list(0.9 - 0.3 * np.exp(-e / 4))
        self.dev_loss = list(start * 0.8 * np.exp(-e / 10))
        self.dev_acc = list(0.86 - 0.1 * np.exp(-e / 4))


def test_capstone_run_curves_are_readable(monkeypatch) -> None:
    budget = types.SimpleNamespace(histories=[_History(12, 1.1), _History(8, 0.5)])
    names = {"budget": budget, "message": "", "MaxNLocator": MaxNLocator}
    fig = run_figure_cell("16_capstone.ipynb", "9f0f1c6e", names, monkeypatch)["fig"]
    try:
        _readable(fig)
        # the log loss axis reads in plain decimals: "6×10⁻¹"-style labels are ~4 px there
        ax_loss = fig.axes[0]
        labels = [t.get_text() for t in ax_loss.get_yticklabels(which="both")]
        shown = [label for label in labels if label]
        assert len(shown) >= 2 and all(re.fullmatch(r"[0-9.]+", x) for x in shown), shown
    finally:
        plt.close(fig)


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")
