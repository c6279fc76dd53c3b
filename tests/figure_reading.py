"""How the figure tests read a figure as a learner sees it (tests/test_figures_*.py).

A 900 px browser window with JupyterLab's file browser open leaves an output area of
:data:`NOTEBOOK_PX` px; a wider PNG is scaled down to it. A text is readable there when its
height on screen, its size in points at the PNG's dpi times that scale, is at least
:data:`MIN_TEXT_PX`; the book site shows a figure up to :data:`MAX_SITE_PX` wide unscaled, and a
printed row of up to :data:`MAX_ROW_CHARS` characters does not wrap in that output area.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

import dlnotes
from dlnotes.plots import COLORS
from dlnotes.tuning import Choice, LogUniform, random_search, successive_halving
from dlnotes.widgets import render_png

ROOT = Path(__file__).resolve().parent.parent
#: The width JupyterLab gives an output in a 900 px window with its file browser open.
NOTEBOOK_PX = 468
#: The smallest text height on screen at that width, in pixels.
MIN_TEXT_PX = 9
#: The widest figure the book site shows without scaling it down, in pixels.
MAX_SITE_PX = 750
#: The longest printed row that does not wrap in that output area (monospace, 13 px font).
MAX_ROW_CHARS = 56


def cell(notebook: str, cell_id: str) -> str:
    """The source of the master notebook's cell ``cell_id``."""
    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    (found,) = [c for c in nb["cells"] if c.get("id") == cell_id]
    return "".join(found["source"])


def run_figure_cell(
    notebook: str, cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Run a figure cell of a master notebook on ``names`` (with ``plt``, ``np`` and
    ``COLORS``); returns its namespace (``fig``)."""
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    namespace = {"plt": plt, "np": np, "COLORS": COLORS, **names}
    exec(compile(cell(notebook, cell_id), f"{notebook}:{cell_id}", "exec"), namespace)
    return namespace


def texts(fig: Figure) -> list[Text]:
    """The figure's visible, non-empty texts."""
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() > 0
    ]


def smallest_text_px(fig: Figure, width: int, dpi: float = 100) -> tuple[str, float]:
    """The smallest text of ``fig`` and its height in px once a ``width`` px PNG drawn at
    ``dpi`` is scaled to the notebook's width."""
    scale = notebook_scale(width)
    smallest = min(texts(fig), key=lambda t: t.get_fontsize())
    return smallest.get_text(), smallest.get_fontsize() * dpi / 72 * scale


def inline_png_width(fig: Figure) -> int:
    """Width of the PNG the inline backend shows: 100 dpi, cropped (``bbox_inches="tight"``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return Image.open(buf).width


def overlaps(a: Any, b: Any) -> bool:
    """Whether two display boxes overlap."""
    return bool(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)


def inside(box: Any, fig: Figure) -> bool:
    """Whether a display box lies inside the figure."""
    return bool(
        fig.bbox.x0 <= box.x0
        and box.x1 <= fig.bbox.x1
        and fig.bbox.y0 <= box.y0
        and box.y1 <= fig.bbox.y1
    )


def notebook_scale(width: float) -> float:
    """The factor the notebook scales a ``width`` px PNG by (1 if it fits in ``NOTEBOOK_PX``)."""
    return min(1.0, NOTEBOOK_PX / width)


def live_width(fig: Figure) -> int:
    """Width in px of an explorer's live PNG: the whole figure, uncropped, at its own dpi."""
    return int(fig.canvas.get_width_height(physical=True)[0])


def site_width(fig: Figure) -> float:
    """Width in px of an explorer's frames on the book site (``Explorer.static_html``: 72 dpi)."""
    return float(fig.get_size_inches()[0] * 72)


def assert_text_readable(fig: Figure, width: int, dpi: float = 100) -> None:
    """Assert the smallest text of ``fig`` is at least ``MIN_TEXT_PX`` px high on screen, drawn
    in a ``width`` px PNG at ``dpi`` and scaled to the notebook's width."""
    text, px = smallest_text_px(fig, width, dpi)
    assert px >= MIN_TEXT_PX, (text, round(px, 1), width)


def assert_readable_cell(fig: Figure) -> None:
    """Assert a cell's inline PNG (100 dpi, cropped) keeps every text at least ``MIN_TEXT_PX`` px
    high in the notebook and is at most ``MAX_SITE_PX`` px wide."""
    width = inline_png_width(fig)
    assert_text_readable(fig, width)
    assert width <= MAX_SITE_PX, width


def assert_readable_explorer(fig: Figure, *, on_site: bool = False) -> None:
    """Assert an explorer's live PNG keeps every text at least ``MIN_TEXT_PX`` px high in the
    notebook (its width in px: :func:`live_width`, at the figure's dpi) and, if ``on_site``, its
    frames on the book site at most ``MAX_SITE_PX`` px wide (:func:`site_width`)."""
    assert_text_readable(fig, live_width(fig), fig.dpi)
    assert not on_site or site_width(fig) <= MAX_SITE_PX, site_width(fig)


@contextlib.contextmanager
def drawn_cell(
    notebook: str, cell_id: str, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Figure]:
    """Run a figure cell of a master notebook on ``names`` and draw its ``fig`` (display px
    known); the figure is closed on leaving the block."""
    fig = run_figure_cell(notebook, cell_id, names, monkeypatch)["fig"]
    assert isinstance(fig, Figure)
    try:
        fig.canvas.draw()
        yield fig
    finally:
        plt.close(fig)


def halving_names() -> dict[str, Any]:
    """What chapter 13's successive-halving figure (cell ``f006f19d``) reads: ``big``, the
    chapter's shipped search table, and ``halving``, successive halving on its search 0 replayed
    from that table (a few milliseconds)."""
    big = np.load(Path(dlnotes.__file__).parent / "data" / "fashion_search.npz")
    space = {
        "lr": LogUniform(1e-4, 1.0),
        "l2": LogUniform(1e-6, 1e-2),
        "hidden": Choice([32, 64, 128, 256]),
        "batch_size": Choice([32, 64, 128, 256]),
    }
    row_of = {int(s): i for i, s in enumerate(big["seed"])}

    def objective(config: dict[str, Any], seed: int, budget: int = 27) -> float:
        return float(big["dev_error"][row_of[seed], int(budget) - 1])

    res = successive_halving(
        objective, space, 27, 1, 27, eta=3, seed=0, metric="dev_error", progress=False
    )
    return {"halving": {0: res}, "big": big}


def digits_search_stand_in() -> tuple[Any, Any]:
    """``(objective, results)``: 16 random trials of chapter 13's digits space, scored by a
    stand-in for training (a basin in log10 α, like the measured one) with a 4-epoch curve."""

    def objective(config: dict[str, Any], seed: int) -> dict[str, Any]:
        noise = np.random.default_rng(seed).uniform(0, 0.05)
        err = min(0.9, 0.04 + 0.12 * (np.log10(config["lr"]) + 1.2) ** 2 + noise)
        return {"dev_error": err, "curve": list(np.linspace(min(0.9, 2 * err), err, 4))}

    space = {
        "lr": LogUniform(1e-4, 1.0),
        "hidden": Choice([16, 64, 128]),
        "l2": LogUniform(1e-5, 1e-1),
    }
    results = random_search(objective, space, 16, seed=0, metric="dev_error", progress=False)
    return objective, results


def gradient_check_names() -> dict[str, Any]:
    """Stand-ins for what chapter 15's gradient-check figure (cell ``98fcf33b``) reads, with the
    measured outcome: both losses fall alike; every relative error about 1e-10 but the buggy
    b1's, 1."""
    steps = np.arange(300)
    losses = 2.3 * np.exp(-steps / 25) + 0.06
    errors = iter([3e-10, 2e-10, 4e-10, 1e-10, 3e-10, 1.0, 4e-10, 1e-10])
    params = [np.zeros((2, 2)), np.zeros(2), np.zeros((2, 2)), np.zeros(2)]
    return {
        "init_params": lambda seed: params,
        "X": np.zeros((200, 2)),
        "y": np.zeros(200),
        "numerical_gradient": lambda f, p: p,
        "loss_and_grads": lambda *a, **kw: (0.0, params),
        "relative_error": lambda a, b: next(errors),
        "right_losses": losses,
        "buggy_losses": losses * 1.01,
    }


@contextlib.contextmanager
def live_explorer(explorer: Any) -> Iterator[tuple[Any, Figure, dict[str, Any]]]:
    """An explorer's ``(explorer, fig, state)`` at its defaults, its figure drawn as the live
    face draws it (``render_png``, at its own size and dpi); closed on leaving the block."""
    fig, state = explorer.setup()
    try:
        explorer.redraw(state, **explorer.defaults)
        render_png(fig)
        yield explorer, fig, state
    finally:
        plt.close(fig)


def explorer_fixture(build: Callable[[], Any], scope: str = "module") -> Any:
    """A fixture of ``(explorer, fig, state)``, the explorer ``build()`` as :func:`live_explorer`
    draws it; the fixture's name is the name it is bound to in the test module."""

    def drawn() -> Iterator[tuple[Any, Figure, dict[str, Any]]]:
        with live_explorer(build()) as found:
            yield found

    return pytest.fixture(scope=scope)(drawn)


def every_setting(explorer: Any) -> list[dict[str, Any]]:
    """Every combination of the values the explorer's controls name."""
    names = [c.name for c in explorer.controls]
    return [dict(zip(names, v)) for v in itertools.product(*(c.values for c in explorer.controls))]


def every_named_value(explorer: Any) -> list[dict[str, Any]]:
    """Every value each control names, the others at their defaults (the website's sweeps)."""
    return [s for c in explorer.controls for s in explorer.frames(c.name)]


def legends(fig: Figure) -> list[Legend]:
    """Every legend of the figure: its own, its subfigures' and its axes'."""
    return [
        *(lg for f in (fig, *fig.subfigs) for lg in f.legends),
        *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None),
    ]


def drawn_texts(fig: Figure) -> list[Text]:
    """The non-empty texts a draw of ``fig`` paints (tick labels outside the view are not)."""
    drawn: list[Text] = []
    draw = Text.draw

    def recording(self: Text, renderer: Any) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        draw(self, renderer)

    Text.draw = recording  # type: ignore[method-assign]
    try:
        fig.canvas.draw()
    finally:
        Text.draw = draw  # type: ignore[method-assign]
    return drawn


def assert_texts_apart(fig: Figure, texts: Sequence[Text], context: Any = None) -> list[Bbox]:
    """Assert each of ``texts`` lies inside the figure and no two overlap (display px); returns
    their boxes. ``context`` (the explorer's settings, say) joins every failure message."""
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for text, box in zip(texts, boxes):
        assert inside(box, fig), (text.get_text(), context)
    for (a, box_a), (b, box_b) in itertools.combinations(zip(texts, boxes), 2):
        assert not overlaps(box_a, box_b), (a.get_text(), b.get_text(), context)
    return boxes


def assert_titles_clear(
    fig: Figure,
    panels: Sequence[Axes] | None = None,
    *,
    off_panels: bool = True,
    above: bool = False,
    suptitle: bool = False,
    context: Any = None,
) -> None:
    """Assert the titles of ``panels`` (by default every titled axes, with the figure's title if
    ``suptitle``) lie inside the figure and apart and, if ``off_panels``, off every panel's data
    area (``panels``, by default every axes); if ``above``, each title's bottom is at most 1 px
    below its panel's top. Display px."""
    titled = [ax for ax in fig.axes if ax.get_title()] if panels is None else list(panels)
    titles = [ax.title for ax in titled]
    if suptitle and fig._suptitle is not None:
        titles.append(fig._suptitle)
    boxes = assert_texts_apart(fig, titles, context)
    if off_panels:
        for title, box in zip(titles, boxes):
            for ax in fig.axes if panels is None else panels:
                assert not overlaps(box, ax.bbox), (title.get_text(), ax.get_title(), context)
    if above:
        for ax, box in zip(titled, boxes):
            assert box.y0 >= ax.bbox.y1 - 1, (ax.get_title(), context)


def assert_legend_clear(
    fig: Figure,
    legend: Legend,
    panels: Sequence[Axes] | None = None,
    *,
    xlabels: bool = True,
    titles: bool = False,
    min_points: float = 0,
) -> Bbox:
    """Assert ``legend`` lies inside the figure and off every panel of ``panels`` (every axes by
    default): off its data area and, where they are drawn, its x label (``xlabels``) and its
    title (``titles``), in display px; each of its texts at least ``min_points`` pt. Returns
    the legend's box."""
    renderer = fig.canvas.get_renderer()
    labels = [t.get_text() for t in legend.get_texts()]
    assert all(t.get_fontsize() >= min_points for t in legend.get_texts()), labels
    box = legend.get_window_extent(renderer)
    assert inside(box, fig), labels
    for ax in fig.axes if panels is None else panels:
        panel = ax.get_title() or ax.get_ylabel()
        assert not overlaps(box, ax.bbox), (labels[:1], panel)
        for drawn, label in ((xlabels, ax.xaxis.label), (titles, ax.title)):
            if drawn and label.get_text():
                assert not overlaps(box, label.get_window_extent(renderer)), (
                    labels[:1],
                    label.get_text(),
                )
    return box


def assert_legends_clear(fig: Figure, count: int | None = None, **clear: Any) -> list[list[str]]:
    """Assert the figure has ``count`` legends (any number if None), each clear as
    :func:`assert_legend_clear` says (``clear``: its keywords); returns each legend's labels."""
    found = legends(fig)
    assert count is None or len(found) == count, [
        t.get_text() for lg in found for t in lg.get_texts()
    ]
    for legend in found:
        assert_legend_clear(fig, legend, **clear)
    return [[t.get_text() for t in legend.get_texts()] for legend in found]
