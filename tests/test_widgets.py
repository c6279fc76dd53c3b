"""Explorers: the live face (ipywidgets), the static face (precomputed frames) and blitting."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from dlnotes.explorers import all_explorers
from dlnotes.widgets import Control, Explorer, background_changed, render_png


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def line_explorer() -> Explorer:
    """y = sin(a x) with a moving (animated) line over a still grid."""
    x = np.linspace(0, 2 * np.pi, 200)

    def setup():
        fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
        ax.set_xlim(0, 2 * np.pi)
        ax.set_ylim(-1.2, 1.2)
        ax.grid(True)
        (line,) = ax.plot(x, np.sin(x), animated=True)
        return fig, {"line": line, "ax": ax}

    def update(state, a, shift):
        state["line"].set_ydata(np.sin(a * x) + shift)
        return f"a = {a:.2f}"

    return Explorer(
        "sine",
        [
            Control("a", "a", [0.5, 1.0, 2.0, 3.0], default=1.0),
            Control("shift", "shift", [-0.5, 0.0, 0.5], default=0.0),
        ],
        setup,
        update,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1.0], "default": 1.0}, "at least 2 values"),
        ({"values": [1.0, 2.0], "default": 3.0}, "must lie in"),
        ({"values": [0.0, 1.0], "default": 0.5, "log": True}, "log scale needs positive"),
        ({"values": ["x", "y"], "default": "z", "choices": True}, "is not one of"),
    ],
)
def test_control_rejects_bad_settings(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Control("c", "c", **kwargs)


def test_explorer_rejects_duplicate_and_unknown_controls() -> None:
    c = Control("a", "a", [1, 2], default=1)
    with pytest.raises(ValueError, match="unique"):
        Explorer("t", [c, c], lambda: None, lambda s: None)
    with pytest.raises(ValueError, match="unknown control 'b'"):
        line_explorer().static_html("b")


def test_static_face_has_one_frame_per_value_and_no_cdn() -> None:
    html = line_explorer().static_html("a")
    frames = re.findall(r"data:image/png;base64,", html)
    assert len(frames) == 4
    assert "maxcdn" not in html and "https://" not in html.split("dlnotes-static-note")[0]
    assert "shift = 0" in html  # the note names the fixed controls


def test_static_frames_differ_between_values() -> None:
    html = line_explorer().static_html("a")
    frames = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\s]+)", html)
    assert len(set(frames)) == len(frames)


def test_live_face_redraws_when_a_slider_moves(monkeypatch) -> None:
    # Outside a kernel an Output widget captures nothing: record what the explorer displays.
    import IPython.display

    displayed: list[bytes] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: displayed.append(obj.data))
    ex = line_explorer()
    box = ex.live()
    fig, _state, sliders = ex._live_state

    def shown() -> bytes:
        return displayed[-1]

    first = shown()
    sliders["a"].value = 3.0
    moved = shown()
    assert moved != first
    status = box.children[-2].children[1].value
    assert "a = 3.00" in status
    sliders["a"].value = 1.0  # back to the start: the same picture as at first
    assert np.abs(_pixels(shown()) - _pixels(first)).max() == 0
    plt.close(fig)


def test_blitting_matches_a_full_redraw() -> None:
    ex = line_explorer()
    fig, state = ex.setup()
    fig.canvas.draw()
    render_png(fig)  # caches the background
    ex.update(state, a=2.0, shift=0.5)
    blitted = _pixels(render_png(fig))
    background_changed(fig)
    full = _pixels(render_png(fig))
    assert blitted.shape == full.shape
    assert np.abs(blitted - full).mean() < 0.5
    assert np.abs(blitted - full).max() > -1  # shapes agree; the mean is the real check
    plt.close(fig)


def test_redraw_seconds_measures_each_event() -> None:
    times = line_explorer().redraw_seconds(n=5)
    assert times.shape == (5,) and np.all(times > 0)


EXPLORERS = all_explorers()


def test_every_chapter_explorer_is_listed() -> None:
    assert "ch02.gd_quadratic" in EXPLORERS


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_explorer_runs_at_the_ends_of_every_control(name: str) -> None:
    ex = EXPLORERS[name]()
    fig, state = ex.setup()
    try:
        for c in ex.controls:
            for value in (c.values[0], c.values[-1]):
                ex.update(state, **{**ex.defaults, c.name: value})
                assert render_png(fig).startswith(b"\x89PNG")
    finally:
        plt.close(fig)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_explorer_static_face_is_light(name: str) -> None:
    """Every sweep of an explorer together stays well inside a chapter's 5 MB page budget."""
    ex = EXPLORERS[name]()
    total = sum(len(ex.static_html(c.name)) for c in ex.controls if not c.choices)
    assert total < 4 * 1024 * 1024, f"{name}: {total / 2**20:.1f} MB of frames"
