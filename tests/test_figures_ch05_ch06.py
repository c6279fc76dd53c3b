"""Figures of chapters 05 and 06 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``: the smallest text's size in points
at the PNG's dpi, times the scale to 468 px, must be at least 9 px). These tests measure what
the cells and the explorers draw:

* chapter 05's six figures (the opening race, AdaGrad from far away, the saddle, RMSProp's
  start-up transient, Adam's bias correction, Adam + L2 against AdamW) and chapter 06's four
  that were too small (the noise floor, the catalogue of schedules, the per-epoch formulas,
  L-BFGS) keep every text at least 9 px high at that width, at most 750 px wide on the book
  site, and no text on another; where a legend moved, it sits off every panel (the paths and
  curves reach any place inside the axes), and the legend left inside the step-transient
  figure covers none of its curves; the two-panel comparisons stay side by side, as the prose
  reads them (left, right);
* chapter 05's race and chapter 06's schedule explorer keep every text at least 9 px high on
  the live face and at most 750 px wide on the website, their legends off both panels and
  inside the figure, and their status lines inside the figure and clear of the panels, their
  labels and the titles, along every sweep and for the widest status their formats write.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import numpy as np
import pytest
from figure_reading import (
    assert_legend_clear,
    assert_legends_clear,
    assert_readable_cell,
    assert_readable_explorer,
    assert_texts_apart,
    assert_titles_clear,
    drawn_cell,
    drawn_texts,
    every_named_value,
    explorer_fixture,
    inside,
    legends,
    overlaps,
    run_figure_cell,
)
from matplotlib.figure import Figure

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes import schedules as sch
from dlnotes.explorers import ch05, ch06
from dlnotes.optim import Adam, AdamW, teaching
from dlnotes.widgets import render_png


# ------------------------------------------------------------------------------- helpers
def _drawn(
    notebook: str, cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> AbstractContextManager[Figure]:
    """:func:`drawn_cell`, the cells seeing ``ls``, ``plots`` and ``math`` as well."""
    names = {"ls": ls, "plots": plots, "math": math, **names}
    return drawn_cell(notebook, cell_id, names, monkeypatch)


def _assert_readable_cell(fig: Figure) -> None:
    assert_readable_cell(fig)
    assert_texts_apart(fig, drawn_texts(fig))  # no text on another


def _assert_side_by_side(fig: Figure) -> None:
    left, right = fig.axes
    assert left.bbox.x1 < right.bbox.x0  # the prose reads the panels as left and right


# ------------------------------------------------------------------ chapter 05's figures
NB05 = "05_adaptive.ipynb"
COLOR05 = {
    "GD": plots.COLORS["gd"],
    "momentum": plots.COLORS["momentum"],
    "RMSprop": plots.COLORS["rmsprop"],
}


@pytest.fixture(scope="module")
def aligned() -> Any:
    return ls.ill_conditioned_quadratic(kappa=100.0)


def test_ch05_opening_race_is_readable_with_one_legend_under_both_panels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 4c68aa89 on the chapter's runs (400 steps of each grid: cheap)."""
    with _drawn(NB05, "4c68aa89", {}, monkeypatch) as fig:
        _assert_readable_cell(fig)
        _assert_side_by_side(fig)
        assert_legends_clear(fig, 1)
        (legend,) = legends(fig)
        labels = [t.get_text() for t in legend.get_texts()]
        assert labels[0] == "minimum" and len(labels) == 3
        assert labels[1].startswith("GD, α = ") and labels[2].startswith("RMSprop, α = ")


def test_ch05_far_start_figure_is_readable_with_each_legend_under_its_panel(
    monkeypatch: pytest.MonkeyPatch, aligned: Any
) -> None:
    """Cell 53cdb397 on the chapter's bowl (10 000 AdaGrad steps on two coordinates)."""
    with _drawn(NB05, "53cdb397", {"aligned": aligned}, monkeypatch) as fig:
        _assert_readable_cell(fig)
        _assert_side_by_side(fig)
        assert_legends_clear(fig, 2)
        left, right = ([t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes)
        assert left == ["minimum", "AdaGrad, 300 steps", "RMSProp, 300 steps"]
        assert right[:2] == ["flat coordinate $x_2$", "steep coordinate $x_1$"]


def test_ch05_saddle_figure_is_readable_with_its_titles_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 3c2548bc as the chapter runs it (1500 steps of three methods)."""
    with _drawn(NB05, "3c2548bc", {"teaching": teaching}, monkeypatch) as fig:
        _assert_readable_cell(fig)  # the two titles among the texts that keep apart
        _assert_side_by_side(fig)
        assert_legends_clear(fig, 1)
        (legend,) = legends(fig)
        assert [t.get_text() for t in legend.get_texts()] == [
            "minimum",
            "GD",
            "AdaGrad",
            "RMSprop",
        ]
        left, right = fig.axes
        assert "the first 600 steps" in left.get_title()
        assert right.get_title() == "all 1500 steps"


def test_ch05_transient_figure_is_readable_and_its_legend_covers_no_curve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 27d99c2a (its own inputs): the legend stays inside, top right, where no curve
    runs."""
    with _drawn(NB05, "27d99c2a", {}, monkeypatch) as fig:
        _assert_readable_cell(fig)
        (ax,) = fig.axes
        box = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
        assert inside(box, fig)
        for line in ax.get_lines():
            points = ax.transData.transform(line.get_xydata())
            assert not any(box.contains(x, y) for x, y in points), line.get_label()


def test_ch05_bias_correction_figure_is_readable_with_its_legend_under_the_axes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cells db93bd68 (the four step-length curves) and d97e027d."""
    steps = run_figure_cell(NB05, "db93bd68", {"math": math}, monkeypatch)["adam_steps"]
    with _drawn(NB05, "d97e027d", {"adam_steps": steps}, monkeypatch) as fig:
        _assert_readable_cell(fig)
        assert_legends_clear(fig, 1)
        (legend,) = legends(fig)
        assert [t.get_text() for t in legend.get_texts()] == list(steps)


def test_ch05_decay_figure_is_readable_with_one_legend_under_both_panels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 126a6e05 (six runs of 300 steps of the library's Adam and AdamW)."""
    with _drawn(NB05, "126a6e05", {"Adam": Adam, "AdamW": AdamW}, monkeypatch) as fig:
        _assert_readable_cell(fig)
        _assert_side_by_side(fig)
        assert_legends_clear(fig, 1)
        (legend,) = legends(fig)
        assert [t.get_text() for t in legend.get_texts()] == [
            "λ = 0.001",
            "λ = 0.01",
            "λ = 0.1",
        ]
        assert [ax.get_title() for ax in fig.axes] == ["Adam + L2, α = 0.01", "AdamW, α = 0.01"]


# ------------------------------------------------------------------ chapter 06's figures
NB06 = "06_schedules.ipynb"


def test_ch06_noise_floor_figure_is_readable_with_each_legend_under_its_panel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 8b9dcc35 on synthetic runs shaped like the measured ones: from 0 up to a floor
    proportional to α, a little above the formula's line."""
    rng = np.random.default_rng(0)
    lrs = [0.4, 0.2, 0.1, 0.05, 0.025]

    def floor_formula(lr: Any) -> Any:
        return 0.03 * np.asarray(lr)

    t = np.arange(1, 2001)
    runs = {
        lr: 1.1 * floor_formula(lr) * (1 - np.exp(-lr * t / 5)) * rng.uniform(0.8, 1.2, 2000)
        for lr in lrs
    }
    names = {
        "floor_lrs": lrs,
        "from_minimum": runs,
        "floor_formula": floor_formula,
        "measured_floor": {lr: run[500:].mean() for lr, run in runs.items()},
    }
    with _drawn(NB06, "8b9dcc35", names, monkeypatch) as fig:
        _assert_readable_cell(fig)
        _assert_side_by_side(fig)
        assert_legends_clear(fig, 2)
        left = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert left == [f"α = {lr}" for lr in lrs]


def test_ch06_catalogue_is_readable_with_every_schedule_named_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 42b4c5a9 (nine schedules of dlnotes.schedules, 1001 steps)."""
    with _drawn(NB06, "42b4c5a9", {"sch": sch}, monkeypatch) as fig:
        _assert_readable_cell(fig)  # the nine titles among the texts that keep apart
        titles = [" ".join(ax.get_title().split()) for ax in fig.axes]
        assert len(titles) == 9 and titles[2] == "multistep(0.1, [500, 800], 0.1)"
        assert titles[0] == "constant" and titles[-1] == "cosine_restarts(0.1, 250)"


def test_ch06_epoch_formulas_figure_is_readable_with_its_legend_under_the_axes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 0047434e on the chapter's three formulas, per epoch and per step (no SGD run)."""
    steps, per_epoch = np.arange(3000), 125
    epoch_of = steps // per_epoch
    formulas = {
        "α0 / (1 + 1.0 e)": (
            0.4 / (1 + 1.0 * epoch_of),
            sch.inverse_time(0.4, k=1.0 / per_epoch)(steps),
        ),
        "0.95^e α0": (
            0.4 * 0.95**epoch_of,
            sch.exponential(0.4, k=-math.log(0.95) / per_epoch)(steps),
        ),
        "α0 / sqrt(1 + e)": (0.4 / np.sqrt(1 + epoch_of), 0.4 / np.sqrt(1 + steps / per_epoch)),
    }
    names = {"steps": steps, "notes_formulas": formulas, "boundaries": steps[::per_epoch]}
    with _drawn(NB06, "0047434e", names, monkeypatch) as fig:
        _assert_readable_cell(fig)
        assert_legends_clear(fig, 1)
        (legend,) = legends(fig)
        labels = [t.get_text() for t in legend.get_texts()]
        assert labels == [f"{name}, per epoch" for name in formulas] + [
            "dashed: the same formula per step"
        ]
        (ax,) = fig.axes  # plain decimal tick labels: no exponents too small to read
        shown = [
            t.get_text() for t in ax.get_yticklabels(minor=False) + ax.get_yticklabels(minor=True)
        ]
        assert "0.1" in shown and not any("^" in s or "times" in s for s in shown), shown


def test_ch06_lbfgs_figure_is_readable_with_each_legend_under_its_panel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cell 61dbb1c8 on curves shaped like the measured ones (full batch: L-BFGS far ahead;
    mini-batches: plain L-BFGS jumping far above its start)."""
    passes = np.arange(1, 401)
    minibatch = {
        "SGD, momentum 0.9, α = 0.1": 2.3 * np.exp(-np.arange(21) / 3) + 2e-3,
        "mini-batch L-BFGS": np.r_[2.3, 0.2, 0.1, 800.0, np.geomspace(100, 8, 17)],
        "mini-batch L-BFGS + line search": np.r_[2.3, np.full(20, 0.03)],
    }
    names = {
        "lbfgs_gaps": 2.3 * np.exp(-np.arange(1, 61) / 4),
        "gd_full": {4: 0.3 / passes**1.2, 12: 0.3 / passes**1.6},
        "best_gd_lr": 12,
        "minibatch_runs": minibatch,
    }
    with _drawn(NB06, "61dbb1c8", names, monkeypatch) as fig:
        _assert_readable_cell(fig)
        _assert_side_by_side(fig)
        assert_legends_clear(fig, 2)
        right = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
        assert right == list(minibatch)


# --------------------------------------------------------------------- the two explorers
race = explorer_fixture(ch05.optimizer_race)


def test_race_explorer_is_readable_with_its_legend_off_both_panels(race: Any) -> None:
    _, fig, _ = race
    assert_readable_explorer(fig, on_site=True)
    left, right = fig.axes
    legend = right.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(ch05.METHODS)
    # the paths and the loss curves reach any place inside the axes at some setting
    assert_legend_clear(fig, legend, (left, right), titles=True, min_points=10)


def _widest_race_status() -> str:
    """The widest status the race's format writes: every method at the widest learning rate
    of its grid, a three-digit step and the ↑ mark."""
    nb = "\u00a0"
    parts = []
    for name in ch05.METHODS:
        lr = max((f"{lr:.2g}" for lr in ls.SWEEP_LRS[name]), key=len)
        parts.append(f"{name}{nb}399{nb}(α={lr}){nb}↑")
    return "first below 1e-6 at step (↑: climbs back above later): " + " · ".join(parts)


def test_race_status_stays_inside_under_both_panels_along_every_sweep(race: Any) -> None:
    explorer, fig, state = race
    renderer = fig.canvas.get_renderer()
    left, right = fig.axes
    legend = right.get_legend().get_window_extent(renderer)

    def assert_status_clear(settings: Any) -> None:
        status = state["status"]
        assert status.get_text().count("\n") < 3, settings  # at most three lines
        box = status.get_window_extent(renderer)
        assert inside(box, fig), settings
        assert not overlaps(box, legend), settings
        for ax in (left, right):
            assert not overlaps(box, ax.bbox), settings
            assert not overlaps(box, ax.xaxis.label.get_window_extent(renderer)), settings
            for label in ax.get_xticklabels():
                assert not overlaps(box, label.get_window_extent(renderer)), settings
        titles = [ax.title.get_window_extent(renderer) for ax in (left, right)]
        assert not overlaps(*titles), settings
        assert all(inside(t, fig) for t in titles), settings

    for settings in every_named_value(explorer):
        explorer.redraw(state, **settings)
        render_png(fig)
        assert_status_clear(settings)
    frame = ch05._race_frame(45, 300, 40)
    ch05._race_draw(state, {**frame, "status": _widest_race_status()})
    render_png(fig)
    assert_status_clear("widest")


schedules = explorer_fixture(ch06.schedule_explorer)


def test_schedule_explorer_is_readable_with_its_legend_off_both_panels(
    schedules: Any,
) -> None:
    _, fig, state = schedules
    assert_readable_explorer(fig, on_site=True)
    panels = (state["ax"], state["ax2"])
    legend = state["ax2"].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        r"constant $\alpha = 0.05$",
        "this schedule",
        r"floor of constant peak $\alpha$ (model)",
    ]
    assert_legend_clear(fig, legend, panels, titles=True, min_points=10)


def test_schedule_titles_stay_inside_and_apart_along_every_sweep(schedules: Any) -> None:
    explorer, fig, state = schedules
    panels = (state["ax"], state["ax2"])
    # every value of each control with the others at their defaults, every kind at the
    # widest α and warm-up its title can show, and a diverging run
    sweeps = every_named_value(explorer)
    sweeps += [{"kind": k, "lr": 0.0125, "warmup": 400} for k in ch06.KINDS]
    sweeps += [{"kind": "constant", "lr": 0.8, "warmup": 0}]
    for settings in sweeps:
        explorer.redraw(state, **{**explorer.defaults, **settings})
        render_png(fig)
        assert_titles_clear(fig, panels, context=settings)
    # the widest title and status the formats write
    problem = ls.noisy_regression()
    stream = ls.minibatch_stream(problem, 50, 2)
    frame = ch06._schedule_frame(problem, stream, np.ones(50), "exponential", 0.0125, 40)
    widest = {
        "title": "exponential: α = 0.0125, W = 400",
        "status": "final excess 1.2e-04 (constant 0.05: 1.6e-03)",
    }
    ch06._schedule_draw(state, {**frame, **widest})
    render_png(fig)
    assert_titles_clear(fig, panels, context=widest)
