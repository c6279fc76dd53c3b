"""Figures of chapters 02 and 03 read at the width JupyterLab gives them (s53).

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
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_reading import (
    MAX_SITE_PX,
    MIN_TEXT_PX,
    NOTEBOOK_PX,
    inline_png_width,
    inside,
    overlaps,
    run_figure_cell,
    smallest_text_px,
)
from matplotlib.figure import Figure

from dlnotes import averages, plots
from dlnotes import landscapes as ls
from dlnotes.explorers import ch02, ch03
from dlnotes.widgets import render_png


def _run_cell(
    notebook: str, cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Figure:
    """Run a figure cell of a master notebook on ``names``; returns its drawn figure."""
    names = {"ls": ls, "plots": plots, "averages": averages, **names}
    fig = run_figure_cell(notebook, cell_id, names, monkeypatch)["fig"]
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    return fig


def _assert_readable_cell(fig: Figure) -> None:
    width = inline_png_width(fig)
    text, px = smallest_text_px(fig, width)
    assert px >= MIN_TEXT_PX, (text, round(px, 1), width)
    assert width <= MAX_SITE_PX, width


def _legends(fig: Figure) -> list[Any]:
    return [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]


def _assert_titles_inside_and_apart(fig: Figure) -> None:
    renderer = fig.canvas.get_renderer()
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    titles += [fig._suptitle] if fig._suptitle is not None else []
    boxes = [t.get_window_extent(renderer) for t in titles]
    for title, box in zip(titles, boxes):
        assert inside(box, fig), title.get_text()
        for ax in fig.axes:
            assert not overlaps(box, ax.bbox), title.get_text()
    for (a, box_a), (b, box_b) in itertools.combinations(zip(titles, boxes), 2):
        assert not overlaps(box_a, box_b), (a.get_text(), b.get_text())


def _assert_off_every_panel(fig: Figure, legend: Any) -> None:
    renderer = fig.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    assert inside(box, fig)
    for ax in fig.axes:
        assert not overlaps(box, ax.bbox), ax.get_title()
        assert not overlaps(box, ax.xaxis.label.get_window_extent(renderer))
        if ax.get_title():
            assert not overlaps(box, ax.title.get_window_extent(renderer)), ax.get_title()


# ================================================================== chapter 02, the cells
CH02 = "02_conditioning.ipynb"


@pytest.fixture
def bowls_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    fig = _run_cell(CH02, "2ce6b7eb", {}, monkeypatch)
    yield fig
    plt.close(fig)


def test_bowls_figure_is_readable_with_its_titles_apart(bowls_figure: Figure) -> None:
    fig = bowls_figure
    _assert_readable_cell(fig)
    left, right = fig.axes
    assert left.bbox.x1 < right.bbox.x0  # side by side: the round and the narrow bowl
    _assert_titles_inside_and_apart(fig)
    assert "round: κ = 1" in left.get_title() and "narrow: κ = 25" in right.get_title()
    assert all("f after 50 steps" in ax.get_title() for ax in fig.axes)


@pytest.fixture
def limit_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    fig = _run_cell(CH02, "d267db1b", {}, monkeypatch)
    yield fig
    plt.close(fig)


def test_limit_figure_is_readable(limit_figure: Figure) -> None:
    _assert_readable_cell(limit_figure)
    _assert_titles_inside_and_apart(limit_figure)


def test_limit_figure_has_one_legend_under_both_panels(limit_figure: Figure) -> None:
    fig = limit_figure
    (legend,) = _legends(fig)  # the paths' and the curves' colours are the same two
    assert [t.get_text() for t in legend.get_texts()] == [
        "minimum",
        r"$\alpha = 0.98 \cdot 2/L$",
        r"$\alpha = 1.02 \cdot 2/L$",
    ]
    _assert_off_every_panel(fig, legend)
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
    fig = _run_cell(CH02, "44cbdb3b", {"rosen": ls.Rosenbrock()}, monkeypatch)
    yield fig
    plt.close(fig)


def test_rosenbrock_figure_is_readable_with_its_titles_apart(rosenbrock_figure: Figure) -> None:
    fig = rosenbrock_figure
    _assert_readable_cell(fig)
    _assert_titles_inside_and_apart(fig)
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
    fig = _run_cell(CH02, "22c4fd91", names, monkeypatch)
    yield fig
    plt.close(fig)


def test_hessians_figure_is_readable_and_names_every_dimension(hessians_figure: Figure) -> None:
    fig = hessians_figure
    _assert_readable_cell(fig)
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
    scale = min(1.0, NOTEBOOK_PX / inline_png_width(fig))
    assert (min(one.y1, ax.bbox.y1) - max(one.y0, ax.bbox.y0)) * scale >= 3


@pytest.fixture
def saddle_figure(monkeypatch: pytest.MonkeyPatch) -> Any:
    fig = _run_cell(CH02, "c313cc49", {}, monkeypatch)
    yield fig
    plt.close(fig)


def test_saddle_figure_is_readable_with_its_legend_off_the_curves(saddle_figure: Figure) -> None:
    fig = saddle_figure
    _assert_readable_cell(fig)
    (legend,) = _legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        f"$y_0$ = {y0:g}" for y0 in [1e-2, 1e-4, 1e-6, 1e-8, 0.0]
    ]
    _assert_off_every_panel(fig, legend)  # the curves cross the whole panel
    _assert_titles_inside_and_apart(fig)


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
    fig = _run_cell(CH03, "4517c5d0", names, monkeypatch)
    capsys.readouterr()
    yield fig
    plt.close(fig)


def test_batch_losses_figure_is_readable_with_its_titles_apart(
    batch_losses_figure: Figure,
) -> None:
    fig = batch_losses_figure
    _assert_readable_cell(fig)
    assert [ax.get_title() for ax in fig.axes] == list(COLORS3)
    _assert_titles_inside_and_apart(fig)


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
    fig = _run_cell(CH03, "30f55487", names, monkeypatch)
    yield fig
    plt.close(fig)


def test_clocks_figure_is_readable_with_its_titles_apart(clocks_figure: Figure) -> None:
    fig = clocks_figure
    _assert_readable_cell(fig)
    _assert_titles_inside_and_apart(fig)  # the three clocks' and the figure's
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
    fig = _run_cell(CH03, "b5d2776c", names, monkeypatch)
    yield fig
    plt.close(fig)


def test_averaged_losses_figure_is_readable_with_its_legend_under_the_axes(
    averaged_losses_figure: Figure,
) -> None:
    fig = averaged_losses_figure
    _assert_readable_cell(fig)
    (legend,) = _legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        "loss of each step's example",
        "full training loss $f$",
        r"EWA, $\beta = 0.9$",
        r"EWA, $\beta = 0.99$",
    ]
    _assert_off_every_panel(fig, legend)  # the points fill the whole panel
    # the per-example dot is large enough to see in the legend at that width
    dot = legend.legend_handles[0]
    scale = min(1.0, NOTEBOOK_PX / inline_png_width(fig))
    assert dot.get_markersize() * fig.dpi / 72 * scale >= 3


# ================================================================== the three explorers
def _explorer(factory: Any) -> Any:
    explorer = factory()
    fig, state = explorer.setup()
    explorer.redraw(state, **explorer.defaults)
    render_png(fig)
    return explorer, fig, state


@pytest.fixture(scope="module")
def bowl_explorer() -> Any:
    explorer, fig, state = _explorer(ch02.gd_quadratic)
    yield explorer, fig, state
    plt.close(fig)


@pytest.fixture(scope="module")
def average_explorer() -> Any:
    explorer, fig, state = _explorer(ch03.ewa_noisy_series)
    yield explorer, fig, state
    plt.close(fig)


@pytest.fixture(scope="module")
def line_fit_explorer() -> Any:
    explorer, fig, state = _explorer(ch03.minibatch_line_fit)
    yield explorer, fig, state
    plt.close(fig)


@pytest.mark.parametrize("name", ["bowl_explorer", "average_explorer", "line_fit_explorer"])
def test_explorer_is_readable_at_notebook_width(name: str, request: pytest.FixtureRequest) -> None:
    _, fig, _ = request.getfixturevalue(name)
    width = fig.canvas.get_width_height(physical=True)[0]  # the live face's PNG, uncropped
    text, px = smallest_text_px(fig, width, dpi=fig.dpi)
    assert px >= MIN_TEXT_PX, (text, round(px, 1), width)
    assert fig.get_figwidth() * 72 <= MAX_SITE_PX  # the website draws its frames at 72 dpi


def _assert_explorer_titles_clear(fig: Figure, settings: Any) -> None:
    renderer = fig.canvas.get_renderer()
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    boxes = [t.get_window_extent(renderer) for t in titles]
    for title, box in zip(titles, boxes):
        assert inside(box, fig), (settings, title.get_text())
        for ax in fig.axes:
            assert not overlaps(box, ax.bbox), (settings, title.get_text())
    for a, b in itertools.combinations(boxes, 2):
        assert not overlaps(a, b), settings


def _every_setting(explorer: Any) -> list[dict[str, Any]]:
    return [
        dict(zip((c.name for c in explorer.controls), values))
        for values in itertools.product(*(c.values for c in explorer.controls))
    ]


def test_bowl_explorer_legend_and_status_stay_clear(bowl_explorer: Any) -> None:
    explorer, fig, state = bowl_explorer
    (legend,) = _legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == ["gradient descent", "target 1e-06"]
    _assert_off_every_panel(fig, legend)  # a growing f crosses the right panel's top
    # every value of each control with the others at their defaults, and the growing runs
    # (α = 2.05, the widest statuses the slider gives) at every κ
    sweeps = [s for c in explorer.controls for s in explorer.frames(c.name)]
    kappas = next(c for c in explorer.controls if c.name == "kappa").values
    sweeps += [{**explorer.defaults, "lr": 2.05, "kappa": k} for k in kappas]
    for settings in sweeps:
        status = explorer.redraw(state, **settings)
        assert state["ax2"].get_title().replace("\n", " ") == status
        _assert_explorer_titles_clear(fig, settings)
    # ... and the widest the formats can write: loss_text's longest digits, a large growth
    frame = ch02._frame(0.5, 10, 45, ls.LR_CHALLENGE.steps)
    for widest in [
        "f = 1.0000000000000002e-06 after 60 steps",
        "f = 1.2346e+03 after 60 steps, growing ×1.21 a step (α > 2/L = 2)",
        "diverged after 60 steps (α > 2/L = 2)",
    ]:
        ch02._draw(state, {**frame, "status": widest, "title": "α = 1.950, κ = 100, 2/L = 2"})
        _assert_explorer_titles_clear(fig, widest)


def test_average_explorer_legend_and_titles_stay_clear(average_explorer: Any) -> None:
    explorer, fig, state = average_explorer
    (legend,) = _legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == [
        "series $x_t$",
        "noise-free trend",
        "average",
    ]
    _assert_off_every_panel(fig, legend)  # the series fills the top panel
    dot = legend.legend_handles[0]
    scale = min(1.0, NOTEBOOK_PX / fig.canvas.get_width_height(physical=True)[0])
    assert dot.get_markersize() * fig.dpi / 72 * scale >= 3
    for settings in _every_setting(explorer):
        status = explorer.redraw(state, **settings)
        assert state["ax"].get_title().endswith("\n" + status)  # the website's status line
        assert state["note"].get_text().startswith("window 1/(1−β) = ")
        _assert_explorer_titles_clear(fig, settings)


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
    for settings in _every_setting(explorer):
        status = explorer.redraw(state, **settings)
        assert state["ax2"].get_title() == status
        _assert_explorer_titles_clear(fig, settings)
    # the widest: the longest title, and a mean excess loss with a three-digit exponent
    frame = ch03._line_fit_frame(8, 0.1, 4, 64, 0)
    widest = {
        "title": "B = 64, α = 0.60: 256 steps",
        "status": "last quarter of the steps: mean f − f* = 1.2e-100",
    }
    ch03._line_fit_draw(state, {**frame, **widest})
    _assert_explorer_titles_clear(fig, widest)
