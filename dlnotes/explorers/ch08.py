"""Chapter 08's explorer: the error of a finite difference as a function of the step ``h``.

Defined in chapter 08 (Gradient checking).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import as_float_array, check_scalar
from dlnotes.gradcheck import GREAT, WORRY
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["difference_error_explorer"]

#: The functions offered, each with its exact derivative.
FUNCTIONS: dict[str, tuple[Callable[[Any], Any], Callable[[float], float]]] = {
    "sin(x)": (np.sin, np.cos),
    "exp(x)": (np.exp, np.exp),
    "tanh(x)": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
}

#: The steps ``h`` of the error curve (log-spaced).
H_GRID = np.logspace(-14, 0, 141)


def difference_error(
    fn: str, x: float, hs: np.ndarray, *, method: str = "two-sided", dtype: Any = np.float64
) -> np.ndarray:
    """Relative error ``|D_h − f'(x)| / (|D_h| + |f'(x)|)`` of a finite difference, per ``h``.

    ``D_h = (f(x + h) − f(x − h)) / (2h)`` (``method="two-sided"``) or ``(f(x + h) − f(x)) / h``
    (``"one-sided"``), computed entirely in ``dtype``; ``fn`` is a key of :data:`FUNCTIONS`;
    ``hs`` has shape ``(k,)`` (steps ``h > 0``, also once cast to ``dtype``) and so has the
    result. The exact ``f'(x)`` is in float64.

    Defined in chapter 08 (Gradient checking).
    """
    if fn not in FUNCTIONS:
        raise ValueError(f"fn must be one of {sorted(FUNCTIONS)}, got {fn!r}")
    if method not in ("two-sided", "one-sided"):
        raise ValueError(f"method must be 'two-sided' or 'one-sided', got {method!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    check_scalar("x", x)
    as_float_array("hs", hs, ndim=1)  # real steps, shape (k,)
    f, df = FUNCTIONS[fn]
    xd = dtype.type(x)
    h = np.asarray(hs, dtype=dtype)
    bad = ~(np.isfinite(h) & (h > 0))
    if np.any(bad):
        i = int(np.argmax(bad))
        given = np.asarray(hs)[i]
        cast = "" if given == h[i] else f", which is {h[i]} in {dtype}"
        raise ValueError(
            f"hs must hold steps h > 0 that are finite in {dtype}, got hs[{i}] = {given}{cast}"
        )
    if method == "two-sided":
        numeric = (f(xd + h) - f(xd - h)) / (dtype.type(2) * h)
    else:
        numeric = (f(xd + h) - f(xd)) / h
    numeric = numeric.astype(np.float64)
    exact = float(df(float(x)))
    return np.abs(numeric - exact) / np.maximum(np.abs(numeric) + abs(exact), 1e-300)


#: The colour of each method's curve when it is the chosen one.
_METHOD_COLORS = {"two-sided": plots.COLORS["gd"], "one-sided": plots.COLORS["nesterov"]}


def _difference_frame(h: float, fn: str, x: float, dtype: str, method: str) -> dict[str, Any]:
    """What a frame of :func:`difference_error_explorer` shows: both methods' error curves over
    :data:`H_GRID`, the error at ``h``, the rule-of-thumb step and the texts."""
    other_method = "one-sided" if method == "two-sided" else "two-sided"
    errors = np.maximum(difference_error(fn, x, H_GRID, method=method, dtype=dtype), 1e-17)
    others = np.maximum(difference_error(fn, x, H_GRID, method=other_method, dtype=dtype), 1e-17)
    here = float(difference_error(fn, x, np.array([h]), method=method, dtype=dtype)[0])
    eps = float(np.finfo(np.dtype(dtype)).eps)
    h_star = eps ** (1 / 3) if method == "two-sided" else eps**0.5
    lowest = int(np.argmin(errors))
    best = H_GRID[lowest]
    return {
        "errors": errors,
        "others": others,
        "color": _METHOD_COLORS[method],
        "h": h,
        "marker": max(here, 1e-17),
        "h_star": h_star,
        # The second line names the curve's lowest point, which the marker (powers of ten only)
        # can miss: float32's best step is near 4e-3.
        "title": (
            f"{method} ({dtype}), {fn} at x = {x:g}: error {here:.1e} at h = {h:.2g}\n"
            f"lowest point of the curve: {errors[lowest]:.1e} at h = {best:.1e}"
        ),
        "status": (
            f"{method}, {dtype}, f = {fn} at x = {x:g}: h = {h:.1e} gives {here:.1e}; "
            f"best h on the grid {best:.1e}, rule of thumb {h_star:.1e}"
        ),
    }


def _difference_setup() -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`difference_error_explorer`: error against ``h``, log–log."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.9))
    plots.log_axis(
        ax,
        xlim=(H_GRID[0], H_GRID[-1]),
        ylim=(1e-17, 2.0),
        xlabel="step $h$",
        ylabel="relative error of $D_h$",
        numticks=7,
        log_x=True,
        x_numticks=8,
    )
    ax.axhline(GREAT, color="0.45", ls=":", lw=1)
    ax.axhline(WORRY, color="0.45", ls=":", lw=1)
    # Each label on the side of its line that it names ("great" below 1e-7, "bug?" above 1e-3),
    # where no curve of any setting passes: left of 1e-13 every curve lies above 1e-7 (round-off,
    # or exactly 1 in float32), and near h = 3e-11 every curve lies below 1e-3 or at 1.
    ax.text(2e-14, GREAT / 1.3, "1e-7: great", fontsize=10, color="0.35", va="top")
    ax.text(3e-11, WORRY * 1.3, "1e-3: bug?", fontsize=10, color="0.35", va="bottom")
    other = plots.moving_line(ax, color="0.7", lw=1.2)
    curve = plots.moving_line(ax, lw=2)
    marker = plots.moving_line(ax, "o", color="k", ms=7)
    optimum = ax.axvline(1e-5, color="0.3", ls="--", lw=1, animated=True)
    plots.reserve_titles(fig, ax, text="two-sided (float64)\nlowest point")  # two-line titles
    return fig, {"ax": ax, "other": other, "curve": curve, "marker": marker, "optimum": optimum}


def _difference_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    st["curve"].set_data(H_GRID, frame["errors"])
    st["curve"].set_color(frame["color"])
    st["other"].set_data(H_GRID, frame["others"])
    st["marker"].set_data([frame["h"]], [frame["marker"]])
    st["optimum"].set_xdata([frame["h_star"], frame["h_star"]])
    st["ax"].set_title(frame["title"], fontsize=10)


def difference_error_explorer() -> Explorer:
    """Explorer: relative error of a one- or two-sided difference against the step ``h``.

    Controls: the step ``h`` (the marker), the function, the point ``x``, the precision
    (float64 or float32) and the method. The chosen method is drawn in colour, the other one in
    grey; the dashed vertical line is the rule-of-thumb optimum ``ε_mach^(1/3)`` (two-sided)
    or ``ε_mach^(1/2)`` (one-sided) for the precision's machine epsilon ``ε_mach``; the dotted
    lines are the thresholds of :func:`dlnotes.gradcheck.verdict`, 1e-7 (below it: "great") and
    1e-3 (from it on: "bug?"). The title gives the error at the marker and the lowest point of
    the curve, which the marker's powers of ten can miss (float32's, near ``h = 4e-3``).

    Defined in chapter 08 (Gradient checking).
    """
    controls = [
        Control(
            "h",
            "h (step)",
            [float(f"1e{k}") for k in range(-12, 1)],  # exact powers of ten, as in the text
            default=1e-5,
            log=True,
            fmt=".1e",
        ),
        Control("fn", "f", list(FUNCTIONS), default="sin(x)", choices=True),
        Control("x", "x (point)", [-2.0, -1.0, -0.5, 0.3, 1.0, 1.5, 2.0, 3.0], default=1.0),
        Control("dtype", "precision", ["float64", "float32"], default="float64", choices=True),
        Control(
            "method", "difference", ["two-sided", "one-sided"], default="two-sided", choices=True
        ),
    ]

    return Explorer(
        title="Finite-difference error against the step h",
        controls=controls,
        setup=_difference_setup,
        compute=lambda h, fn, x, dtype, method: _difference_frame(h, fn, x, dtype, method),
        draw=_difference_draw,
        caption=(
            "Relative error |D_h − f′(x)| / (|D_h| + |f′(x)|). Coloured: the chosen difference; "
            "grey: the other one; dashed: ε_mach^(1/3) (two-sided) or ε_mach^(1/2) (one-sided)."
        ),
    )
