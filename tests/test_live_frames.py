"""The live face shows the frame its controls name.

In JupyterLab each slider move redraws the explorer and renders it with
:func:`dlnotes.widgets.render_png`, which keeps the figure's still part (every artist not
``animated``) from the first frame and repaints only the animated ones. An explorer whose draw
step changes a still artist (a text, a box, an axis' scale) without saying so showed the old
picture: chapter 15's backward stepper showed step k = its default whatever the slider said,
and chapter 03's average explorer kept its old tick labels. Here every explorer, moved along
every control as a learner moves it, must show what a figure drawn afresh shows.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from dlnotes.explorers import all_explorers
from dlnotes.widgets import background_changed, render_png

pytestmark = pytest.mark.slow  # every explorer, several frames each


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.mark.parametrize("name", sorted(all_explorers()))
def test_each_slider_move_shows_the_frame_drawn_afresh(name: str) -> None:
    explorer = all_explorers()[name]()
    fig, state = explorer.setup()
    try:
        values = dict(explorer.defaults)
        explorer.redraw(state, **values)
        render_png(fig)
        for control in explorer.controls:
            for value in (control.values[0], control.values[-1], control.default):
                values = {**values, control.name: value}
                explorer.redraw(state, **values)
                live = _pixels(render_png(fig))
                background_changed(fig)  # what a fresh figure shows: everything drawn again
                fresh = _pixels(render_png(fig))
                assert live.shape == fresh.shape
                differ = np.any(live != fresh, axis=-1)
                assert not differ.any(), (
                    f"{name}: after moving {control.name} to {value!r} the live face shows "
                    f"{int(differ.sum())} pixels of an older frame"
                )
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", sorted(all_explorers()))
def test_every_explorer_is_readable_at_notebook_width(name: str) -> None:
    """Every text of the explorer's frame at its recommended values stays at least
    ``MIN_TEXT_PX`` high once the frame is scaled to JupyterLab's ``NOTEBOOK_PX`` output, and the
    frame fits the site unscaled (chapter 11's title was 8.4 px)."""
    from figure_reading import MAX_SITE_PX, MIN_TEXT_PX, smallest_text_px

    explorer = all_explorers()[name]()
    fig, state = explorer.setup()
    try:
        explorer.redraw(state, **explorer.defaults)
        width = Image.open(io.BytesIO(render_png(fig))).width
        text, px = smallest_text_px(fig, width, dpi=fig.dpi)
        assert px >= MIN_TEXT_PX, f"{name}: {text!r} is {px:.1f} px high at notebook width"
        assert width <= MAX_SITE_PX, f"{name}: {width} px wide"
    finally:
        plt.close(fig)
