"""Explorers: one figure, a few controls named after the equation's symbols, two faces.

* **Live** (Jupyter, Colab, Binder): ipywidgets sliders redraw the figure on every change, with a
  "reset to the recommended values" button and a one-line status (e.g. "converged in 37 steps").
* **Static** (the website, which has no kernel): the same figure precomputed over a sweep of one
  control and exported with matplotlib's ``to_jshtml()``; its slider and player change the frame in
  the browser with no kernel and no network.

* **Still** (a notebook executed with nobody at the controls: nbclient, nbval, nbgrader): the
  figure at the recommended values, with no widgets (see :func:`has_live_frontend`).

``Explorer.show()`` picks the face: static while the book is being built (``tasks.py book`` sets the
environment variable ``DLNOTES_STATIC_SITE=1``), still when executed headless, live everywhere
else. Every slider offers a grid that contains the recommended value and every value the chapter
names exactly (:meth:`Control.grid`). Works with ipywidgets 7.6+ and 8.x.

A chapter defines an explorer with a ``setup`` function that builds the figure once and returns
``(fig, state)``, then either a ``compute(**values) -> frame`` step (numbers only: the curves and
the status line ``frame["status"]``) and a ``draw(state, frame)`` step that only moves artists
(``set_data``), or, when the two cannot be told apart, one ``update(state, **values)`` function.
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Control",
    "Explorer",
    "LiveFace",
    "background_changed",
    "has_live_frontend",
    "in_static_build",
    "render_png",
]

STATIC_ENV = "DLNOTES_STATIC_SITE"

#: One player of an explorer's static face: a control's name (the others at their defaults), or
#: ``(name, {other: value, ...})``, the sweep of ``name`` with other controls set (see
#: :meth:`Explorer._sweep`).
Sweep = str | tuple[str, Mapping[str, Any]]


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
    if not animated:  # nothing to repaint on a kept background: every artist may have moved
        canvas.draw()
    elif getattr(fig, "_dlnotes_background", None) is None:
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


#: The statement of matplotlib's ``to_jshtml`` player that creates its ``Animation`` object.
_PLAYER = re.compile(r"(anim\w+) = new Animation\([^;]*\);")
_CDN_STYLESHEET = re.compile(r"<link[^>]*href=\"https?://[^\"]*font-awesome[^\"]*\"[^>]*>\s*")


def in_static_build() -> bool:
    """True while the website is being built (no reader will have a kernel)."""
    return os.environ.get(STATIC_ENV, "") not in ("", "0")


def _decimal(x: float) -> float:
    """``x`` rounded to 12 significant digits, so that grid points read as written (0.3, not
    0.30000000000000004)."""
    return float(f"{x:.12g}")


def _nice_step(span: float, points: int) -> float:
    """The smallest step of the form 1, 2, 2.5 or 5 × 10^k that covers ``span`` in at most
    ``points`` steps."""
    raw = span / points
    exponent = math.floor(math.log10(raw))
    for mantissa in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = float(f"{mantissa}e{exponent}")
        if step >= raw * (1 - 1e-12):
            return step
    raise AssertionError("unreachable: 10 × 10^k always covers raw")  # pragma: no cover


#: Mantissas of a log grid per decade: every two-digit value for narrow ranges; for wide ones
#: twenty round values at most 1.17× apart (a slider of a few hundred positions either way).
_FINE_MANTISSAS = tuple(round(1 + 0.1 * i, 1) for i in range(90))
_COARSE_MANTISSAS: tuple[float, ...] = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.5, 2.8)
_COARSE_MANTISSAS += (3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 9.0)


#: A slider's readout shows a value exactly when it has at most this many significant digits.
READOUT_DIGITS = 6


def _significant_digits(text: str) -> int:
    """The number of significant digits of a decimal written as ``text`` (``"0.0125"``: 3,
    ``"3.162277660168379e-08"``: 16)."""
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "")
    return len(mantissa.lstrip("0").rstrip("0")) or 1


def _is_real(v: Any) -> bool:
    """A real number (a Python or numpy int or float, not a bool)."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


LIVE_ENV = "DLNOTES_EXPLORERS"


def has_live_frontend() -> bool:
    """True when the code runs in a kernel whose client lets a person interact with it.

    A Jupyter client says so in every execute request: ``allow_stdin`` is true when the client
    can answer ``input()`` (JupyterLab, Notebook 7, Colab, VS Code), and false from headless
    runners (nbclient, hence ``jupyter nbconvert --execute``, nbgrader and papermill, and
    nbval). ``DLNOTES_EXPLORERS=live`` or ``=still`` in the kernel's environment overrides the
    detection. Outside a kernel (a script, pytest) there is no front-end: False.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    forced = os.environ.get(LIVE_ENV, "").strip().lower()
    if forced in ("live", "still"):
        return forced == "live"
    if forced:
        raise ValueError(f"{LIVE_ENV} must be 'live', 'still' or unset, got {forced!r}")
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return False
    try:
        parent = kernel.get_parent("shell")  # ipykernel >= 6
    except TypeError:  # pragma: no cover - ipykernel 5 (old Colab images)
        parent = kernel.get_parent()
    except AttributeError:  # pragma: no cover - ipykernel < 5
        parent = getattr(kernel, "_parent_header", {})
    content = (parent or {}).get("content", {})
    return content.get("allow_stdin", True) is not False


@dataclass
class Control:
    """One slider: ``name`` is the keyword given to ``compute`` (or ``update``), ``label`` the
    symbol shown (``α``).

    ``values`` are the settings precomputed for the website (in order) and must contain
    ``default``, the recommended value that the reset button restores. ``named`` lists further
    values the chapter's text or exercises ask the reader to set. The live slider moves over
    :meth:`grid`: every value of ``values`` and ``named`` exactly, plus evenly spaced "nice"
    values between ``min(values)`` and ``max(values)`` (log-spaced when ``log``; whole numbers
    when every value is an ``int``); with ``only_values`` it offers ``values`` alone (for
    explorers that show precomputed runs). ``choices`` makes a dropdown instead of a slider.
    The readout shows the exact value set when it is a short decimal (:meth:`readout`); ``fmt``
    formats the values that are not (``5/3`` reads ``1.667`` with ``fmt=".3f"``) and, ending
    in ``e``, asks for scientific notation.
    """

    name: str
    label: str
    values: Sequence[Any]
    default: Any
    log: bool = False
    fmt: str | None = None
    choices: bool = False
    named: Sequence[Any] = ()
    only_values: bool = False

    def __post_init__(self) -> None:
        if len(self.values) < 2:
            raise ValueError(f"control {self.name!r} needs at least 2 values, got {self.values!r}")
        if not self.choices:
            for what, seq in (("values", self.values), ("named", self.named)):
                for v in seq:
                    if not _is_real(v) or not math.isfinite(v):
                        raise ValueError(
                            f"control {self.name!r}: {what} must be finite real numbers (a "
                            f"slider's positions; choices=True for a dropdown), got {v!r}"
                        )
            if not _is_real(self.default):
                raise ValueError(
                    f"control {self.name!r}: default must be a finite real number, got "
                    f"{self.default!r}"
                )
            lo, hi = min(self.values), max(self.values)
            if not lo < hi:
                raise ValueError(
                    f"control {self.name!r}: values must span a range (min < max) for a slider, "
                    f"got {list(self.values)!r}"
                )
            if self.log and lo <= 0:
                raise ValueError(
                    f"control {self.name!r}: log scale needs positive values, got {lo}"
                )
            if not lo <= self.default <= hi:
                raise ValueError(
                    f"control {self.name!r}: default {self.default!r} must lie in [{lo}, {hi}]"
                )
            outside = [v for v in self.named if not lo <= v <= hi]
            if outside:
                raise ValueError(
                    f"control {self.name!r}: named values {outside!r} must lie in [{lo}, {hi}]"
                )
            if self.only_values and any(v not in list(self.values) for v in self.named):
                raise ValueError(
                    f"control {self.name!r}: with only_values, named values {list(self.named)!r}"
                    f" must be among the values {list(self.values)!r}"
                )
        elif any(v not in list(self.values) for v in self.named):
            raise ValueError(
                f"control {self.name!r}: named values {list(self.named)!r} must be among the "
                f"choices {list(self.values)!r}"
            )
        if self.default not in list(self.values):
            raise ValueError(
                f"control {self.name!r}: default {self.default!r} is not one of "
                f"{list(self.values)!r} (the website's frames start at the default)"
            )

    def grid(self) -> tuple[Any, ...]:
        """Every setting the live control offers, in order; contains ``values`` and ``named``
        exactly (the same objects, so ``==`` holds with the numbers the text uses)."""
        anchors = [*self.values, *self.named]
        if self.choices:
            return tuple(dict.fromkeys(anchors))
        if self.only_values:
            return tuple(sorted(dict.fromkeys(self.values)))
        lo, hi = float(min(anchors)), float(max(anchors))
        integer = all(_is_int(v) for v in anchors)
        fill: list[float] = []
        if self.log:
            decades = math.log10(hi / lo)
            mantissas = _FINE_MANTISSAS if decades <= 3.5 else _COARSE_MANTISSAS
            for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
                fill += [float(f"{m}e{e}") for m in mantissas]
        else:
            step = _nice_step(hi - lo, 100)
            if integer:
                step = max(1.0, float(round(step)))
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            fill = [_decimal(k * step) for k in range(first, last + 1)]
        fill = [v for v in fill if lo <= v <= hi]
        if integer:
            fill = [float(round(v)) for v in fill]
        points = {float(a): a for a in anchors}
        taken = sorted(points)
        for v in fill:
            i = int(np.searchsorted(taken, v))
            near = [taken[j] for j in (i - 1, i) if 0 <= j < len(taken)]
            if all(abs(v - t) > 1e-9 * max(abs(v), abs(t)) for t in near):
                points[v] = int(v) if integer else v
        return tuple(points[k] for k in sorted(points))

    def readout(self, value: Any) -> str:
        """``value`` as the live readout shows it: the shortest decimal that is exactly the value
        (``0.9``, ``100``, ``1.414``); in scientific notation (``1e-05``) when ``fmt`` asks for it
        or the value is below 1e-4 or from 1e6 on.

        A value with no such decimal of at most :data:`READOUT_DIGITS` significant digits
        (``5/3``, ``10**-7.5``) is first rounded by ``fmt`` when the control has one (``1.667``,
        ``3.2e-08``): its 17 digits would overflow the slider's readout. Without ``fmt`` it
        reads exactly (``1.6666666666666667``)."""
        if self.choices or isinstance(value, str):
            return str(value)
        if _is_int(value):
            return str(int(value))
        text = self._decimal_text(float(value))
        if self.fmt and _significant_digits(text) > READOUT_DIGITS:
            text = self._decimal_text(float(format(float(value), self.fmt)))
        return text

    def _decimal_text(self, x: float) -> str:
        if (self.fmt or "").endswith("e") or (x != 0 and not 1e-4 <= abs(x) < 1e6):
            return np.format_float_scientific(x, trim="-", exp_digits=2)
        return np.format_float_positional(x, trim="-")

    def describe(self, value: Any) -> str:
        return (
            f"{self.label} = {self.readout(value)}"
            if not self.choices
            else f"{self.label}: {value}"
        )


@dataclass
class LiveFace:
    """The parts of a live explorer that tests and scripts drive: ``sliders`` by control name,
    the reset ``button``, the ``status`` line, the ``image`` widget showing the figure, and
    ``redraws``, the number of redraws so far."""

    fig: Any
    state: Any
    sliders: dict[str, Any]
    status: Any
    image: Any
    button: Any = None
    redraws: int = 0
    holding: bool = False


def _control_row(c: Control, W: Any) -> tuple[Any, Any]:
    """``(widget, row)`` of one control in the live face: the widget whose ``value`` is the
    control's, and what is shown. A drop-down for a choice; otherwise a ``SelectionSlider``
    over :meth:`Control.grid` with a readout of its own, a plain label that shows the value the
    kernel holds: ipywidgets 8 shows a ``SelectionSlider``'s readout as editable but ignores
    what is typed there (a learner typed α = 0.75, the readout said so, the figure stayed at
    α = 1). Dragging the slider and the arrow keys move it."""
    style = {"description_width": "initial"}
    if c.choices:
        w = W.Dropdown(options=list(c.grid()), value=c.default, description=c.label, style=style)
        return w, w
    w = W.SelectionSlider(
        options=[(c.readout(v), v) for v in c.grid()],
        value=c.default,
        description=c.label,
        style=style,
        layout=W.Layout(width="420px", max_width="100%"),
        continuous_update=True,
        readout=False,
    )
    # a margin, so that the slider's handle at its right end does not cover the value
    shown = W.Label(value=c.readout(c.default), layout=W.Layout(margin="0 0 0 14px"))
    shown.add_class("dlnotes-readout")
    w.observe(lambda change: setattr(shown, "value", c.readout(change["new"])), names="value")
    return w, W.HBox([w, shown], layout=W.Layout(flex_flow="row wrap"))


@dataclass
class Explorer:
    """An interactive figure with a live face (ipywidgets) and a static face (precomputed frames).

    ``setup() -> (fig, state)`` builds the figure once. Then, for the given control values,
    either ``compute(**values)`` returns a frame (a mapping with the numbers to show and the status
    line ``frame["status"]``) and ``draw(state, frame)`` moves the artists to it, or one
    ``update(state, **values) -> str | None`` does both. Give ``compute=`` and ``draw=`` (by
    keyword), or ``update``. :meth:`redraw` redraws either way and returns the status line.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """

    title: str
    controls: list[Control]
    setup: Callable[[], tuple[Any, Any]]
    update: Callable[..., str | None] | None = None
    caption: str = ""
    compute: Callable[..., Mapping[str, Any]] | None = field(default=None, kw_only=True)
    draw: Callable[[Any, Any], None] | None = field(default=None, kw_only=True)
    live_face: LiveFace | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.controls, (list, tuple)) or not self.controls:
            raise ValueError(
                f"{self.title!r}: controls must be a non-empty list of Control (the static face "
                f"sweeps one), got {self.controls!r}"
            )
        bad = [c for c in self.controls if not isinstance(c, Control)]
        if bad:
            raise TypeError(f"{self.title!r}: controls must hold Control objects, got {bad[0]!r}")
        names = [c.name for c in self.controls]
        if len(set(names)) != len(names):
            raise ValueError(f"control names must be unique, got {names}")
        split = (self.compute is not None, self.draw is not None)
        if split != ((self.update is None),) * 2:
            given = [k for k in ("update", "compute", "draw") if getattr(self, k) is not None]
            raise ValueError(
                f"{self.title!r}: give compute= and draw= (a frame, then the artists moved to it), "
                f"or update= alone; got {' and '.join(given) or 'none of them'}"
            )

    def redraw(self, state: Any, **values: Any) -> str | None:
        """Redraw the figure of ``setup()``'s ``state`` for the control ``values``; returns the
        status line: ``update(state, **values)``, or ``draw(state, compute(**values))`` and the
        frame's ``"status"``."""
        if self.update is not None:
            return self.update(state, **values)
        assert self.compute is not None and self.draw is not None  # checked in __post_init__
        frame = self.compute(**values)
        if not isinstance(frame, Mapping) or "status" not in frame:
            keys = sorted(frame) if isinstance(frame, Mapping) else type(frame).__name__
            raise TypeError(
                f"{self.title!r}: compute must return a frame, a mapping with a 'status' line "
                f"(frame['status'], None for no status), got {keys}"
            )
        self.draw(state, frame)
        status = frame["status"]
        return None if status is None else str(status)

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
    def _sweep(self, sweep: Sweep | None) -> tuple[Control, dict[str, Any]]:
        """The control a static sweep moves and the settings it holds the others at: a control's
        name (the others at their defaults), or ``(name, {other: value, ...})`` for a sweep at
        other settings than the defaults (chapter 07's gain at depth 50), each ``value`` one the
        live control offers (:meth:`Control.grid`). None: the first control."""
        if sweep is None:
            return self.controls[0], dict(self.defaults)
        if isinstance(sweep, str):
            return self._control(sweep), dict(self.defaults)
        if not (
            isinstance(sweep, tuple)
            and len(sweep) == 2
            and isinstance(sweep[0], str)
            and isinstance(sweep[1], Mapping)
        ):
            raise TypeError(
                f"{self.title!r}: a sweep is a control's name or (name, {{other: value}}), "
                f"got {sweep!r}"
            )
        ctrl, fixed = self._control(sweep[0]), dict(self.defaults)
        for name, value in sweep[1].items():
            other = self._control(name)
            if other is ctrl:
                raise ValueError(f"{self.title!r}: the sweep over {name!r} cannot also fix it")
            if value not in other.grid():
                raise ValueError(
                    f"{self.title!r}: {name} = {value!r} is not a setting of that control "
                    f"(its live values run {other.readout(other.grid()[0])} to "
                    f"{other.readout(other.grid()[-1])}: {list(other.values)!r} and between)"
                )
            fixed[name] = value
        return ctrl, fixed

    def frames(self, sweep: Sweep | None = None) -> list[dict[str, Any]]:
        """The control settings of the static sweep: every value of the swept control, the others
        at their defaults or at the settings ``sweep`` names (see :meth:`_sweep`)."""
        ctrl, fixed = self._sweep(sweep)
        return [{**fixed, ctrl.name: v} for v in ctrl.values]

    def static_html(self, sweep: Sweep | None = None, *, dpi: int = 72, fps: int = 3) -> str:
        """HTML of a kernel-free player over the sweep of one control (``to_jshtml``), the others
        at their defaults or at the settings ``sweep`` names (see :meth:`_sweep`)."""
        import matplotlib.pyplot as plt
        from matplotlib.animation import FuncAnimation

        ctrl, fixed_values = self._sweep(sweep)
        settings = self.frames(sweep)
        fig, state = self.setup()
        fig.set_dpi(dpi)

        def draw(i: int) -> list[Any]:
            self.redraw(state, **settings[i])
            return []

        start = list(ctrl.values).index(ctrl.default)
        draw(start)
        anim = FuncAnimation(fig, draw, frames=len(settings), blit=False, repeat=False)
        html = anim.to_jshtml(fps=fps, default_mode="once")
        plt.close(fig)
        # The player opens on frame 0; open it on the recommended value, as the live face does
        # (and as the note below says of the other controls).
        html, opened = _PLAYER.subn(rf"\g<0> \g<1>.set_frame({start});", html)
        if opened != 1:
            raise RuntimeError("matplotlib's to_jshtml player has changed; cannot open it at start")
        # matplotlib links Font Awesome 4 from a CDN for the player's icons; the website ships
        # Font Awesome itself, and a page must not need a CDN to be read offline.
        html = _CDN_STYLESHEET.sub("", html)
        fixed = ", ".join(c.describe(fixed_values[c.name]) for c in self.controls if c is not ctrl)
        note = (
            f"<p class='dlnotes-static-note'><b>{self.title}.</b> Drag the slider to change "
            f"{ctrl.label} (other controls fixed: {fixed or 'none'}). This is a precomputed "
            "version of the live explorer; run this chapter in Colab or Binder (rocket button at "
            "the top of the page) to move every control.</p>"
        )
        return f"<div class='dlnotes-explorer'>{note}{html}</div>"

    def static(self, sweeps: Sequence[Sweep] | None = None, **kw: Any) -> Any:
        """An ``IPython.display.HTML`` with one player per sweep (default: the first control's);
        a sweep is a control's name or ``(name, {other: value})`` (see :meth:`_sweep`)."""
        from IPython.display import HTML

        return HTML("".join(self.static_html(s, **kw) for s in self._sweeps(sweeps)))

    def _sweeps(self, sweeps: Sequence[Sweep] | None) -> list[Sweep | None]:
        """``sweeps`` checked (a list of sweeps, each one :meth:`_sweep` accepts); ``[None]``,
        the first control's sweep, for none."""
        if isinstance(sweeps, (str, tuple)):
            raise TypeError(
                f"{self.title!r}: sweeps is a list of sweeps, e.g. [{sweeps!r}], got {sweeps!r}"
            )
        chosen: list[Sweep | None] = list(sweeps) if sweeps else [None]
        for sweep in chosen:
            self._sweep(sweep)
        return chosen

    # ------------------------------------------------------------------ live face (a kernel)
    def live(self) -> Any:
        """The ipywidgets explorer: sliders, a reset button, a status line and the figure.

        Each slider is a ``SelectionSlider`` over :meth:`Control.grid`, so it sits exactly on the
        default and on every value the text names, and a readout beside it shows the value set
        (see :func:`_control_row`). The
        reset button sets every control and then redraws once. The parts are kept in
        :attr:`live_face` (sliders, button, status, number of redraws).
        """
        import ipywidgets as W
        import matplotlib.pyplot as plt

        fig, state = self.setup()
        plt.close(fig)  # shown through the Image widget only, never twice
        # An Image widget, not an Output widget: nbclient answers outputs routed into an Output
        # widget with comm messages on the shell channel, which can hide the cell's execute_reply
        # from it until the cell timeout (issue 23); an Image widget's update needs no answer.
        image = W.Image(format="png")
        # The status line takes the row's width right of the button and wraps within it, or
        # below the button when less than 16em is left (a long line was cut off at the right
        # edge of a narrow notebook).
        status = W.HTML(layout=W.Layout(flex="1 1 16em", min_width="16em"))
        sliders: dict[str, Any] = {}
        rows = []
        for c in self.controls:
            sliders[c.name], row = _control_row(c, W)
            rows.append(row)
        face = LiveFace(fig=fig, state=state, sliders=sliders, status=status, image=image)

        def on_change(*_: Any) -> None:
            if face.holding:
                return
            face.redraws += 1
            msg = self.redraw(state, **{k: w.value for k, w in sliders.items()})
            status.value = (
                "<div style='font-family: monospace; white-space: normal; line-height: 1.4; "
                f"overflow-wrap: anywhere'>{msg or ''}</div>"
            )
            image.value = render_png(fig)

        def reset(_: Any) -> None:
            face.holding = True  # one redraw for all controls, not one per control
            try:
                for c in self.controls:
                    sliders[c.name].value = c.default
            finally:
                face.holding = False
            on_change()

        for w in sliders.values():
            w.observe(on_change, names="value")
        # Never shrunk by a long status line beside it (flex-shrink 0): the label stays whole.
        button = W.Button(
            description="reset to recommended",
            icon="undo",
            layout=W.Layout(width="auto", flex="0 0 auto"),
        )
        button.on_click(reset)
        face.button = button
        on_change()
        self.live_face = face
        header = W.HTML(
            f"<div style='line-height: 1.4'><b>{self.title}</b>"
            + (f"<br><small>{self.caption}</small>" if self.caption else "")
            + "</div>"
        )
        buttons = W.HBox([button, status], layout=W.Layout(flex_flow="row wrap"))
        return W.VBox([header, *rows, buttons, image])

    def still(self) -> Any:
        """An ``IPython.display.HTML``: the figure at the recommended values, as a PNG, with a note
        naming them. Shown when no front-end can move a control (see :func:`has_live_frontend`)."""
        import base64
        import html

        import matplotlib.pyplot as plt
        from IPython.display import HTML

        fig, state = self.setup()
        try:
            msg = self.redraw(state, **self.defaults)
            png = base64.b64encode(render_png(fig)).decode("ascii")
        finally:
            plt.close(fig)
        title = html.escape(self.title)
        values = html.escape(", ".join(c.describe(c.default) for c in self.controls))
        status = html.escape(f": {msg}" if msg else "")
        return HTML(
            f"<div class='dlnotes-explorer'><p><b>{title}</b> at the recommended values "
            f"({values}){status}. Open this notebook in Jupyter or Colab to move the controls."
            f"</p><img src='data:image/png;base64,{png}' alt='{title}'/></div>"
        )

    def show(self, sweeps: Sequence[Sweep] | None = None) -> None:
        """Display the face that suits where the notebook runs (``sweeps``: the website's players,
        see :meth:`static`).

        * the static face (a precomputed player) while building the website
          (``DLNOTES_STATIC_SITE=1``);
        * a still figure when the notebook is executed with no one to move a control (nbclient,
          ``jupyter nbconvert --execute``, nbval, nbgrader, papermill), so that no widget is
          created there at all;
        * the live face (ipywidgets) everywhere else: JupyterLab, Notebook 7, Colab, VS Code.
        """
        from IPython.display import display

        self._sweeps(sweeps)  # a wrong sweep fails in every face, not only on the website
        if in_static_build():
            display(self.static(sweeps))
        elif not has_live_frontend():
            display(self.still())
        else:
            display(self.live())

    # ------------------------------------------------------------------ measurement
    def redraw_seconds(self, n: int = 10, seed: int = 0) -> np.ndarray:
        """Seconds from a control change to a rendered PNG, as a reader drags sliders.

        Each of ``n`` events moves one random control to a random one of its values (the others
        keep theirs), then updates and renders the figure as the live face does.
        """
        fig, state = self.setup()
        rng = np.random.default_rng(seed)
        values = self.defaults
        self.redraw(state, **values)
        render_png(fig)
        times = []
        for _ in range(n):
            c = self.controls[int(rng.integers(len(self.controls)))]
            grid = c.grid()
            values = {**values, c.name: grid[int(rng.integers(len(grid)))]}
            t0 = time.perf_counter()
            self.redraw(state, **values)
            render_png(fig)
            times.append(time.perf_counter() - t0)
        import matplotlib.pyplot as plt

        plt.close(fig)
        return np.array(times)
