"""Explorers: one figure, a few controls named after the equation's symbols, two faces.

* **Live** (Jupyter, Colab, Binder): ipywidgets sliders redraw the figure on every change, with a
  "reset to the recommended values" button and a one-line status (e.g. "converged in 37 steps").
* **Static** (the website, which has no kernel): the same figure precomputed over a sweep of one
  control and exported with matplotlib's ``to_jshtml()``; its slider and player change the frame in
  the browser with no kernel and no network.

``Explorer.show()`` picks the face: static while the book is being built (``tasks.py book`` sets the
environment variable ``DLNOTES_STATIC_SITE=1``), live everywhere else. Works with ipywidgets 7.6+
and 8.x.

A chapter defines an explorer with a ``setup`` function that builds the figure once and returns
``(fig, state)``, and an ``update(state, **values)`` function that only moves artists
(``set_data``).
Artists that move are created with ``animated=True``: the live face then draws the still part of the
figure (axes, ticks, contours) once and only repaints the moving artists over it ("blitting"), which
keeps a redraw well under 100 ms. When an update changes the still part (e.g. new contours), it
calls :func:`background_changed`.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import io
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Control", "Explorer", "background_changed", "in_static_build", "render_png"]

STATIC_ENV = "DLNOTES_STATIC_SITE"


def background_changed(fig: Any) -> None:
    """Tell the live renderer that the still part of ``fig`` changed and must be redrawn."""
    fig._dlnotes_background = None


def render_png(fig: Any) -> bytes:
    """Render ``fig`` to PNG bytes, repainting only its animated artists when possible.

    The still background (everything not ``animated``) is drawn once and cached on the figure
    until :func:`background_changed` is called; each frame restores it and draws the animated
    artists on top. Equivalent to ``savefig`` for figures without animated artists.
    """
    from PIL import Image

    canvas = fig.canvas
    if not hasattr(canvas, "copy_from_bbox"):  # not an Agg canvas: plain path
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    animated = [a for ax in fig.axes for a in ax.get_children() if a.get_animated()]
    if getattr(fig, "_dlnotes_background", None) is None:
        canvas.draw()  # draws everything except animated artists
        fig._dlnotes_background = canvas.copy_from_bbox(fig.bbox)
    else:
        canvas.restore_region(fig._dlnotes_background)
    for artist in animated:
        artist.axes.draw_artist(artist)
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="png", compress_level=1)
    return out.getvalue()


_CDN_STYLESHEET = re.compile(r"<link[^>]*href=\"https?://[^\"]*font-awesome[^\"]*\"[^>]*>\s*")


def in_static_build() -> bool:
    """True while the website is being built (no reader will have a kernel)."""
    return os.environ.get(STATIC_ENV, "") not in ("", "0")


@dataclass
class Control:
    """One slider: ``name`` is the keyword given to ``update``, ``label`` the symbol shown (``α``).

    ``values`` are the settings precomputed for the website (in order); the live slider spans
    ``min(values)``..``max(values)`` (log-spaced when ``log``). ``default`` is the recommended value
    that the reset button restores. ``choices`` makes a dropdown instead of a slider.
    """

    name: str
    label: str
    values: Sequence[Any]
    default: Any
    log: bool = False
    fmt: str = ".3g"
    choices: bool = False

    def __post_init__(self) -> None:
        if len(self.values) < 2:
            raise ValueError(f"control {self.name!r} needs at least 2 values, got {self.values!r}")
        if not self.choices:
            lo, hi = min(self.values), max(self.values)
            if not lo <= self.default <= hi:
                raise ValueError(
                    f"control {self.name!r}: default {self.default!r} must lie in [{lo}, {hi}]"
                )
            if self.log and lo <= 0:
                raise ValueError(
                    f"control {self.name!r}: log scale needs positive values, got {lo}"
                )
        elif self.default not in self.values:
            raise ValueError(
                f"control {self.name!r}: default {self.default!r} is not one of "
                f"{list(self.values)!r}"
            )

    def describe(self, value: Any) -> str:
        return (
            f"{self.label} = {value:{self.fmt}}" if not self.choices else f"{self.label}: {value}"
        )


@dataclass
class Explorer:
    """An interactive figure with a live face (ipywidgets) and a static face (precomputed frames).

    ``setup() -> (fig, state)`` builds the figure once; ``update(state, **values) -> str | None``
    redraws it for the given control values and may return a status line.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """

    title: str
    controls: list[Control]
    setup: Callable[[], tuple[Any, Any]]
    update: Callable[..., str | None]
    caption: str = ""
    _live_state: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.controls]
        if len(set(names)) != len(names):
            raise ValueError(f"control names must be unique, got {names}")

    @property
    def defaults(self) -> dict[str, Any]:
        return {c.name: c.default for c in self.controls}

    def _control(self, name: str) -> Control:
        for c in self.controls:
            if c.name == name:
                return c
        raise ValueError(
            f"unknown control {name!r}; this explorer has {[c.name for c in self.controls]}"
        )

    # ------------------------------------------------------------------ static face (website)
    def frames(self, sweep: str | None = None) -> list[dict[str, Any]]:
        """The control settings of the static sweep: every value of ``sweep``, others at default."""
        ctrl = self._control(sweep) if sweep else self.controls[0]
        return [{**self.defaults, ctrl.name: v} for v in ctrl.values]

    def static_html(self, sweep: str | None = None, *, dpi: int = 72, fps: int = 3) -> str:
        """HTML of a kernel-free player over the sweep of one control (``to_jshtml``)."""
        import matplotlib.pyplot as plt
        from matplotlib.animation import FuncAnimation

        ctrl = self._control(sweep) if sweep else self.controls[0]
        settings = self.frames(ctrl.name)
        fig, state = self.setup()
        fig.set_dpi(dpi)

        def draw(i: int) -> list[Any]:
            self.update(state, **settings[i])
            return []

        start = list(ctrl.values).index(ctrl.default) if ctrl.default in ctrl.values else 0
        draw(start)
        anim = FuncAnimation(fig, draw, frames=len(settings), blit=False, repeat=False)
        html = anim.to_jshtml(fps=fps, default_mode="once")
        plt.close(fig)
        # matplotlib links Font Awesome 4 from a CDN for the player's icons; the website ships
        # Font Awesome itself, and a page must not need a CDN to be read offline.
        html = _CDN_STYLESHEET.sub("", html)
        fixed = ", ".join(c.describe(c.default) for c in self.controls if c is not ctrl)
        note = (
            f"<p class='dlnotes-static-note'><b>{self.title}.</b> Drag the slider to change "
            f"{ctrl.label} (other controls fixed: {fixed or 'none'}). This is a precomputed "
            "version of the live explorer; run this chapter in Colab or Binder (rocket button at "
            "the top of the page) to move every control.</p>"
        )
        return f"<div class='dlnotes-explorer'>{note}{html}</div>"

    def static(self, sweeps: Sequence[str] | None = None, **kw: Any) -> Any:
        """An ``IPython.display.HTML`` with one player per swept control (default: the first)."""
        from IPython.display import HTML

        names = list(sweeps) if sweeps else [self.controls[0].name]
        return HTML("".join(self.static_html(n, **kw) for n in names))

    # ------------------------------------------------------------------ live face (a kernel)
    def live(self) -> Any:
        """The ipywidgets explorer: sliders, a reset button, a status line and the figure."""
        import ipywidgets as W
        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        fig, state = self.setup()
        plt.close(fig)  # shown through the Output widget only, never twice
        out = W.Output()
        status = W.HTML()
        sliders: dict[str, Any] = {}
        style = {"description_width": "initial"}
        layout = W.Layout(width="420px")
        for c in self.controls:
            if c.choices:
                w: Any = W.Dropdown(
                    options=list(c.values), value=c.default, description=c.label, style=style
                )
            elif c.log:
                lo, hi = math.log10(min(c.values)), math.log10(max(c.values))
                w = W.FloatLogSlider(
                    value=c.default,
                    base=10,
                    min=lo,
                    max=hi,
                    step=(hi - lo) / 200,
                    description=c.label,
                    readout_format=c.fmt,
                    style=style,
                    layout=layout,
                    continuous_update=True,
                )
            else:
                lo, hi = float(min(c.values)), float(max(c.values))
                w = W.FloatSlider(
                    value=c.default,
                    min=lo,
                    max=hi,
                    step=(hi - lo) / 200,
                    description=c.label,
                    readout_format=c.fmt,
                    style=style,
                    layout=layout,
                    continuous_update=True,
                )
            sliders[c.name] = w

        def redraw(*_: Any) -> None:
            msg = self.update(state, **{k: w.value for k, w in sliders.items()})
            status.value = f"<span style='font-family:monospace'>{msg or ''}</span>"
            png = render_png(fig)
            with out:
                out.clear_output(wait=True)
                display(Image(data=png, format="png"))

        def reset(_: Any) -> None:
            for c in self.controls:
                sliders[c.name].value = c.default

        for w in sliders.values():
            w.observe(redraw, names="value")
        button = W.Button(description="reset to recommended", icon="undo")
        button.on_click(reset)
        redraw()
        self._live_state = (fig, state, sliders)
        header = W.HTML(
            f"<b>{self.title}</b>" + (f"<br><small>{self.caption}</small>" if self.caption else "")
        )
        return W.VBox([header, *sliders.values(), W.HBox([button, status]), out])

    def show(self, sweeps: Sequence[str] | None = None) -> None:
        """Display the static face while building the website, the live face otherwise."""
        from IPython.display import display

        display(self.static(sweeps) if in_static_build() else self.live())

    # ------------------------------------------------------------------ measurement
    def redraw_seconds(self, n: int = 10, seed: int = 0) -> np.ndarray:
        """Seconds from a control change to a rendered PNG, as a reader drags sliders.

        Each of ``n`` events moves one random control to a random one of its values (the others
        keep theirs), then updates and renders the figure as the live face does.
        """
        fig, state = self.setup()
        rng = np.random.default_rng(seed)
        values = self.defaults
        self.update(state, **values)
        render_png(fig)
        times = []
        for _ in range(n):
            c = self.controls[int(rng.integers(len(self.controls)))]
            values = {**values, c.name: c.values[int(rng.integers(len(c.values)))]}
            t0 = time.perf_counter()
            self.update(state, **values)
            render_png(fig)
            times.append(time.perf_counter() - t0)
        import matplotlib.pyplot as plt

        plt.close(fig)
        return np.array(times)
