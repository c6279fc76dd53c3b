"""How the figure tests read a figure as a learner sees it (tests/test_figures_*.py).

A 900 px browser window with JupyterLab's file browser open leaves an output area of
:data:`NOTEBOOK_PX` px; a wider PNG is scaled down to it. A text is readable there when its
height on screen, its size in points at the PNG's dpi times that scale, is at least
:data:`MIN_TEXT_PX`; the book site shows a figure up to :data:`MAX_SITE_PX` wide unscaled, and a
printed row of up to :data:`MAX_ROW_CHARS` characters does not wrap in that output area.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from dlnotes.plots import COLORS

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
    scale = min(1.0, NOTEBOOK_PX / width)
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
