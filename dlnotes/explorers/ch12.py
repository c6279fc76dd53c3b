"""Chapter 12's explorer: target accuracy vs the amount of target data, for a linear probe,
fine-tuning and training from scratch, read from the sweep shipped with the model zoo.

Defined in chapter 12 (Transfer learning).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["transfer_sweep"]

#: The y axis of each sweep, named as the chapter names the images it is measured on: the noisy
#: task's evaluation set (the subset's test split, noised), the five-class task's test split.
_YLABELS = {
    "fashion10_mlp": "accuracy on the evaluation set",
    "fashion5_mlp": "target test accuracy",
}

_CAPTIONS = {
    "fashion10_mlp": (
        "Shifted task: the ten Fashion-MNIST classes on held-out test images under heavy pixel "
        "noise, source model pretrained on clean images of the same classes; mean of the "
        "sweep's seeds, dots are single runs."
    ),
    "fashion5_mlp": (
        "Fashion-MNIST target classes (sandal, shirt, sneaker, bag, ankle boot), source model "
        "pretrained on the other five; mean of the sweep's seeds, dots are single runs."
    ),
}


def _transfer_frame(sw: dict[str, Any], lr_mult: float, n_frozen: float) -> dict[str, Any]:
    """What a frame of :func:`transfer_sweep` shows: the accuracies (shape ``(sizes, seeds)``) of
    the precomputed fine-tuning run nearest to ``lr_mult`` with ``n_frozen`` frozen layers, and
    the verdict against training from scratch on the fewest examples, shown once: as the
    figure's title, which every face shows (the frame's status line is None, so the live face
    does not repeat it under the sliders)."""
    n_frozen_values = [int(v) for v in sw["n_frozen"]]
    mults = [float(v) for v in sw["lr_mults"]]
    sizes, scratch = sw["sizes"], sw["scratch"]
    f = n_frozen_values.index(round(float(n_frozen)))
    m = int(np.argmin([abs(np.log(v) - np.log(lr_mult)) for v in mults]))
    acc = sw["finetune"][f, m]
    gap = acc[0].mean() - scratch[0].mean()
    what = (  # the probe trains no body layer: its multiplier is named, and unused
        f"linear probe (lr {mults[m]:g} α unused)"
        if f == len(n_frozen_values) - 1
        else f"{n_frozen_values[f]} frozen, body lr = {mults[m]:g} α"
    )
    return {
        "accuracy": acc,
        "sizes": sizes,
        "verdict": f"{what}: {gap * 100:+.1f} points vs scratch at {int(sizes[0])}/class",
        "status": None,
    }


def _transfer_setup(sw: dict[str, Any], ylabel: str) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`transfer_sweep`: accuracy against examples per class."""
    import matplotlib.pyplot as plt

    sizes, scratch = sw["sizes"], sw["scratch"]
    probe = sw["finetune"][-1, 0]  # every Linear layer of the body frozen
    fig, ax = plt.subplots(figsize=(6.4, 3.9))
    ax.plot(sizes, scratch.mean(1), "-s", color=plots.COLORS["gd"], label="from scratch")
    ax.plot(sizes, probe.mean(1), "-^", color=plots.COLORS["momentum"], label="linear probe")
    line = plots.moving_line(ax, "-o", color=plots.COLORS["nesterov"], lw=2.2, label="your setting")
    dots = plots.moving_line(ax, "o", color=plots.COLORS["nesterov"], ms=3.5, alpha=0.6)
    ax.title.set_animated(True)
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(int(s)) for s in sizes])
    ax.minorticks_off()
    lo = float(min(scratch.min(), probe.min(), sw["finetune"].min()))
    ax.set_ylim(max(0.0, lo - 0.05), 1.0)
    ax.set_xlabel("target examples per class")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    fig.tight_layout()
    return fig, {"ax": ax, "line": line, "dots": dots}


def _transfer_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    acc, sizes = frame["accuracy"], frame["sizes"]
    st["line"].set_data(sizes, acc.mean(1))
    st["dots"].set_data(np.repeat(sizes, acc.shape[1]), acc.ravel())
    st["ax"].set_title(frame["verdict"], fontsize=10)


def transfer_sweep(name: str = "fashion10_mlp") -> Explorer:
    """Explorer: target accuracy against examples per class (log axis, mean of the
    sweep's seeds, seeds as dots) for training from scratch, a linear probe on the frozen body,
    and fine-tuning from the zoo model ``name`` with the chosen number of frozen Linear layers
    ``n_frozen`` and body learning-rate multiplier (body ``lr = multiplier · α``, head ``α``).

    Nothing is trained here: every curve comes from :func:`dlnotes.zoo.load_sweep`, computed
    once by ``tools/make_zoo.py``, so a redraw only moves lines.

    Defined in chapter 12 (Transfer learning).
    """
    from dlnotes.zoo import load_sweep

    sw = load_sweep(name)
    mults = [float(v) for v in sw["lr_mults"]]
    controls = [
        Control(
            "lr_mult",
            "body lr multiplier (× α)",
            mults,
            default=0.1 if 0.1 in mults else mults[0],
            log=True,
            only_values=True,  # precomputed fine-tuning runs
        ),
        Control(
            "n_frozen",
            "frozen Linear layers",
            [int(v) for v in sw["n_frozen"]],
            default=0,
            only_values=True,
        ),
    ]

    return Explorer(
        title="Transfer from the zoo vs training from scratch",
        controls=controls,
        setup=lambda: _transfer_setup(sw, _YLABELS.get(name, "target accuracy")),
        compute=lambda lr_mult, n_frozen: _transfer_frame(sw, lr_mult, n_frozen),
        draw=_transfer_draw,
        caption=_CAPTIONS.get(name, "Mean of the sweep's seeds, dots are single runs."),
    )
