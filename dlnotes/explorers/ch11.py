"""Chapter 11's explorer: a deep MLP trained with and without batch normalization.

The runs are precomputed once (:func:`lr_init_grid`, about 5 s on one core) on a small
Fashion-MNIST slice (:func:`fashion_slice`); the explorer only looks curves up, so every redraw
is instant and the website's static sweeps show the same numbers as the chapter's figures.

Defined in chapter 11 (Batch normalization).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import as_float_array, check_scalar
from dlnotes.data import load_fashion_mnist_subset
from dlnotes.layers import Linear
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD
from dlnotes.train import fit
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["bn_training"]

#: The grid of the chapter's experiment: learning rates, init scales, the two networks.
LRS = (0.01, 0.03, 0.1, 0.3, 1.0)
SCALES = (0.25, 1.0, 4.0)
NORMS = ("plain", "batchnorm")
DEPTH, WIDTH, BATCH, EPOCHS = 6, 48, 40, 3
#: Where a loss counts as "diverged" on the plots (inf/NaN and anything above this).
LOSS_CAP = 3.0


def fashion_slice(
    n_train: int = 1200, n_dev: int = 1000
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A small, fast Fashion-MNIST problem: ``(X_train, y_train, X_dev, y_dev)``.

    Images are average-pooled 2×2 to 14×14 (196 features), the first ``n_train`` training and
    ``n_dev`` test images are kept; the mean training image is subtracted and every pixel is
    divided by one number, the standard deviation of all the training slice's pooled pixels.

    Defined in chapter 11 (Batch normalization).
    """
    X_tr, y_tr, X_te, y_te = load_fashion_mnist_subset()

    def pool(X: np.ndarray) -> np.ndarray:
        return X.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(-1, 196)

    X_train, X_dev = pool(X_tr[:n_train]), pool(X_te[:n_dev])
    mean, std = X_train.mean(axis=0), X_train.std()
    return (X_train - mean) / std, y_tr[:n_train], (X_dev - mean) / std, y_te[:n_dev]


def deep_mlp(norm: str | None, scale: float = 1.0, seed: int = 0) -> Sequential:
    """``196 → 48 → ... → 48 → 10`` with six hidden ReLU layers, Kaiming-normal weights × ``scale``.

    ``norm`` is None or ``"batchnorm"`` (a BatchNorm after every hidden Linear).

    Defined in chapter 11 (Batch normalization).
    """
    check_scalar("scale", scale)  # a finite real number (NaN would make every weight NaN)
    model = mlp([196] + [WIDTH] * DEPTH + [10], norm=norm, init="kaiming_normal", seed=seed)
    for layer in model.layers:
        if isinstance(layer, Linear):
            layer.params[0] *= scale
    return model


def train_run(
    norm: str | None, lr: float, scale: float = 1.0, data: Any = None, seed: int = 0
) -> dict[str, Any]:
    """Train :func:`deep_mlp` with SGD (momentum 0.9) for 3 epochs of batches of 40.

    Returns ``{"step_loss": array, "dev_acc": float, "diverged": bool}``; a run whose loss
    becomes inf/NaN stops early (``dev_acc`` is then 0.1, chance level).

    Defined in chapter 11 (Batch normalization).
    """
    X_train, y_train, X_dev, y_dev = fashion_slice() if data is None else data
    model = deep_mlp(norm, scale, seed)
    opt = SGD(model.params, lr=lr, momentum=0.9)
    hist = fit(
        model,
        X_train,
        y_train,
        optimizer=opt,
        epochs=EPOCHS,
        batch_size=BATCH,
        dev=(X_dev, y_dev),
        seed=seed,
        progress=False,
        on_nonfinite="stop",
    )
    diverged = hist.diverged or not np.all(np.isfinite(hist.step_loss))
    return {
        "step_loss": np.asarray(hist.step_loss, dtype=float),
        "dev_acc": 0.1 if diverged else float(hist.dev_acc[-1]),
        "diverged": bool(diverged),
    }


@functools.lru_cache(maxsize=2)
def lr_init_grid(
    lrs: Sequence[float] = LRS, scales: Sequence[float] = SCALES
) -> dict[tuple[str, float, float], dict[str, Any]]:
    """Every run of the chapter's experiment, by ``(norm, lr, scale)`` with norm in ``NORMS``.

    Cached: the chapter's figures and the explorer share one computation.

    Defined in chapter 11 (Batch normalization).
    """
    data = fashion_slice()
    grid = {}
    for norm in NORMS:
        for lr in lrs:
            for scale in scales:
                grid[norm, lr, scale] = train_run(
                    None if norm == "plain" else norm, lr, scale, data=data
                )
    return grid


def smoothed_loss(loss: np.ndarray, window: int = 5) -> np.ndarray:
    """Trailing moving average over ``window`` steps of a per-step loss, capped at ``LOSS_CAP``.

    inf/NaN and losses above the cap count as ``LOSS_CAP`` (a diverged run is drawn at the top).

    Defined in chapter 11 (Batch normalization).
    """
    as_float_array("loss", loss, ndim=1)  # one loss per step, real numbers
    window = int(check_scalar("window", window, low=1, integer=True))
    loss = np.asarray(loss, dtype=float)
    loss = np.where(np.isfinite(loss), np.minimum(loss, LOSS_CAP), LOSS_CAP)
    c = np.cumsum(np.insert(loss, 0, 0.0))
    k = np.minimum(np.arange(1, len(loss) + 1), window)
    return (c[1:] - c[np.arange(1, len(loss) + 1) - k]) / k


def _nearest(values: list[float], v: float) -> float:
    """The entry of ``values`` nearest to ``v`` on a log scale (a slider's computed setting)."""
    return min(values, key=lambda u: abs(np.log(u) - np.log(v)))


#: The colour and the legend's label of each network of :func:`bn_training`.
_BN_COLORS = {"plain": plots.COLORS["nesterov"], "batchnorm": plots.COLORS["gd"]}
_BN_LABELS = {"plain": "plain", "batchnorm": "with BatchNorm"}


def _bn_frame(
    grid: dict[tuple[str, float, float], dict[str, Any]], n_steps: int, lr: float, scale: float
) -> dict[str, Any]:
    """What a frame of :func:`bn_training` shows: the smoothed loss of each network at the
    computed setting nearest to ``(lr, scale)`` (a diverged run held at the cap to step
    ``n_steps``), the title, and each network's result (the status line)."""
    lr = _nearest(sorted({k[1] for k in grid}), lr)
    scale = _nearest(sorted({k[2] for k in grid}), scale)
    curves, parts = {}, []
    for norm in NORMS:
        run = grid[norm, lr, scale]
        y = smoothed_loss(run["step_loss"])
        if run["diverged"]:  # it stopped within a few steps: drawn at the cap to the end
            y = np.concatenate([y, np.full(max(n_steps - len(y), 0), LOSS_CAP)])
        curves[norm] = y
        res = "diverged" if run["diverged"] else f"dev acc {run['dev_acc']:.0%}"
        parts.append(f"{_BN_LABELS[norm]}: {res}")
    msg = " | ".join(parts)
    return {"curves": curves, "title": f"α = {lr:g}, c = {scale:g}\n" + msg, "status": msg}


def _bn_setup(n_steps: int) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`bn_training`: one animated loss curve per norm, chance, the legend
    outside the axes."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    lines = {
        norm: plots.moving_line(ax, color=_BN_COLORS[norm], lw=1.8, label=_BN_LABELS[norm])
        for norm in NORMS
    }
    ax.axhline(np.log(10), color="0.5", ls=":", lw=1, label="chance (ln 10)")
    ax.set_xlim(0, n_steps)
    ax.set_ylim(0, LOSS_CAP * 1.04)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("training loss (smoothed)")
    ax.grid(alpha=0.3)
    # inside, the free spots change with the setting (a plain run sits at chance, 2.3, or
    # at the cap, 3, all the way across), and loc="best" would be worked out once, on the
    # still background drawn before the (animated) curves
    plots.legend_outside(ax)
    ax.title.set_animated(True)
    # a title as long as a frame's (two lines: the setting, then the two runs' ends), so that
    # tight_layout leaves room for it
    placeholder = "α = 0.03, c = 0.25\nplain: dev acc 100% | with BatchNorm: dev acc 100%"
    plots.reserve_titles(fig, ax, text=placeholder)
    return fig, {"ax": ax, "lines": lines}


def _bn_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    for norm, y in frame["curves"].items():
        st["lines"][norm].set_data(np.arange(len(y)), y)
    st["ax"].set_title(frame["title"], fontsize=10)


def bn_training(grid: dict[tuple[str, float, float], dict[str, Any]] | None = None) -> Explorer:
    """Explorer: training loss of the deep MLP with and without BatchNorm, for ``α`` and ``c``.

    Controls: the learning rate ``α`` and the init scale ``c`` (every weight is ``c`` times its
    Kaiming-normal draw). Curves are looked up in ``grid`` (default: :func:`lr_init_grid`).

    Defined in chapter 11 (Batch normalization).
    """
    runs = lr_init_grid() if grid is None else grid
    lrs = sorted({k[1] for k in runs})
    scales = sorted({k[2] for k in runs})
    n_steps = max(len(r["step_loss"]) for r in runs.values())

    # the chapter's recommended setting (α = 0.03, c = 1), or the nearest run of a custom grid
    controls = [
        Control(
            "lr", "α (learning rate)", lrs, default=_nearest(lrs, 0.03), log=True, only_values=True
        ),
        Control(
            "scale",
            "c (init scale)",
            scales,
            default=_nearest(scales, 1.0),
            log=True,
            only_values=True,
        ),
    ]

    return Explorer(
        title="Training a 6-layer MLP with and without BatchNorm",
        controls=controls,
        setup=lambda: _bn_setup(n_steps),
        compute=lambda lr, scale: _bn_frame(runs, n_steps, lr, scale),
        draw=_bn_draw,
        caption=(
            "Precomputed runs on a Fashion-MNIST slice (1200 images); the live sliders offer "
            "the computed settings. Losses above 3 are drawn at 3, and a run that diverged is "
            "drawn at 3 from its last step to the end."
        ),
    )
