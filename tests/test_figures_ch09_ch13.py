"""Figures of chapters 09 and 13 read at the width JupyterLab gives them .

A 900 px browser window with JupyterLab's default sidebar (the file browser) leaves an output
area of 468 px (measured with JupyterLab 4 in Chromium; once estimated at about 530 px); a
figure's PNG wider than that is scaled down to it. These tests measure the figures as drawn:

* chapter 09's tanh-histogram figure (cell ``f093abb3``) keeps its legend off both panels and
  draws no spike at ``±3`` (the pre-activations beyond it are counted in the title, not clipped
  into the end bins);
* chapter 13's sensitivity figure (cell ``a95d1e3e``) keeps every text at least 9 px high when
  scaled to that width;
* chapter 09's ridge explorer keeps its x tick labels apart at that width and its legends off both
  panels, where neither the fit nor the λ marker can run (both cross any place inside the axes
  at some control setting).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_reading import (
    assert_text_readable,
    drawn_cell,
    explorer_fixture,
    inline_png_width,
    live_width,
    notebook_scale,
    overlaps,
    run_figure_cell,
)
from matplotlib.axes import Axes
from matplotlib.text import Text

from dlnotes.explorers import ch09


# --------------------------------------------------------------------- chapter 09, tanh figure
@pytest.fixture
def tanh_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell f093abb3 on synthetic pre-activations: wide ones (4.6 % beyond ±3) without a
    penalty, narrow ones with λ = 0.03; the step histograms it draws are recorded."""
    rng = np.random.default_rng(0)
    names = {
        "pre_acts": {0.0: rng.normal(0, 1.5, 40_000), 3e-2: rng.normal(0, 0.6, 40_000)},
        "tanh_lams": [0.0, 3e-3, 1e-2, 3e-2],
        "near_linear": [0.4, 0.48, 0.55, 0.6],
        "lipschitz": [12.8, 8.6, 5.1, 2.6],
    }
    drawn: list[tuple[np.ndarray, np.ndarray]] = []
    hist = Axes.hist

    def recording_hist(self: Axes, *args: Any, **kwargs: Any) -> Any:
        out = hist(self, *args, **kwargs)
        drawn.append((np.asarray(out[0]), np.asarray(out[1])))
        return out

    monkeypatch.setattr(Axes, "hist", recording_hist)
    namespace = run_figure_cell("09_regularization.ipynb", "f093abb3", names, monkeypatch)
    fig = namespace["fig"]
    fig.canvas.draw()
    yield fig, drawn, names["pre_acts"]
    plt.close(fig)


def test_tanh_histograms_have_no_spikes_at_the_axis_ends(tanh_figure: Any) -> None:
    _, drawn, pre_acts = tanh_figure
    assert len(drawn) == 2
    for (heights, bins), z in zip(drawn, pre_acts.values()):
        width = np.diff(bins)
        inside = np.mean(np.abs(z) <= bins[-1])
        # a density of all the z: the area drawn is the share within the axis, no more
        assert np.sum(heights * width) == pytest.approx(inside, abs=1e-9)
        # the end bins hold what falls in them, not the tails piled up (a spike at ±3)
        assert heights[0] <= 1.5 * heights[1] + 1e-3
        assert heights[-1] <= 1.5 * heights[-2] + 1e-3


def test_tanh_figure_says_how_much_lies_beyond_the_axis(tanh_figure: Any) -> None:
    fig, _, pre_acts = tanh_figure
    texts = " ".join(t.get_text() for t in fig.findobj(Text))
    share = np.mean(np.abs(pre_acts[0.0]) > 3)
    assert share > 0.04  # the synthetic wide case does put mass beyond ±3
    assert f"{share:.1%}" in texts


def test_tanh_figure_legend_covers_neither_panel(tanh_figure: Any) -> None:
    fig, _, _ = tanh_figure
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert legends
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not overlaps(box, ax.bbox), ax.get_ylabel()


# ---------------------------------------------------------------- chapter 13, sensitivity figure
def test_sensitivity_figure_is_readable_at_notebook_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dlnotes

    sens = np.load(Path(dlnotes.__file__).parent / "data" / "digits_sensitivity.npz")
    center = json.loads(str(sens["center"]))
    names = ["lr", "momentum", "batch_size", "hidden", "layers", "l2"]
    spread = {h: float(np.ptp(sens[f"{h}/dev_loss"])) for h in names}
    inputs = {"sens": sens, "center": center, "names": names, "spread": spread}
    with drawn_cell("13_tuning.ipynb", "a95d1e3e", inputs, monkeypatch) as fig:
        # the inline backend's PNGs: 100 dpi, cropped to the drawing (bbox_inches="tight")
        assert_text_readable(fig, inline_png_width(fig))
        # every panel keeps its own width: six of them, at most two side by side
        lefts = {round(ax.get_position().x0, 3) for ax in fig.axes}
        assert len(fig.axes) == 6 and len(lefts) <= 2


# ---------------------------------------------------------------- chapter 09, ridge explorer
ridge = explorer_fixture(ch09.ridge_regression, scope="function")


def test_ridge_explorer_tick_labels_keep_apart_at_notebook_width(ridge: Any) -> None:
    _, fig, state = ridge
    renderer = fig.canvas.get_renderer()
    scale = notebook_scale(live_width(fig))
    for ax in (state["ax"], state["ax2"]):
        boxes = sorted(
            (t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()),
            key=lambda b: b.x0,
        )
        boxes = [b for b in boxes if ax.bbox.x0 - 1 <= (b.x0 + b.x1) / 2 <= ax.bbox.x1 + 1]
        assert len(boxes) >= 3
        gaps = [(b.x0 - a.x1) * scale for a, b in itertools.pairwise(boxes)]
        assert min(gaps) >= 8, [t.get_text() for t in ax.get_xticklabels()]


def test_ridge_explorer_legends_sit_off_both_panels_at_every_setting(ridge: Any) -> None:
    explorer, fig, state = ridge
    renderer = fig.canvas.get_renderer()
    panels = (state["ax"], state["ax2"])
    limits = [(ax.get_xlim(), ax.get_ylim()) for ax in panels]
    for ax in panels:
        box = ax.get_legend().get_window_extent(renderer)
        for other in panels:
            assert not overlaps(box, other.bbox)
        assert all(line.get_clip_on() for line in ax.get_lines())  # drawn within the axes
    # the limits never follow the data, so the layout above holds for every frame
    n_grid = next(c for c in explorer.controls if c.name == "n").grid()
    for n in n_grid:
        for lam in ch09.LAMBDAS:
            explorer.redraw(state, lam=float(lam), n=n)
        assert [(ax.get_xlim(), ax.get_ylim()) for ax in panels] == limits, n
