"""Figures shared by the chapters: contours with trajectories, loss curves, a shared palette.

One colour per method across the whole book, so the prose, the legend and the math agree
(``COLORS["momentum"]`` is the same orange in chapter 04 and chapter 05).

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dlnotes._validate import as_float_array, check_bool, check_int, check_scalar
from dlnotes.landscapes import Landscape

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

__all__ = [
    "COLORS",
    "contour",
    "contours_for",
    "log_axis",
    "loss_curves",
    "minimum_marker",
    "moving_line",
    "replace_contours",
    "reserve_titles",
    "start_marker",
    "target_line",
    "trajectory",
    "two_panels",
]

#: The book's palette (colour-blind safe, Okabe & Ito), one entry per method or quantity.
COLORS: dict[str, str] = {
    "gd": "#0072B2",  # blue
    "sgd": "#0072B2",
    "momentum": "#E69F00",  # orange
    "nesterov": "#D55E00",  # vermillion
    "adagrad": "#009E73",  # green
    "rmsprop": "#CC79A7",  # purple
    "adam": "#56B4E9",  # sky blue
    "newton": "#000000",
    "lbfgs": "#F0E442",  # yellow
    "minimum": "#000000",
    "start": "#7f7f7f",
}


def _window(window: Any) -> Any:
    """Require ``((x_lo, x_hi), (y_lo, y_hi))``: finite numbers with ``lo < hi`` on each axis."""
    if isinstance(window, (str, bytes)):
        raise TypeError(f"window must be ((x_lo, x_hi), (y_lo, y_hi)), got {window!r}")
    try:
        arr = np.asarray(window)
    except ValueError:  # ragged, such as ((0, 1), (0, 1, 2))
        arr = np.asarray(window, dtype=object)
    if arr.dtype.kind not in "biuf" or arr.shape != (2, 2):
        raise ValueError(
            f"window must be ((x_lo, x_hi), (y_lo, y_hi)), a pair of (lo, hi) pairs, got {window!r}"
        )
    for axis, (lo, hi) in zip(("x", "y"), arr.astype(float)):
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"window's {axis} range must be finite, got ({lo}, {hi})")
        if not lo < hi:
            raise ValueError(f"window's {axis} range needs lo < hi, got ({lo}, {hi})")
    return window


def contour(
    ax: Axes,
    landscape: Landscape,
    *,
    window: Any = None,
    levels: int | Sequence[float] = 20,
    log_levels: bool = True,
    resolution: int = 200,
    mark_minimum: bool = True,
) -> Any:
    """Draw the level sets of a 2-D ``landscape`` on ``ax`` and return the contour set.

    ``window`` is ``((x_lo, x_hi), (y_lo, y_hi))`` (default: the landscape's own). With
    ``log_levels`` the levels are spaced geometrically above the minimum value, which shows both the
    steep walls and the flat floor of ill-conditioned valleys.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    if not isinstance(landscape, Landscape):
        raise TypeError(
            f"landscape must be a Landscape (e.g. dlnotes.landscapes.Quadratic), got "
            f"{type(landscape).__name__}"
        )
    if landscape.dim != 2:
        raise ValueError(f"contour needs a 2-D landscape, got dim={landscape.dim}")
    check_int("resolution", resolution, low=2)  # points per axis of the grid
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        check_int("levels", levels, low=1)
    elif isinstance(levels, bool) or isinstance(levels, (str, bytes)):
        raise TypeError(f"levels must be a number of levels or a list of values, got {levels!r}")
    else:
        as_float_array("levels", levels, ndim=1)
    check_bool("log_levels", log_levels)
    check_bool("mark_minimum", mark_minimum)
    (x_lo, x_hi), (y_lo, y_hi) = landscape.window if window is None else _window(window)
    xs, ys = np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    F = landscape.f(grid)
    if isinstance(levels, int):
        f_lo = landscape.f_min if np.isfinite(landscape.f_min) else float(F.min())
        if log_levels:
            span = np.geomspace(1e-3, float(F.max() - f_lo) + 1e-3, levels)
            lv: Any = f_lo + span
        else:
            lv = np.linspace(float(F.min()), float(F.max()), levels)
    else:
        lv = levels
    cs = ax.contour(xs, ys, F, levels=lv, cmap="Greys_r", linewidths=0.7, alpha=0.8)
    if mark_minimum and landscape.minimizer is not None:
        ax.plot(
            *landscape.minimizer,
            marker="*",
            ms=12,
            color=COLORS["minimum"],
            mec="white",
            ls="none",
            label="minimum",
            zorder=5,  # above the paths drawn later, which end on it
        )
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return cs


def replace_contours(ax: Axes, landscape: Landscape, old: Any, **options: Any) -> Any:
    """Contours of ``landscape`` in place of ``old`` (an earlier :func:`contour`, or ``None``).

    For explorers whose landscape changes with a control: the first call (``old is None``) also
    marks the minimum, later calls only swap the level sets. ``options`` go to :func:`contour`.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    if old is not None:
        old.remove()
    return contour(ax, landscape, mark_minimum=old is None, **options)


def contours_for(
    ax: Axes, landscape: Landscape, state: dict[str, Any], key: str, value: Any, **options: Any
) -> None:
    """Redraw ``ax``'s contours from ``landscape`` when the control ``key`` has a new ``value``.

    For an explorer whose bowl changes with one control (``κ``): ``state[key]`` remembers the value
    the contours in ``state["contours"]`` were drawn for (both ``None`` at first); on a change they
    are replaced (:func:`replace_contours` with ``options``) and the live face is told that the
    still background changed.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    from dlnotes.widgets import background_changed

    if state[key] == value:
        return
    state["contours"] = replace_contours(ax, landscape, state["contours"], **options)
    state[key] = value
    background_changed(ax.figure)


def trajectory(
    ax: Axes,
    xs: np.ndarray,
    *,
    color: str = COLORS["gd"],
    label: str | None = None,
    markersize: float = 3.0,
    **kw: Any,
) -> Any:
    """Draw iterates ``xs`` (shape ``(T, 2)``) as a polyline with dots; mark the start.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    as_float_array("xs", xs)  # real coordinates
    xs = np.asarray(xs)
    if xs.ndim != 2 or xs.shape[1] != 2:
        raise ValueError(f"xs must have shape (T, 2), got {xs.shape}")
    if len(xs) == 0:
        raise ValueError("xs must hold at least the start (T >= 1 rows), got shape (0, 2)")
    (line,) = ax.plot(
        xs[:, 0], xs[:, 1], "-o", color=color, ms=markersize, lw=1.2, label=label, **kw
    )
    ax.plot(*xs[0], "o", color=COLORS["start"], ms=6, mec="white")
    return line


def loss_curves(
    ax: Axes,
    curves: dict[str, np.ndarray],
    *,
    colors: dict[str, str] | None = None,
    log: bool = True,
    xlabel: str = "step $t$",
    ylabel: str = r"$f(x_t) - f^\star$",
) -> None:
    """Plot several loss curves on one axis (log scale by default); labels from ``curves`` keys.

    A curve that diverged part-way stops where its values turn inf or NaN. A curve with nothing
    to show (all inf or NaN, or no positive value on the log axis) is reported, not drawn empty:
    a note on the axes names it, and a ``RuntimeWarning`` says the same.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    if not isinstance(curves, Mapping):
        raise TypeError(
            "curves must be a dict of loss curves by label ({'GD': losses, ...}), got "
            f"{type(curves).__name__}"
        )
    if colors is not None and not isinstance(colors, Mapping):
        raise TypeError(f"colors must be a dict of colours by label, got {type(colors).__name__}")
    for name, ys in curves.items():
        as_float_array(f"curves[{name!r}]", ys, ndim=1)
    colors = colors or {}
    nothing = []  # curves without one point the axis can show
    for name, ys in curves.items():
        ys = np.asarray(ys, dtype=float)
        ax.plot(np.arange(len(ys)), ys, label=name, color=colors.get(name), lw=1.6)
        shown = np.isfinite(ys) & (ys > 0) if log else np.isfinite(ys)
        if not shown.any():
            nothing.append(name)
    if log:
        ax.set_yscale("log")
    if nothing:
        why = (
            "no finite positive value (a diverged run, or values <= 0 on a log axis)"
            if log
            else "no finite value (a diverged run)"
        )
        note = f"nothing to draw for {', '.join(map(str, nothing))}: {why}"
        warnings.warn(f"loss_curves: {note}", RuntimeWarning, stacklevel=2)
        ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", wrap=True)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)


def log_axis(
    ax: Axes,
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    ylabel: str,
    xlabel: str = "step $t$",
    numticks: int = 5,
    log_x: bool = False,
    x_numticks: int = 6,
    grid: bool = True,
    animated_title: bool = True,
) -> None:
    """Set up an explorer's log-scale axis (a loss against the step, an error against ``h``).

    Log ``y`` (and ``x`` when ``log_x``) with fixed limits, few major ticks and no minor ones
    (redrawing tick labels is most of a frame's cost when a slider moves), labels, a light grid,
    and an animated title that the explorer's ``update`` rewrites each frame.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    from matplotlib.ticker import LogLocator, NullLocator

    if log_x:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.yaxis.set_major_locator(LogLocator(numticks=numticks))
    ax.yaxis.set_minor_locator(NullLocator())
    if log_x:
        ax.xaxis.set_major_locator(LogLocator(numticks=x_numticks))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if grid:
        ax.grid(alpha=0.3)
    if animated_title:
        ax.title.set_animated(True)


def target_line(ax: Axes, target: float, *, ls: str = "--", label: bool = True) -> Any:
    """The dashed horizontal line at the explorer's target loss (labelled ``target 1e-06``):
    a finite number, ``> 0`` when the axis is already log-scaled.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    target = check_scalar("target", target)
    if target <= 0 and ax.get_yscale() == "log":
        raise ValueError(f"target must be > 0 on a log axis, got {target!r}")
    return ax.axhline(
        target, color="0.3", ls=ls, lw=1, label=f"target {target:g}" if label else None
    )


def legend_outside(ax: Axes, **style: Any) -> Any:
    """The axes' legend to the right of it, top-aligned, where no curve can run under it
    (``style``: more options of ``ax.legend``, e.g. ``fontsize``).

    Defined in chapter 11 (Batch normalization).
    """
    options = {"frameon": False, **style}
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **options)


def legend_below(ax: Axes, *, ncol: int = 2, below: float = 0.2, **style: Any) -> Any:
    """The axes' legend centred under it (its top ``below`` axes-heights under the axes, past
    the tick labels and the x label), in ``ncol`` columns, where no curve or moving marker can
    run under it (``style``: more options of ``ax.legend``, e.g. ``fontsize``).

    Defined in chapter 01 (The learning problem).
    """
    options = {"frameon": False, "columnspacing": 1.0, "handlelength": 1.5, **style}
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -below), ncol=ncol, **options)


def two_panels(
    figsize: tuple[float, float], widths: Sequence[float] | None = None
) -> tuple[Figure, tuple[Axes, Axes]]:
    """An explorer's figure: two axes side by side, ``widths`` their width ratios (default equal).

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    import matplotlib.pyplot as plt

    grid = {"width_ratios": list(widths)} if widths is not None else None
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=figsize, gridspec_kw=grid)
    return fig, (ax, ax2)


def moving_line(ax: Axes, *fmt: str, **style: Any) -> Line2D:
    """An empty line on ``ax`` created ``animated`` (``ax.plot([], [], *fmt, **style)``), for the
    explorer's ``update`` to fill with ``set_data``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    (line,) = ax.plot([], [], *fmt, animated=True, **style)
    return line


def _point(name: str, at: Any) -> Any:
    """Require a point ``(x, y)`` (or ``([x], [y])``): two real coordinates; return ``at``."""
    arr = as_float_array(name, at)
    if arr.ndim == 0 or arr.shape[0] != 2 or arr.size != 2:
        raise ValueError(f"{name} must be a point (x, y) of shape (2,), got shape {arr.shape}")
    return at


def start_marker(ax: Axes, at: Any = None) -> Line2D:
    """The grey dot with a white edge that marks a run's start: at ``at`` (a fixed point), or an
    animated empty marker that ``update`` moves when ``at`` is ``None``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    style: dict[str, Any] = {"color": COLORS["start"], "ms": 7, "mec": "white"}
    if at is None:
        return moving_line(ax, "o", **style)
    (marker,) = ax.plot(*_point("at", at), "o", **style)
    return marker


def minimum_marker(ax: Axes, at: Any = None, *, ms: float = 11) -> Line2D:
    """The black star at the minimum: at ``at`` (a fixed point), or an animated empty marker that
    ``update`` moves when ``at`` is ``None``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    if at is None:
        return moving_line(ax, "*", color=COLORS["minimum"], ms=ms)
    (marker,) = ax.plot(*_point("at", at), "*", color=COLORS["minimum"], ms=ms)
    return marker


def reserve_titles(
    fig: Figure, *axes: Axes, text: str = "placeholder", fontsize: float = 10
) -> None:
    """Lay ``fig`` out (``tight_layout``) with room for the titles an explorer's ``update`` writes:
    each of ``axes`` gets the placeholder title ``text`` first.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    for ax in axes:
        ax.set_title(text, fontsize=fontsize)
    fig.tight_layout()
