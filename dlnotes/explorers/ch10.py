"""Chapter 10's explorer: one dropout mask on an image, and a unit's output over many masks.

Defined in chapter 10 (Dropout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes.data import FASHION_MNIST_CLASSES, load_fashion_mnist_subset
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["dropout_masks"]

#: How the input image is dropped: one pixel at a time, or square blocks of pixels.
GROUPS = {"pixels": 1, "4×4 blocks": 4, "7×7 blocks": 7}


def keep_mask(u: np.ndarray, p: float, block: int, side: int = 28) -> np.ndarray:
    """Keep mask of ``side × side`` images from uniform draws ``u``, one draw per block.

    ``u`` has shape ``(K, (side // block)**2)``; a block is kept when its draw is ``>= p``
    (probability ``1 - p``) and the mask repeats that decision over its ``block × block`` pixels.
    Returns a boolean array of shape ``(K, side * side)``; ``block = 1`` is ordinary dropout.

    Defined in chapter 10 (Dropout).
    """
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


def dropout_masks(n_masks: int = 2000) -> Explorer:
    """Explorer: inverted dropout with drop probability ``p`` on the input of a linear unit.

    Left: the image ``x`` with one mask (dropped pixels in orange). Right: the histogram of the
    unit's train-time output ``a = w · (x ⊙ m) / (1 − p)`` over ``n_masks`` masks, the test-time
    value ``w · x`` (the mean over masks, in expectation) and the shown mask's value. Controls:
    ``p``, what is dropped (pixels or blocks) and which mask is shown.

    Defined in chapter 10 (Dropout).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    w, x, name = sneaker_unit()
    a_test = float(w @ x)
    rng = np.random.default_rng(0)
    draws = {g: rng.random((n_masks, (28 // b) ** 2)) for g, b in GROUPS.items()}
    gray = np.repeat((1.0 - x)[:, None], 3, axis=1)  # dark ink on white
    dropped_colour = np.array(to_rgb(plots.COLORS["momentum"]))

    def rgb(mask: np.ndarray) -> np.ndarray:
        """The image as RGB pixels, the dropped ones orange."""
        return np.where(mask[:, None], gray, dropped_colour).reshape(28, 28, 3)

    bins = np.linspace(a_test - 30.0, a_test + 30.0, 81)

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

    def setup() -> tuple[Any, dict[str, Any]]:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(8.4, 3.3), gridspec_kw={"width_ratios": [1, 1.7]}
        )
        image = ax.imshow(rgb(np.ones(784, dtype=bool)), animated=True, interpolation="nearest")
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
        (shown,) = ax2.plot(
            [], [], "v", color=plots.COLORS["momentum"], ms=10, label="this mask", animated=True
        )
        ax2.title.set_animated(True)
        ax2.set_xlim(bins[0], bins[-1])
        ax2.set_ylim(0, 1.3)
        ax2.set_xlabel(r"unit output $a = w\cdot(x \odot m)/(1-p)$")
        ax2.set_ylabel("frequency (peak = 1)")
        ax2.legend(loc="upper left", frameon=False, fontsize=8)
        fig.tight_layout()
        return fig, {
            "ax": ax,
            "ax2": ax2,
            "image": image,
            "hist": hist,
            "mean": mean_line,
            "shown": shown,
        }

    def update(st: dict[str, Any], p: float, group: str, sample: float) -> str:
        p = float(p)
        masks = keep_mask(draws[group], p, GROUPS[group])
        outputs = (masks * x) @ w / (1.0 - p)
        counts, _ = np.histogram(outputs, bins=bins)
        st["hist"].set_data(counts / counts.max())
        mean = float(outputs.mean())
        st["mean"].set_xdata([mean, mean])
        k = round(float(sample))
        st["shown"].set_data([np.clip(outputs[k], bins[0], bins[-1])], [1.05])
        st["image"].set_data(rgb(masks[k]))
        kept = float(masks[k].mean())
        st["ax"].set_title(f"{name}, p = {p:.2f}: {kept:.0%} of pixels kept", fontsize=9)
        spread = float(outputs.std())
        st["ax2"].set_title(
            f"mean {mean:.2f} vs test-time {a_test:.2f}; spread (std) {spread:.1f}", fontsize=9
        )
        return f"{group}, p = {p:.2f}: std of the unit's output over masks = {spread:.2f}"

    return Explorer(
        title="Dropout masks and the average over masks",
        controls=controls,
        setup=setup,
        update=update,
        caption=(
            "A linear sneaker detector w·x; its input pixels (or blocks) are dropped with "
            "probability p and the rest scaled by 1/(1−p)."
        ),
    )
