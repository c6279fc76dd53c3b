"""Figures of chapter 04 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``: the smallest text's size in points
at the PNG's dpi, times the scale to 468 px, must be at least 9 px). These tests run the
chapter's seven figure cells that were too small on the chapter's own (cheap) inputs, the cells
they need run first, and check that each keeps every text at least 9 px high at that width, at
most 750 px wide on the book site, and no text on another or outside the figure:

* the valley under gradient descent (``1cd1d527``) and under heavy ball (``ded7d007``) keep
  their panels side by side (the alt texts read them left, right) and one legend under both,
  off every panel, naming the colours both panels use;
* the learning-rate drop (``4d00f544``) keeps its legend and its ``α: 1 → 0.1`` note inside
  the axes, on no plotted point;
* the three values of ρ (``7853c072``) stay side by side, each panel titled with its ρ and
  distance under the figure's title;
* the rate against ρ (``374ba2c7``) and Nesterov against heavy ball (``3dae0bf1``) keep their
  panels side by side with each legend under its panel, off both panels;
* the saddle runs (``c0c6bf5d``) keep their six labels in a legend under the axes, off the
  curves.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import pytest
from figure_reading import (
    assert_legend_clear,
    assert_readable_cell,
    assert_texts_apart,
    drawn_cell,
    drawn_texts,
    legends,
    run_figure_cell,
)
from matplotlib.figure import Figure

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes.optim import SGD, teaching
from dlnotes.schedules import step_decay

NB = "04_momentum.ipynb"
#: What the chapter's imports cell (80e0db3c) gives every cell.
IMPORTS = {
    "math": math,
    "ls": ls,
    "plots": plots,
    "SGD": SGD,
    "teaching": teaching,
    "step_decay": step_decay,
}


def _inputs(monkeypatch: pytest.MonkeyPatch, *cells: str) -> dict[str, Any]:
    """The namespace the chapter's ``cells`` leave, run in order on its imports (figures they
    draw are closed)."""
    names = dict(IMPORTS)
    for cell_id in cells:
        names = run_figure_cell(NB, cell_id, names, monkeypatch)
        plt.close("all")
    return names


def _assert_readable_and_apart(fig: Figure) -> None:
    """At least 9 px in the notebook, at most 750 px on the site, no text on another."""
    assert_readable_cell(fig)
    assert_texts_apart(fig, drawn_texts(fig))


def _assert_side_by_side(fig: Figure, count: int = 2) -> None:
    assert len(fig.axes) == count
    boxes = [ax.bbox for ax in fig.axes]
    assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes))  # left to right, one row


def _labels(legend: Any) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def _assert_covers_no_point(fig: Figure, box: Any, what: str) -> None:
    """No plotted point of any line of the figure lies inside the display box ``box``."""
    for ax in fig.axes:
        for line in ax.get_lines():
            points = ax.transData.transform(line.get_xydata())
            assert not any(box.contains(x, y) for x, y in points), (what, line.get_label())


def _assert_one_legend_names_both_panels(fig: Figure, labels: list[str]) -> None:
    """One legend, under both panels and off them, whose path colours are the right panel's
    curves' colours (in order)."""
    (legend,) = legends(fig)
    assert _labels(legend) == labels
    assert_legend_clear(fig, legend, titles=True)
    paths = [h.get_color() for h in legend.legend_handles[1:]]  # after the minimum's star
    curves = [line.get_color() for line in fig.axes[1].get_lines()]
    assert curves == paths


def test_valley_figure_is_readable_with_one_legend_under_both_panels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with drawn_cell(NB, "1cd1d527", IMPORTS, monkeypatch) as fig:
        _assert_readable_and_apart(fig)
        _assert_side_by_side(fig)
        _assert_one_legend_names_both_panels(fig, ["minimum", "gradient descent"])
        assert r"$\alpha = 2/(L+\mu)$" in fig.axes[0].get_title()
        assert "100 steps" in fig.axes[0].get_title()


def test_heavy_ball_valley_figure_is_readable_with_one_legend_under_both_panels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = _inputs(monkeypatch, "1cd1d527")
    with drawn_cell(NB, "ded7d007", names, monkeypatch) as fig:
        _assert_readable_and_apart(fig)
        _assert_side_by_side(fig)
        labels = ["minimum", "gradient descent, best α", "heavy ball, α = 1, ρ = 0.9"]
        _assert_one_legend_names_both_panels(fig, labels)


def test_rate_drop_figure_is_readable_with_its_legend_and_note_on_no_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = _inputs(monkeypatch, "1cd1d527", "5d2810fd")
    with drawn_cell(NB, "4d00f544", names, monkeypatch) as fig:
        _assert_readable_and_apart(fig)
        (ax,) = fig.axes
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend()
        assert _labels(legend) == [
            "(A) torch: $v = \\rho v + g$",
            "(B) $v = \\rho v - \\alpha g$",
        ]
        (note,) = ax.texts
        assert note.get_text() == r"$\alpha$: 1 → 0.1"
        for artist, what in ((legend, "legend"), (note, "note")):
            box = artist.get_window_extent(renderer)
            assert ax.bbox.contains(box.x0, box.y0) and ax.bbox.contains(box.x1, box.y1)
            _assert_covers_no_point(fig, box, what)


def test_rho_figure_is_readable_with_three_panels_in_a_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = _inputs(monkeypatch, "1cd1d527")
    with drawn_cell(NB, "7853c072", names, monkeypatch) as fig:
        _assert_readable_and_apart(fig)  # the three titles and the figure's among them
        _assert_side_by_side(fig, 3)
        titles = [ax.get_title() for ax in fig.axes]
        assert [t.splitlines()[0] for t in titles] == ["ρ = 0.5", "ρ = 0.9", "ρ = 0.99"]
        assert all(t.splitlines()[1].startswith("distance ") for t in titles)
        suptitle = fig.get_suptitle()
        assert "after 150 steps" in suptitle and r"$\alpha = 1$" in suptitle
        top = fig._suptitle.get_window_extent().y0  # the figure's title, above all three
        assert all(ax.title.get_window_extent().y1 <= top for ax in fig.axes)


def test_rate_against_rho_figure_is_readable_with_each_legend_under_its_panel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = _inputs(monkeypatch, "1cd1d527", "e0bd6a54")
    with drawn_cell(NB, "374ba2c7", names, monkeypatch) as fig:
        _assert_readable_and_apart(fig)  # ρ* among the texts that keep apart
        _assert_side_by_side(fig)
        left, right = fig.axes
        assert _labels(left.get_legend()) == [r"best rate for this $\rho$", r"$\sqrt{\rho}$"]
        assert _labels(right.get_legend()) == [
            r"predicted $\ln 10^{-6} / \ln(\mathrm{rate})$",
            "measured",
        ]
        for legend in legends(fig):
            assert_legend_clear(fig, legend)


def test_saddle_figure_is_readable_with_its_legend_under_the_axes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with drawn_cell(NB, "c0c6bf5d", IMPORTS, monkeypatch) as fig:
        _assert_readable_and_apart(fig)
        (legend,) = legends(fig)
        expected = [
            f"{name}, $y_0$ = {y0}"
            for name in ("gradient descent", "heavy ball")
            for y0 in ("1e-06", "1e-08", "0")
        ]
        expected[2] += " (under the heavy ball's)"  # gradient descent on the ridge: hidden
        assert _labels(legend) == expected
        assert_legend_clear(fig, legend)


def test_nesterov_figure_is_readable_with_each_legend_under_its_panel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = _inputs(monkeypatch, "1cd1d527", "a5ecd556")
    with drawn_cell(NB, "3dae0bf1", names, monkeypatch) as fig:
        _assert_readable_and_apart(fig)  # the two titles among the texts that keep apart
        _assert_side_by_side(fig)
        left, right = fig.axes
        assert _labels(left.get_legend()) == ["minimum", "heavy ball", "Nesterov"]
        assert _labels(right.get_legend()) == ["heavy ball", "Nesterov"]
        assert right.get_lines()[1].get_linestyle() == "--"  # the alt text: Nesterov dashed
        for legend in legends(fig):
            assert_legend_clear(fig, legend)
