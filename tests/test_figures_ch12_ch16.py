"""Chapters 12 and 16 read at the width JupyterLab gives them .

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it and a longer printed row wraps (the measures of
``tests/figure_reading.py``). These tests check:

* :func:`dlnotes.capstone.plot_run`'s own figure (capstone cell 4) is 2 × 2 panels, at most
  750 px wide, every text (tick labels included) at least 9 px high at 468 px, and its update
  ratio legend off every panel; given axes, it follows the caller's font size;
* chapter 12's first figure (cell ``ca97eeda``) keeps its class names at least 9 px high, each
  above the source image of its class, and its sweep table (cell ``82645000``) prints rows of at
  most 56 characters, every value under its column;
* ``check("ch12_freeze", ...)`` on a freeze run without the chapter's import cell names the
  missing import and the cell to run;
* chapter 12's recipe table points to the two cheap runs as *above* (they are two cells up).
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_reading import (
    MAX_ROW_CHARS,
    MAX_SITE_PX,
    MIN_TEXT_PX,
    cell,
    inline_png_width,
    smallest_text_px,
)

from dlnotes import capstone, zoo
from dlnotes.data import FASHION_MNIST_CLASSES, load_fashion_mnist_subset
from dlnotes.exercises import check


@pytest.fixture(scope="module")
def runs() -> dict[str, Any]:
    return capstone.load_runs()


@pytest.mark.parametrize("label", [capstone.HEALTHY, "A", "F"])
def test_plot_run_figure_is_two_by_two_and_readable_at_notebook_width(
    runs: dict[str, Any], label: str
) -> None:
    fig = capstone.plot_run(runs[label])
    fig.suptitle("the healthy recipe", x=0.02, ha="left")  # as capstone cell 4 does
    width = inline_png_width(fig)
    assert width <= MAX_SITE_PX, width
    text, px = smallest_text_px(fig, width)
    assert px >= MIN_TEXT_PX, (text, round(px, 1), width)
    # 2 × 2: loss and accuracy above, mini-batch loss and update ratio below
    boxes = [ax.get_position() for ax in fig.axes]
    assert [ax.get_title() for ax in fig.axes] == [
        f"run {label}: loss",
        "accuracy",
        "mini-batch loss",
        "update ratio ‖ΔW‖/‖W‖",
    ]
    assert boxes[0].y0 > boxes[2].y1 and boxes[1].y0 > boxes[3].y1
    assert boxes[0].x1 < boxes[1].x0 and boxes[2].x1 < boxes[3].x0
    plt.close(fig)


def test_update_ratio_legend_names_every_layer_off_every_panel(runs: dict[str, Any]) -> None:
    run = runs["F"]  # four weight layers, the most lines in one panel
    fig = capstone.plot_run(run)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = fig.axes[3].get_legend()
    weights = [i for i, name in enumerate(run.layers) if name.startswith("Linear")]
    assert [t.get_text() for t in legend.get_texts()] == [f"layer {i}" for i in weights]
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        a = ax.get_window_extent(renderer)
        assert not (box.x0 < a.x1 and a.x0 < box.x1 and box.y0 < a.y1 and a.y0 < box.y1)
    assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1
    plt.close(fig)


def test_plot_run_on_given_axes_follows_the_callers_font_size(runs: dict[str, Any]) -> None:
    """Capstone cell 6 draws every run on 2 × 2 axes under ``font.size`` 12: tick labels and
    legends come out at 12 points (not the old fixed 7 and 8)."""
    with plt.rc_context({"font.size": 12, "axes.titlesize": 12}):
        fig = plt.figure(figsize=(8, 4.6), layout="constrained")
        capstone.plot_run(runs["A"], ax=fig.subplots(2, 2))
    inline_png_width(fig)
    texts = [t for ax in fig.axes for t in [*ax.get_xticklabels(), *ax.get_yticklabels()]]
    texts += [t for ax in (fig.axes[0], fig.axes[3]) for t in ax.get_legend().get_texts()]
    sizes = {t.get_fontsize() for t in texts if t.get_text()}
    assert sizes == {12.0}, sizes
    plt.close(fig)


# ------------------------------------------------------------------------------ chapter 12
def test_ch12_class_titles_are_readable_at_notebook_width(monkeypatch: Any) -> None:
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    names: dict[str, Any] = {
        "plt": plt,
        "np": np,
        "zoo": zoo,
        "FASHION_MNIST_CLASSES": FASHION_MNIST_CLASSES,
        "load_fashion_mnist_subset": load_fashion_mnist_subset,
    }
    exec(compile(cell("12_transfer_learning.ipynb", "ca97eeda"), "ca97eeda", "exec"), names)
    fig = names["fig"]
    width = inline_png_width(fig)
    assert width <= MAX_SITE_PX, width
    text, px = smallest_text_px(fig, width)
    assert px >= MIN_TEXT_PX, (text, round(px, 1), width)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == list(FASHION_MNIST_CLASSES)
    # no two class names overlap
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_title()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)
    plt.close(fig)


def test_ch12_sweep_table_rows_fit_the_notebook(capsys: Any) -> None:
    sweep = zoo.load_sweep("fashion5_mlp")
    names = {"np": np, "sweep": sweep, "sizes": sweep["sizes"]}
    exec(compile(cell("12_transfer_learning.ipynb", "82645000"), "82645000", "exec"), names)
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= MAX_ROW_CHARS for line in lines), [len(x) for x in lines]
    head, columns, *rows = lines
    assert len(rows) == len(sweep["sizes"])
    # every value sits under its column's name: the multipliers twice, then the probe
    mults = [f"×{m:g}" for m in sweep["lr_mults"]]
    ends = []
    at = 0
    for name in [*mults, *mults, "(probe)"]:
        at = columns.index(name, at) + len(name)
        ends.append(at)
    mean = sweep["finetune"].mean(axis=3)
    for k, row in enumerate(rows):
        values = [mean[f, m, k] for f in (0, 1) for m in range(len(mults))] + [mean[2, 0, k]]
        assert row.split()[0] == str(sweep["sizes"][k])
        for value, end in zip(values, ends):
            assert row[end - 5 : end] == f"{value:.3f}", (row, end)
    for group in ("0 frozen", "1 frozen", "2 frozen"):
        assert group in head


def test_ch12_freeze_without_the_import_names_the_import_cell() -> None:
    space: dict[str, Any] = {}  # a kernel where `from dlnotes.layers import Linear` never ran
    exec(
        "def freeze(model, n_frozen):\n"
        "    pos = [i for i, l in enumerate(model.layers) if isinstance(l, Linear)]\n"
        "    return [p for l in model.layers[[*pos, len(model.layers)][n_frozen]:]"
        " for p in l.params]\n",
        space,
    )
    with pytest.raises(AssertionError) as info:
        check("ch12_freeze", space["freeze"])
    said = str(info.value)
    assert "NameError: name 'Linear' is not defined" in said
    assert "run the cell that imports it (from dlnotes.layers import linear)" in said.lower()


def test_ch12_recipe_table_points_to_the_cheap_runs_above() -> None:
    text = " ".join(cell("12_transfer_learning.ipynb", "8f46c55e").split())
    assert "previous paragraph" not in text
    assert "the two cheap runs above" in text
