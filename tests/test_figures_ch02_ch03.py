"""Figures of chapters 02 and 03 read at the width JupyterLab gives them.

A 900 px browser window with JupyterLab's file browser open leaves an output area of 468 px; a
wider PNG is scaled down to it (``tests/figure_reading.py``: the smallest text's size in points
at the PNG's dpi, times the scale to 468 px, must be at least 9 px). These tests measure what the
cells and the explorers of both chapters draw:

* chapter 02's bowls (cell ``2ce6b7eb``), its runs at 2/L (``d267db1b``), its Rosenbrock run
  (``44cbdb3b``), its random Hessians (``22c4fd91``) and its saddle runs (``c313cc49``) keep
  every text at least 9 px high and at most 750 px wide on the book site; side-by-side panels
  keep their titles inside the figure and apart; the 2/L runs have one legend, under both
  panels, and the saddle runs theirs beside the axes, off the curves; the Hessians' bars name
  every dimension and show "none" where no sample was a minimum, and a single minimum in 4000
  samples as a bar;
* chapter 03's batch losses (``4517c5d0``), clocks (``30f55487``) and averaged per-example
  losses (``b5d2776c``) do the same; the clocks' titles stay apart from the figure's title;
  the averages' legend sits under the axes with a dot that can be seen;
* the three explorers (chapter 02's bowl, chapter 03's average and line fit) keep every text
  at least 9 px high, their legends off every panel and inside the figure, and their titles
  and status lines inside the figure and apart, at the values their controls take and for the
  widest statuses their formats write; the average's weights keep tick labels that match the
  scale of the curve drawn over them on the live face.
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
    assert_legend_clear,
    assert_readable_cell,
    assert_readable_explorer,
    assert_titles_clear,
    drawn_cell,
    every_named_value,
    every_setting,
    explorer_fixture,
    inline_png_width,
    legends,
    live_width,
    notebook_scale,
    overlaps,
)
from matplotlib.figure import Figure

from dlnotes import averages, plots
from dlnotes import landscapes as ls
from dlnotes.explorers import ch02, ch03
from dlnotes.widgets import render_png


def _drawn(
    notebook: str, cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> AbstractContextManager[Figure]:
    """:func:`drawn_cell`, the cells seeing ``ls``, ``plots`` and ``averages`` as well."""
    names = {"ls": ls, "plots": plots, "averages": averages, **names}
    return drawn_cell(notebook, cell_id, names, monkeypatch)


# ================================================================== chapter 02, the cells
CH02 = "02_conditioning.ipynb"


@pytest.fixture
def bowls_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    with _drawn(CH02, "2ce6b7eb", {}, monkeypatch) as fig:
        yield fig


def test_bowls_figure_is_readable_with_its_titles_apart(bowls_figure: Figure) -> None:
    fig = bowls_figure
    assert_readable_cell(fig)
    left, right = fig.axes
    assert left.bbox.x1 < right.bbox.x0  # side by side: the round and the narrow bowl
    assert_titles_clear(fig, suptitle=True)
    assert "round: κ = 1" in left.get_title() and "narrow: κ = 25" in right.get_title()
    assert all("f after 50 steps" in ax.get_title() for ax in fig.axes)


@pytest.fixture
def limit_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    with _drawn(CH02, "d267db1b", {}, monkeypatch) as fig:
        yield fig


def test_limit_figure_is_readable(limit_figure: Figure) -> None:
    assert_readable_cell(limit_figure)
    assert_titles_clear(limit_figure, suptitle=True)


def test_limit_figure_draws_the_settling_path_over_the_diverging_one(
    limit_figure: Figure,
) -> None:
    paths = {line.get_label(): line for line in limit_figure.axes[0].get_lines()}
    below, above = paths[r"$\alpha = 0.98 \cdot 2/L$"], paths[r"$\alpha = 1.02 \cdot 2/L$"]
    assert below.get_zorder() > above.get_zorder()  # its bounces stay visible


def test_limit_figure_has_one_legend_under_both_panels(limit_figure: Figure) -> None:
    fig = limit_figure
    (legend,) = legends(fig)  # the paths' and the curves' colours are the same two
    assert [t.get_text() for t in legend.get_texts()] == [
        "minimum",
        r"$\alpha = 0.98 \cdot 2/L$",
        r"$\alpha = 1.02 \cdot 2/L$",
    ]
    assert_legend_clear(fig, legend, titles=True)
    path, curve = fig.axes
    for label in (r"$\alpha = 0.98 \cdot 2/L$", r"$\alpha = 1.02 \cdot 2/L$"):
        colours = {
            line.get_color()
            for ax in (path, curve)
            for line in ax.get_lines()
            if line.get_label() == label
        }
        assert len(colours) == 1, label  # the legend names both panels' line


@pytest.fixture
def rosenbrock_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    with _drawn(CH02, "44cbdb3b", {"rosen": ls.Rosenbrock()}, monkeypatch) as fig:
        yield fig


def test_rosenbrock_figure_is_readable_with_its_titles_apart(rosenbrock_figure: Figure) -> None:
    fig = rosenbrock_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, suptitle=True)
    assert r"$\alpha = 0.0019$" in fig.axes[0].get_title()
    assert "every 40th step" in fig.axes[0].get_title()


@pytest.fixture
def hessians_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell 22c4fd91 on fractions as measured (one minimum in 4000 samples at d = 5)."""
    names = {
        "dims": np.arange(1, 9),
        "frac_minima": [0.4868, 0.1547, 0.024, 0.0045, 0.00025, 0.0, 0.0, 0.0],
        "trials": 4000,
    }
    with _drawn(CH02, "22c4fd91", names, monkeypatch) as fig:
        yield fig


def test_hessians_figure_is_readable_and_names_every_dimension(hessians_figure: Figure) -> None:
    fig = hessians_figure
    assert_readable_cell(fig)
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(d) for d in range(1, 9)]
    x0, x1 = ax.get_xlim()
    assert x0 < 1 and 8 < x1
    # "none" over each dimension without a minimum, drawn (inside the axes), apart
    nones = [t for t in ax.texts if t.get_text() == "none"]
    assert [t.xy[0] for t in nones] == [6, 7, 8]  # type: ignore[attr-defined]
    boxes = [t.get_window_extent(renderer) for t in nones]
    for text, box in zip(nones, boxes):
        assert text.get_visible() and text._check_xy(renderer)  # type: ignore[attr-defined]
        assert ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1
        assert ax.bbox.y0 <= box.y0 and box.y1 <= ax.bbox.y1
    for a, b in itertools.combinations(boxes, 2):
        assert not overlaps(a, b)
    # a single minimum in 4000 samples (d = 5) is a bar that can be seen, 3 px high at least
    bars = ax.patches
    assert len(bars) == 5
    one = bars[-1].get_window_extent(renderer)
    scale = notebook_scale(inline_png_width(fig))
    assert (min(one.y1, ax.bbox.y1) - max(one.y0, ax.bbox.y0)) * scale >= 3


@pytest.fixture
def saddle_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    with _drawn(CH02, "c313cc49", {}, monkeypatch) as fig:
        yield fig


def test_saddle_figure_is_readable_with_its_legend_off_the_curves(saddle_figure: Figure) -> None:
    fig = saddle_figure
    assert_readable_cell(fig)
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        f"$y_0$ = {y0:g}" for y0 in [1e-2, 1e-4, 1e-6, 1e-8, 0.0]
    ]
    assert_legend_clear(fig, legend, titles=True)  # the curves cross the whole panel
    assert_titles_clear(fig, suptitle=True)


# ================================================================== chapter 03, the cells
CH03 = "03_minibatches.ipynb"
N = 1797
COLORS3 = {
    "full batch, B = 1797": plots.COLORS["gd"],
    "mini-batch, B = 32": plots.COLORS["momentum"],
    "stochastic, B = 1": plots.COLORS["rmsprop"],
}


def _losses(n: int, seed: int) -> np.ndarray:
    """A loss-like series of ``n`` steps, noisy like a small batch's."""
    rng = np.random.default_rng(seed)
    return 2.3 * np.exp(-np.arange(n) / 40) * np.exp(rng.normal(0.0, 1.0, n)) + 1e-3


@pytest.fixture
def batch_losses_figure(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """Cell 4517c5d0 on synthetic runs (``train`` returns a full batch's falling losses)."""

    def train(batch_size: int, lr: float, epochs: int) -> Any:
        return types.SimpleNamespace(batch_losses=2.3 * 0.98 ** np.arange(epochs) + 0.04)

    runs = {
        "mini-batch, B = 32": types.SimpleNamespace(batch_losses=_losses(171, 0)),
        "stochastic, B = 1": types.SimpleNamespace(batch_losses=_losses(5391, 1)),
    }
    names = {"train": train, "N": N, "runs": runs, "colors": COLORS3}
    with _drawn(CH03, "4517c5d0", names, monkeypatch) as fig:
        capsys.readouterr()
        yield fig


def test_batch_losses_figure_is_readable_with_its_titles_apart(
    batch_losses_figure: Figure,
) -> None:
    fig = batch_losses_figure
    assert_readable_cell(fig)
    assert [ax.get_title() for ax in fig.axes] == list(COLORS3)
    assert_titles_clear(fig, suptitle=True)


@pytest.fixture
def clocks_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell 30f55487 on counts and times shaped like the sweep's."""
    batch_sizes = [1, 4, 16, 64, 256, N]
    names = {
        "batch_sizes": batch_sizes,
        "steps_needed": [3300, 950, 260, 66, 30, 24],
        "epochs_needed": [1.85, 2.1, 2.3, 2.3, 4.0, 24.0],
        "wall": dict(zip(batch_sizes, [0.09, 0.024, 0.0075, 0.0023, 0.0021, 0.011])),
        "target": 0.1,
    }
    with _drawn(CH03, "30f55487", names, monkeypatch) as fig:
        yield fig


def test_clocks_figure_is_readable_with_its_titles_apart(clocks_figure: Figure) -> None:
    fig = clocks_figure
    assert_readable_cell(fig)
    assert_titles_clear(fig, suptitle=True)  # the three clocks' and the figure's
    assert [ax.get_title() for ax in fig.axes] == ["steps", "epochs", "wall-clock (ms)"]
    assert fig._suptitle is not None and "$f < 0.1$" in fig._suptitle.get_text()


@pytest.fixture
def averaged_losses_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cell b5d2776c on a synthetic B = 1 run of 2000 steps."""
    run = types.SimpleNamespace(
        batch_losses=_losses(2000, 2),
        epochs_seen=np.linspace(0, 2000 / N, 32),
        losses=np.geomspace(2.3, 0.15, 32),
    )
    names = {"runs": {"stochastic, B = 1": run}, "N": N}
    with _drawn(CH03, "b5d2776c", names, monkeypatch) as fig:
        yield fig


def test_averaged_losses_figure_is_readable_with_its_legend_under_the_axes(
    averaged_losses_figure: Figure,
) -> None:
    fig = averaged_losses_figure
    assert_readable_cell(fig)
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        "loss of each step's example",
        "full training loss $f$",
        r"EWA, $\beta = 0.9$",
        r"EWA, $\beta = 0.99$",
    ]
    assert_legend_clear(fig, legend, titles=True)  # the points fill the whole panel
    # the per-example dot is large enough to see in the legend at that width
    dot = legend.legend_handles[0]
    scale = notebook_scale(inline_png_width(fig))
    assert dot.get_markersize() * fig.dpi / 72 * scale >= 3


# ================================================================== the three explorers
bowl_explorer = explorer_fixture(ch02.gd_quadratic)


average_explorer = explorer_fixture(ch03.ewa_noisy_series)


line_fit_explorer = explorer_fixture(ch03.minibatch_line_fit)


@pytest.mark.parametrize("name", ["bowl_explorer", "average_explorer", "line_fit_explorer"])
def test_explorer_is_readable_at_notebook_width(name: str, request: pytest.FixtureRequest) -> None:
    _, fig, _ = request.getfixturevalue(name)
    assert_readable_explorer(fig, on_site=True)  # the website draws its frames at 72 dpi


def test_bowl_explorer_legend_and_status_stay_clear(bowl_explorer: Any) -> None:
    explorer, fig, state = bowl_explorer
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == ["gradient descent", "target 1e-06"]
    assert_legend_clear(fig, legend, titles=True)  # a growing f crosses the right panel's top
    # every value of each control with the others at their defaults, and the growing runs
    # (α = 2.05, the widest statuses the slider gives) at every κ
    sweeps = every_named_value(explorer)
    kappas = next(c for c in explorer.controls if c.name == "kappa").values
    sweeps += [{**explorer.defaults, "lr": 2.05, "kappa": k} for k in kappas]
    for settings in sweeps:
        status = explorer.redraw(state, **settings)
        assert state["ax2"].get_title().replace("\n", " ") == status
        assert_titles_clear(fig, context=settings)
    # ... and the widest the formats can write: loss_text's longest digits, a large growth
    frame = ch02._frame(0.5, 10, 45, ls.LR_CHALLENGE.steps)
    for widest in [
        "f = 1.0000000000000002e-06 after 60 steps",
        "f = 1.2346e+03 after 60 steps, growing ×1.21 a step (α > 2/L = 2)",
        "diverged after 60 steps (α > 2/L = 2)",
    ]:
        ch02._draw(state, {**frame, "status": widest, "title": "α = 1.950, κ = 100, 2/L = 2"})
        assert_titles_clear(fig, context=widest)


def test_average_explorer_legend_and_titles_stay_clear(average_explorer: Any) -> None:
    explorer, fig, state = average_explorer
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        "series $x_t$",
        "noise-free trend",
        "average",
    ]
    assert_legend_clear(fig, legend, titles=True)  # the series fills the top panel
    dot = legend.legend_handles[0]
    scale = notebook_scale(live_width(fig))
    assert dot.get_markersize() * fig.dpi / 72 * scale >= 3
    for settings in every_setting(explorer):
        status = explorer.redraw(state, **settings)
        assert state["ax"].get_title().endswith("\n" + status)  # the website's status line
        assert state["note"].get_text().startswith("window 1/(1−β) = ")
        assert_titles_clear(fig, context=settings)


def test_average_explorer_live_frames_match_a_fresh_drawing(average_explorer: Any) -> None:
    """The weights' axis rescales with β (w₀ = 1 − β): the live face, which repaints only the
    moving artists over a cached background, must show the tick labels of the new scale."""
    explorer, fig, state = average_explorer
    for beta in (0.9, 0.0, 0.5, 0.99):
        settings = {"beta": beta, "bias_correction": "on"}
        explorer.redraw(state, **settings)
        live = render_png(fig)
        fresh_fig, fresh_state = explorer.setup()
        try:
            explorer.redraw(fresh_state, **settings)
            fresh_fig.canvas.draw()  # everything drawn for this β
            fresh = render_png(fresh_fig)
        finally:
            plt.close(fresh_fig)
        assert live == fresh, settings


def test_line_fit_explorer_titles_stay_clear(line_fit_explorer: Any) -> None:
    explorer, fig, state = line_fit_explorer
    for settings in every_setting(explorer):
        status = explorer.redraw(state, **settings)
        assert state["ax2"].get_title() == status
        assert_titles_clear(fig, context=settings)
    # the widest: the longest title, and a mean excess loss with a three-digit exponent
    frame = ch03._line_fit_frame(8, 0.1, 4, 64, 0)
    widest = {
        "title": "B = 64, α = 0.60: 256 steps",
        "status": "last quarter of the steps: mean f − f* = 1.2e-100",
    }
    ch03._line_fit_draw(state, {**frame, **widest})
    assert_titles_clear(fig, context=widest)
