"""Figures of chapters 11 and 14 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``, the measure every figure test
uses: the smallest text's size in points at 100 dpi, times the scale to 468 px). These tests
measure what the cells and the explorer draw:

* chapter 11's first figure (cell ``ab1bdf49``) keeps every text at least 9 px high at that
  width, its α legend off both panels, and prints its table in rows short enough not to wrap
  there (at most 56 characters), each value under its column's name;
* chapter 14's snapshot figure (cell ``c1badb70``) keeps every text at least 9 px high and tells
  the snapshot ensemble from the independent one although their lines nearly coincide: each line
  is named on the plot with its accuracy, the more accurate one above, the labels apart from each
  other and from the snapshots' curve, whichever ensemble is ahead;
* chapter 14's explorer keeps every text at least 9 px high, its legends off both panels and
  its status line (the right panel's title) inside the figure and clear of the left panel, at
  every value its controls name and for the widest status it can write.
"""

from __future__ import annotations

import types
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_reading import (
    MAX_ROW_CHARS,
    NOTEBOOK_PX,
    assert_readable_explorer,
    assert_text_readable,
    every_setting,
    explorer_fixture,
    inline_png_width,
    legends,
    live_width,
    overlaps,
    run_figure_cell,
)

from dlnotes import schedules as sch
from dlnotes.explorers import ch11, ch14


# --------------------------------------------------------------- chapter 11, the lr figure
def _synthetic_grid() -> dict[Any, dict[str, Any]]:
    """A grid with the widest entries the table can print: diverged in both columns, 100.0 %."""
    rng = np.random.default_rng(0)
    grid: dict[Any, dict[str, Any]] = {}
    for i, lr in enumerate(ch11.LRS):
        for norm in ("plain", "batchnorm"):
            loss = 2.3 * np.exp(-np.arange(90) / 40) + 0.1 * rng.random(90)
            diverged = i >= 3 if norm == "plain" else i == 4
            grid[norm, lr, 1.0] = {"step_loss": loss, "diverged": diverged, "dev_acc": 1.0}
    return grid


@pytest.fixture(params=["measured", "widest"])
def lr_figure(request: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """Cell ab1bdf49 on the chapter's grid (``measured``) or on one whose table entries are
    the widest possible (``widest``); yields the figure, the grid and the printed lines."""
    grid = ch11.lr_init_grid() if request.param == "measured" else _synthetic_grid()
    names = {"explorers": ch11, "grid": grid, "lrs": ch11.LRS, "scales": ch11.SCALES}
    namespace = run_figure_cell("11_batchnorm.ipynb", "ab1bdf49", names, monkeypatch)
    lines = capsys.readouterr().out.splitlines()
    fig = namespace["fig"]
    yield fig, grid, lines
    plt.close(fig)


def test_lr_figure_is_readable_at_notebook_width(lr_figure: Any) -> None:
    fig, _, _ = lr_figure
    assert_text_readable(fig, inline_png_width(fig))
    # the comparison stays side by side: two panels, one curve per learning rate in each
    assert len(fig.axes) == 2
    assert all(len(ax.get_lines()) == len(ch11.LRS) + 1 for ax in fig.axes)  # + chance line


def test_lr_figure_legend_names_every_rate_off_both_panels(lr_figure: Any) -> None:
    fig, _, _ = lr_figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [f"α = {lr:g}" for lr in ch11.LRS]
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        assert not overlaps(box, ax.bbox), ax.get_title()
    assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and fig.bbox.y0 <= box.y0


def test_lr_table_rows_fit_the_notebook_and_keep_their_columns(lr_figure: Any) -> None:
    _, grid, lines = lr_figure
    too_long = [line for line in lines if len(line) > MAX_ROW_CHARS]
    assert not too_long, too_long
    assert len(lines) == 1 + len(ch11.LRS)  # a header naming the columns, one row per rate
    header, *rows = lines
    plain_at, bn_at = header.index("plain"), header.index("with BatchNorm")
    for lr, row in zip(ch11.LRS, rows):
        shown = {}
        for norm in ("plain", "batchnorm"):
            r = grid[norm, lr, 1.0]
            shown[norm] = "diverged" if r["diverged"] else f"{r['dev_acc']:.1%}"
        assert row.startswith(f"α = {lr:g} "), row
        # each value starts under its column's name, so the columns read down the table
        assert row[plain_at:].startswith(shown["plain"] + " "), (row, header)
        assert row[bn_at:].rstrip() == shown["batchnorm"], (row, header)


# --------------------------------------------------------- chapter 14, the snapshot figure
SNAPSHOT_ACC = np.array([0.7655, 0.79, 0.807, 0.8225, 0.8125])  # as measured


@pytest.fixture(
    params=[(0.8155, 0.816), (0.8165, 0.8155), (0.816, 0.816)],
    ids=["independent-ahead", "snapshots-ahead", "tied"],
)
def snapshot_figure(request: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell c1badb70 on the measured snapshot accuracies and ensembles a few test images
    apart (81.55 % and 81.60 % measured; another CPU's rounding may swap them)."""
    snap_ensemble_acc, ensemble_acc = request.param
    steps_per_epoch, cycle_epochs, cycles = 47, 2, 5
    cyclic = sch.cosine_restarts(0.1, period=cycle_epochs * steps_per_epoch)
    names = {
        "snap_history": types.SimpleNamespace(
            step_lr=[cyclic(t) for t in range(cycle_epochs * cycles * steps_per_epoch)]
        ),
        "steps_per_epoch": steps_per_epoch,
        "CYCLE_EPOCHS": cycle_epochs,
        "CYCLES": cycles,
        "cyclic": cyclic,
        "snap_acc": SNAPSHOT_ACC,
        "snap_ensemble_acc": snap_ensemble_acc,
        "ensemble_acc": ensemble_acc,
        "K": 5,
    }
    namespace = run_figure_cell("14_ensembles.ipynb", "c1badb70", names, monkeypatch)
    fig = namespace["fig"]
    yield fig, names
    plt.close(fig)


def test_snapshot_figure_is_readable_at_notebook_width(snapshot_figure: Any) -> None:
    fig, _ = snapshot_figure
    assert_text_readable(fig, inline_png_width(fig))


def test_snapshot_figure_tells_the_two_ensembles_apart(snapshot_figure: Any) -> None:
    fig, names = snapshot_figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = next(a for a in fig.axes if a.get_ylabel() == "test accuracy (%)")
    accs = {
        "snapshot ensemble": names["snap_ensemble_acc"],
        "independent ensemble": names["ensemble_acc"],
    }
    lines, labels = {}, {}
    for name, acc in accs.items():
        # its label on the plot, with the accuracy the cell printed, in the colour of its line
        (labels[name],) = [t for t in ax.texts if t.get_text().startswith(name)]
        assert f"{acc:.2%}" in labels[name].get_text()
        (lines[name],) = [
            line
            for line in ax.get_lines()
            if line.get_color() == labels[name].get_color()
            and np.allclose(line.get_ydata(), 100 * acc)  # horizontal, at its accuracy
        ]
    snap, indep = lines.values()
    assert snap.get_linestyle() != indep.get_linestyle()
    assert snap.get_color() != indep.get_color()
    boxes = {n: t.get_window_extent(renderer) for n, t in labels.items()}
    assert not overlaps(*boxes.values())
    # the more accurate ensemble is named above both lines, the other below both (ties: one
    # of each); both labels within the panel
    line_y = [ax.transData.transform((0, 100 * acc))[1] for acc in accs.values()]
    ranked = sorted(accs, key=lambda n: -accs[n])
    assert boxes[ranked[0]].y0 >= max(line_y) - 0.5
    assert boxes[ranked[1]].y1 <= min(line_y) + 0.5
    for box in boxes.values():
        assert ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1
        assert ax.bbox.y0 <= box.y0 and box.y1 <= ax.bbox.y1
    # ... and clear of the snapshots' curve and of the legend
    xs = np.linspace(2, 10, 400)
    curve = ax.transData.transform(np.c_[xs, np.interp(xs, [2, 4, 6, 8, 10], 100 * SNAPSHOT_ACC)])
    legend = ax.get_legend().get_window_extent(renderer)
    for name, box in boxes.items():
        assert not any(box.contains(x, y) for x, y in curve), name
        assert not overlaps(box, legend), name


# ------------------------------------------------------------------- chapter 14, explorer
ema_explorer = explorer_fixture(ch14.ema_noisy_quadratic)


def test_ema_explorer_is_readable_at_notebook_width(ema_explorer: Any) -> None:
    _, fig, _ = ema_explorer
    assert_readable_explorer(fig)
    # the iterates' dot in the legend is large enough to see at that width
    legend = fig.axes[0].get_legend()
    (dot,) = [
        h
        for h, t in zip(legend.legend_handles, legend.get_texts())
        if t.get_text().startswith("iterates")
    ]
    assert dot.get_markersize() * fig.dpi / 72 * NOTEBOOK_PX / live_width(fig) >= 3


def test_ema_explorer_legends_and_status_stay_clear_at_every_named_setting(
    ema_explorer: Any,
) -> None:
    explorer, fig, state = ema_explorer
    renderer = fig.canvas.get_renderer()
    panels = (state["ax"], state["ax2"])
    legends = [ax.get_legend().get_window_extent(renderer) for ax in panels]
    assert not overlaps(*legends)
    for box in legends:
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and fig.bbox.y0 <= box.y0
        for ax in panels:
            # the iterates, the EMA and the loss curves reach any place inside the axes
            assert not overlaps(box, ax.bbox)
    left = state["ax"]
    left_title = left.title.get_window_extent(renderer)

    def assert_status_clear(settings: Any) -> None:
        status = state["ax2"].title.get_window_extent(renderer)
        assert fig.bbox.x0 <= status.x0 and status.x1 <= fig.bbox.x1, settings
        assert status.y1 <= fig.bbox.y1, settings
        assert not overlaps(status, left.bbox) and not overlaps(status, left_title), settings
        assert not overlaps(status, state["ax2"].bbox), settings

    # every value the controls name, at every value of the other control ...
    for settings in every_setting(explorer):
        explorer.redraw(state, **settings)
        assert_status_clear(settings)
    # ... and the widest status the format can write (3 significant digits of α, both
    # losses in exponent notation)
    frame = ch14._ema_frame(0.3, 0.95, np.zeros((ch14.STEPS, 2)))
    widest = "α = 0.0213, β = 0.995: last 200 steps, f(x) ≈ 1.2e-05, f(x̄) ≈ 1.2e-05"
    ch14._ema_draw(state, {**frame, "status": widest})
    assert_status_clear(widest)
