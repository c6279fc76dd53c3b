"""Chapter 10's explorer: one dropout mask on an image, and a unit's output over many masks.

Defined in chapter 10 (Dropout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import check_float_array, check_scalar
from dlnotes.data import FASHION_MNIST_CLASSES, load_fashion_mnist_subset
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["dropout_masks"]

#: How the input image is dropped: one pixel at a time, or square blocks of pixels.
GROUPS = {"pixels": 1, "4×4 blocks": 4, "7×7 blocks": 7}


def keep_mask(u: np.ndarray, p: float, block: int, side: int = 28) -> np.ndarray:
    """Keep mask of ``side × side`` images from uniform draws ``u``, one draw per block.

    ``u`` (a float array) has shape ``(K, (side // block)**2)``; a block is kept when its draw is
    ``>= p`` (probability ``1 - p``, ``0 <= p < 1``) and the mask repeats that decision over its
    ``block × block`` pixels. Returns a boolean array of shape ``(K, side * side)``;
    ``block = 1`` is ordinary dropout.

    Defined in chapter 10 (Dropout).
    """
    check_float_array("u", u, where="keep_mask")
    check_scalar("p", p, low=0.0, high=1.0, high_inclusive=False)
    block = int(check_scalar("block", block, low=1, integer=True))
    side = int(check_scalar("side", side, low=1, integer=True))
    n = side // block
    if side % block or u.ndim != 2 or u.shape[1] != n * n:
        raise ValueError(
            f"u must have shape (K, {n * n}) for {block}×{block} blocks of a {side}×{side} "
            f"image (side divisible by block), got {u.shape}"
        )
    grid = (u >= p).reshape(-1, n, n)
    return np.repeat(np.repeat(grid, block, axis=1), block, axis=2).reshape(len(u), -1)


def sneaker_unit() -> tuple[np.ndarray, np.ndarray, str]:
    """A linear "sneaker detector" ``w = mean sneaker − mean image`` and one test sneaker ``x``.

    Both of shape ``(784,)`` (float64) from the shipped Fashion-MNIST subset; the unit's
    test-time output is ``w · x``. Returns ``(w, x, class_name)``.

    Defined in chapter 10 (Dropout).
    """
    X, y, X_test, y_test = load_fashion_mnist_subset(dtype=np.float64)
    label = FASHION_MNIST_CLASSES.index("Sneaker")
    w = X[y == label].mean(axis=0) - X.mean(axis=0)
    x = X_test[np.flatnonzero(y_test == label)[0]]
    return w, x, FASHION_MNIST_CLASSES[label]


def _dropout_data(n_masks: int) -> dict[str, Any]:
    """The fixed numbers of :func:`dropout_masks`: the unit ``w``, the image ``x`` and its class,
    the test-time output ``w · x``, ``n_masks`` uniform draws per grouping and the bins."""
    w, x, name = sneaker_unit()
    a_test = float(w @ x)
    rng = np.random.default_rng(0)
    draws = {g: rng.random((n_masks, (28 // b) ** 2)) for g, b in GROUPS.items()}
    bins = np.linspace(a_test - 30.0, a_test + 30.0, 81)
    return {"w": w, "x": x, "name": name, "a_test": a_test, "draws": draws, "bins": bins}


def _dropout_frame(data: dict[str, Any], p: float, group: str, sample: float) -> dict[str, Any]:
    """What a frame of :func:`dropout_masks` shows: the histogram of the unit's outputs over the
    masks (peak 1), their mean, the shown mask and its output, and the texts."""
    w, x, bins, a_test = data["w"], data["x"], data["bins"], data["a_test"]
    p = float(p)
    masks = keep_mask(data["draws"][group], p, GROUPS[group])
    outputs = (masks * x) @ w / (1.0 - p)
    counts, _ = np.histogram(outputs, bins=bins)
    mean = float(outputs.mean())
    k = round(float(sample))
    kept = float(masks[k].mean())
    spread = float(outputs.std())
    return {
        "hist": counts / counts.max(),
        "mean": mean,
        "shown": float(np.clip(outputs[k], bins[0], bins[-1])),
        "mask": masks[k],
        "x": x,
        # two lines each: at 10 points one line is wider than its panel
        "title": f"{data['name']}, p = {p:.2f}:\n{kept:.0%} of pixels kept",
        "title2": f"mean {mean:.2f} vs test-time {a_test:.2f};\nspread (std) {spread:.1f}",
        "status": f"{group}, p = {p:.2f}: std of the unit's output over masks = {spread:.2f}",
    }


def _rgb(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The image ``x`` as RGB pixels (dark ink on white), the dropped ones orange."""
    from matplotlib.colors import to_rgb

    gray = np.repeat((1.0 - x)[:, None], 3, axis=1)
    dropped_colour = np.array(to_rgb(plots.COLORS["momentum"]))
    return np.where(mask[:, None], gray, dropped_colour).reshape(28, 28, 3)


#: The panel titles' font size, and titles at least as wide as any frame's: ``p`` has two
#: decimals, the kept share at most three digits; over every setting the mean stays within
#: 0.2 of ``w · x`` (9.92) and the spread below 12
#: (tests/test_notebook_display_ch06_ch07_ch09_ch10.py checks that the titles fit).
TITLE_SIZE = 10
_WIDEST_TITLES = (
    "{name}, p = 0.00:\n100% of pixels kept",
    "mean -00.00 vs test-time {a_test:.2f};\nspread (std) 00.0",
)


def _dropout_setup(data: dict[str, Any], n_masks: int) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`dropout_masks`: the masked image (left), the outputs (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high."""
    bins, a_test = data["bins"], data["a_test"]
    fig, (ax, ax2) = plots.two_panels((7, 3.9), widths=(1, 1.7))
    image = ax.imshow(
        _rgb(data["x"], np.ones(784, dtype=bool)), animated=True, interpolation="nearest"
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.title.set_animated(True)
    hist = ax2.stairs(
        np.zeros(len(bins) - 1),
        bins,
        fill=True,
        color=plots.COLORS["gd"],
        alpha=0.6,
        label=f"train-time output over {n_masks} masks",
        animated=True,
    )
    ax2.axvline(a_test, color="k", lw=2, label=f"test-time output w·x = {a_test:.1f}")
    mean_line = ax2.axvline(
        a_test, color=plots.COLORS["nesterov"], ls="--", lw=1.5, label="mean over masks"
    )
    mean_line.set_animated(True)
    # not clipped: an output off the axis shows as a whole marker at its edge
    shown = plots.moving_line(
        ax2, "v", color=plots.COLORS["momentum"], ms=10, label="this mask", clip_on=False
    )
    shown.set_in_layout(False)  # empty until the first frame: no extent for the layout
    ax2.title.set_animated(True)
    ax2.set_xlim(bins[0], bins[-1])
    ax2.set_ylim(0, 1.3)
    ax2.set_xlabel(r"unit output $a = w\cdot(x \odot m)/(1-p)$")
    ax2.set_ylabel("frequency (peak = 1)")
    # Below the axes: the marker moves over the whole width at y = 1.05, so no place inside
    # the axes is free of it.
    plots.legend_below(ax2)
    # The titles change with every frame (and are drawn over the cached background), so the
    # layout is computed once with titles as wide as any frame's: room for them is reserved.
    ax.set_title(_WIDEST_TITLES[0].format(name=data["name"]), fontsize=TITLE_SIZE)
    ax2.set_title(_WIDEST_TITLES[1].format(a_test=a_test), fontsize=TITLE_SIZE)
    fig.tight_layout()
    state = {"ax": ax, "ax2": ax2, "image": image, "hist": hist, "mean": mean_line}
    return fig, {**state, "shown": shown}


def _dropout_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    st["hist"].set_data(frame["hist"])
    st["mean"].set_xdata([frame["mean"], frame["mean"]])
    st["shown"].set_data([frame["shown"]], [1.05])
    st["image"].set_data(_rgb(frame["x"], frame["mask"]))
    st["ax"].set_title(frame["title"], fontsize=TITLE_SIZE)
    st["ax2"].set_title(frame["title2"], fontsize=TITLE_SIZE)


def dropout_masks(n_masks: int = 2000) -> Explorer:
    """Explorer: inverted dropout with drop probability ``p`` on the input of a linear unit.

    Left: the image ``x`` with one mask (dropped pixels in orange). Right: the histogram of the
    unit's train-time output ``a = w · (x ⊙ m) / (1 − p)`` over ``n_masks`` masks, the test-time
    value ``w · x`` (the mean over masks, in expectation) and the shown mask's value. Controls:
    ``p``, what is dropped (pixels or blocks) and which mask is shown.

    Defined in chapter 10 (Dropout).
    """
    data = _dropout_data(n_masks)
    controls = [
        Control(
            "p",
            "p (drop probability)",
            [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
            default=0.5,
            fmt=".2f",
        ),
        Control("group", "dropped", list(GROUPS), default="pixels", choices=True),
        Control("sample", "mask number", [0, 1, 2, 3, 4, 5], default=0, fmt=".0f"),
    ]

    return Explorer(
        title="Dropout masks and the average over masks",
        controls=controls,
        setup=lambda: _dropout_setup(data, n_masks),
        compute=lambda p, group, sample: _dropout_frame(data, p, group, sample),
        draw=_dropout_draw,
        caption=(
            "A linear sneaker detector w·x; its input pixels (or blocks) are dropped with "
            "probability p and the rest scaled by 1/(1−p)."
        ),
    )
