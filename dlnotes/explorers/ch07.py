"""Chapter 07's explorer: signal propagation through a deep random network.

Defined in chapter 07 (Initialization).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import check_float_array, check_scalar
from dlnotes.init import calculate_gain
from dlnotes.layers._base import seed_to_rng
from dlnotes.layers.activations import relu_backward, relu_forward, tanh_backward, tanh_forward
from dlnotes.plots import COLORS
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["signal_propagation"]


def _linear_forward(Z: np.ndarray) -> tuple[np.ndarray, None]:
    return Z, None


def _linear_backward(dout: np.ndarray, cache: None) -> np.ndarray:
    return dout


#: The nonlinearities the explorer offers: each one's forward and backward pass.
ACTIVATIONS: dict[
    str,
    tuple[Callable[[np.ndarray], tuple[np.ndarray, Any]], Callable[[np.ndarray, Any], np.ndarray]],
] = {
    "relu": (relu_forward, relu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "linear": (_linear_forward, _linear_backward),
}

#: Each nonlinearity's gain as ``torch.nn.init.calculate_gain`` returns it (PyTorch's
#: recommendation; no initializer applies it by default: ``xavier_*`` default to gain 1,
#: ``kaiming_*`` to √2, leaky ReLU's with slope 0). It keeps the forward variance for linear
#: layers and ReLU; for tanh (5/3) it is a compromise that, at depth 50, keeps the forward
#: signal but grows the gradient (chapter 07's exercise 3).
LIBRARY_GAIN = {name: calculate_gain(name) for name in ACTIVATIONS}
#: How the status line writes each of these gains.
GAIN_TEXT = {"relu": "√2 ≈ 1.414", "tanh": "5/3 ≈ 1.667", "linear": "1"}

WIDTH = 100
BATCH = 64
MAX_DEPTH = 50
HIST_RANGE = 4.0


def propagate(
    X: np.ndarray,
    weights: list[np.ndarray],
    nonlinearity: str,
    upstream: np.ndarray,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward and backward pass of a bias-free MLP ``z_l = h_{l-1} W_l``, ``h_l = φ(z_l)``.

    Shapes: ``X (N, n_0)``, ``weights[l] (n_l, n_{l+1})``, ``upstream (N, n_L)`` is the gradient
    ``dL/dh_L`` at the top. Backward: ``dL/dz_l = dL/dh_l ⊙ φ'(z_l)`` and
    ``dL/dh_{l-1} = dL/dz_l W_lᵀ``. Returns ``(zs, grads)``: the pre-activations ``z_1 .. z_L``
    and the gradients ``dL/dz_1 .. dL/dz_L``, each a list of ``(N, n_l)`` arrays.

    Defined in chapter 07 (Initialization).
    """
    if nonlinearity not in LIBRARY_GAIN:
        raise ValueError(
            f"nonlinearity must be one of {sorted(LIBRARY_GAIN)}, got {nonlinearity!r}"
        )
    check_float_array("X", X, where="propagate")
    if X.ndim != 2:
        raise ValueError(f"propagate: X must be 2-dimensional (N, n_0), got shape {X.shape}")
    if not isinstance(weights, (list, tuple)):
        raise TypeError(
            "propagate: weights must be a list of (n_l, n_l+1) matrices, got "
            f"{type(weights).__name__}"
        )
    if not weights:
        raise ValueError("weights must hold at least one matrix, got none")
    for i, W in enumerate(weights):
        check_float_array(f"weights[{i}]", W, where="propagate")
        if W.ndim != 2:
            raise ValueError(f"propagate: weights[{i}] must be a 2-D matrix, got shape {W.shape}")
    check_float_array("upstream", upstream, where="propagate")
    forward, backward = ACTIVATIONS[nonlinearity]
    zs: list[np.ndarray] = []
    caches: list[Any] = []
    h = X
    for i, W in enumerate(weights):
        if h.shape[1] != W.shape[0]:
            raise ValueError(
                f"weights[{i}] must have {h.shape[1]} rows to match its input, got shape {W.shape}"
            )
        z = h @ W
        h, cache = forward(z)
        zs.append(z)
        caches.append(cache)
    if upstream.shape != h.shape:
        raise ValueError(f"upstream must have shape {h.shape} (the output's), got {upstream.shape}")
    grads: list[np.ndarray] = []
    g = upstream
    for W, cache in zip(reversed(weights), reversed(caches)):
        dz = backward(g, cache)  # dL/dz_l = dL/dh_l ⊙ φ'(z_l)
        grads.append(dz)
        g = dz @ W.T
    return zs, grads[::-1]


def random_network(
    depth: int, gain: float, *, width: int = WIDTH, batch: int = BATCH, seed: int = 0
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """``(X, weights, upstream)`` of a square random network: every ``W_l ~ N(0, gain²/width)``.

    ``X`` and ``upstream`` are standard normal, shape ``(batch, width)``; ``weights`` holds
    ``depth`` matrices of shape ``(width, width)``. The same ``seed`` draws the same matrices up
    to the factor ``gain``, so sweeping the gain shows one network rescaled.

    Defined in chapter 07 (Initialization).
    """
    depth = int(check_scalar("depth", depth, low=1, integer=True))
    gain = check_scalar("gain", gain, low=0.0)
    width = int(check_scalar("width", width, low=1, integer=True))
    batch = int(check_scalar("batch", batch, low=1, integer=True))
    rng = seed_to_rng(seed)
    X = rng.standard_normal((batch, width))
    upstream = rng.standard_normal((batch, width))
    scale = gain / math.sqrt(width)
    weights = [scale * rng.standard_normal((width, width)) for _ in range(depth)]
    return X, weights, upstream


def _unpack(net: tuple[np.ndarray, list[np.ndarray], np.ndarray]) -> list[Any]:
    X, weights, upstream = net
    return [X, np.stack(weights), upstream]


#: The gains offered by :func:`signal_propagation` (LeCun 1, He √2 ≈ 1.414, tanh 5/3 among them).
GAINS = [0.25, 0.35, 0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.414, 1.5, 5 / 3, 2.0, 2.5, 3.0]
#: The panel titles' font size.
TITLE_SIZE = 10
#: The histogram bins of the right panel, and the x of its step curve.
EDGES = np.linspace(-HIST_RANGE, HIST_RANGE, 61)
_CENTRES = np.repeat(EDGES, 2)[1:-1]


def _histogram(z: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(np.clip(z, -HIST_RANGE, HIST_RANGE), bins=EDGES, density=True)
    return np.repeat(counts, 2)


def _signal_frame(
    net: list[np.ndarray], gain: float, depth: float, nonlinearity: str
) -> dict[str, Any]:
    """What a frame of :func:`signal_propagation` shows: the per-layer stds of ``z_l`` and
    ``dL/dz_l`` of the unit network ``net`` (float32 ``X``, stacked weights, ``upstream``)
    rescaled by ``gain`` and cut to ``depth`` layers, the first and last histograms, the texts."""
    X, unit_weights, upstream = net
    L = max(1, min(MAX_DEPTH, int(np.rint(depth))))
    scale = float(gain)
    weights = [np.float32(scale) * W for W in unit_weights[:L]]
    with np.errstate(over="ignore", invalid="ignore"):
        zs, grads = propagate(X, weights, nonlinearity, upstream)
        # in float64: the squares inside std overflow float32 long before the activations do
        act = np.array([z.std(dtype=np.float64) for z in zs])
        grad = np.array([g.std(dtype=np.float64) for g in grads])
    ratio = act[-1] / act[0]
    if nonlinearity == "tanh":
        saturated = float(np.mean(np.abs(np.tanh(zs[-1])) > 0.99))
        right = f"saturated: {saturated:.0%}"
    else:
        right = f"std(z_L) = {act[-1]:.2g}"
    return {
        "forward": np.clip(np.nan_to_num(act, nan=1e30), 1e-30, 1e30),
        "backward": np.clip(np.nan_to_num(grad, nan=1e30), 1e-30, 1e30),
        "first": _histogram(zs[0]),
        "last": _histogram(zs[-1]),
        # short titles: drawing text is most of a frame's cost
        "title": f"std(z_L)/std(z_1) = {ratio:.2g}",
        "title2": right,
        "status": (
            f"std(z_L)/std(z_1) = {ratio:.3g}, gradient std ratio layer 1 / layer L = "
            f"{grad[0] / grad[-1]:.3g}; PyTorch's calculate_gain('{nonlinearity}') = "
            f"{GAIN_TEXT[nonlinearity]}"
        ),
    }


def _signal_setup() -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`signal_propagation`: stds per layer (left), histograms (right).
    Seven inches wide with 10-point text, so that a notebook column of 468 px (JupyterLab at
    900 px with its file browser open) shows every text at least 9 px high; each legend sits
    under its panel, where no curve runs (the stds reach any height at some setting)."""
    fig, (ax, ax2) = plots.two_panels((7, 4.4), widths=(1.3, 1))
    fwd = plots.moving_line(ax, "-o", ms=3, color=COLORS["gd"], label=r"std of $z_l$ (forward)")
    bwd = plots.moving_line(
        ax,
        "--s",
        ms=3,
        color=COLORS["nesterov"],
        label=r"std of $\partial L/\partial z_l$ (backward)",
    )
    ax.axhline(1.0, color="0.5", lw=0.8)
    plots.log_axis(
        ax,
        xlim=(0, MAX_DEPTH + 1),
        ylim=(1e-10, 1e10),
        xlabel="layer $l$",
        ylabel="standard deviation",
        numticks=6,
        grid=False,
    )
    plots.legend_below(ax, ncol=1)
    first = plots.moving_line(ax2, color=COLORS["start"], lw=1.2, label="layer 1")
    last = plots.moving_line(ax2, color=COLORS["gd"], lw=1.6, label="layer L")
    ax2.set_xlim(-HIST_RANGE, HIST_RANGE)
    ax2.set_ylim(0, 2.0)
    ax2.set_xlabel("pre-activation $z$\n" r"(clipped to $\pm 4$)")
    ax2.set_ylabel("density")
    plots.legend_below(ax2, below=0.3)  # past the two-line x label
    ax2.title.set_animated(True)
    # The titles change with every frame: lay out with titles as wide as any frame's, so
    # that room is reserved for them (tight_layout with no title gives them none).
    ax.set_title("std(z_L)/std(z_1) = 8.8e+88", fontsize=TITLE_SIZE)
    ax2.set_title("std(z_L) = 8.8e+88", fontsize=TITLE_SIZE)
    fig.tight_layout()
    return fig, {"ax": ax, "ax2": ax2, "fwd": fwd, "bwd": bwd, "first": first, "last": last}


def _signal_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    layers = np.arange(1, len(frame["forward"]) + 1)
    st["fwd"].set_data(layers, frame["forward"])
    st["bwd"].set_data(layers, frame["backward"])
    st["first"].set_data(_CENTRES, frame["first"])
    st["last"].set_data(_CENTRES, frame["last"])
    st["ax"].set_title(frame["title"], fontsize=TITLE_SIZE)
    st["ax2"].set_title(frame["title2"], fontsize=TITLE_SIZE)


def signal_propagation() -> Explorer:
    """Explorer: per-layer std of the pre-activations ``z_l`` and of ``dL/dz_l`` in a deep net.

    A bias-free MLP of width 100 with ``W_l ~ N(0, g²/n)`` (``n = 100``): ``g = 1`` is LeCun's
    rule, ``g = √2`` He's for ReLU, ``g = 5/3`` the tanh gain. Controls: the gain ``g``, the depth
    ``L`` and the nonlinearity. Left: std per layer on a log scale (forward solid, backward
    dashed); right: histograms of the first and the last layer's pre-activations.

    Defined in chapter 07 (Initialization).
    """
    controls = [
        Control("gain", "g (gain: Var W = g²/n)", GAINS, default=1.414, log=True, fmt=".3f"),
        Control("depth", "L (layers)", [2, 3, 5, 10, 15, 20, 30, 40, 50], default=10, fmt=".0f"),
        Control(
            "nonlinearity",
            "φ (nonlinearity)",
            ["relu", "tanh", "linear"],
            default="relu",
            choices=True,
        ),
    ]
    # One set of standard-normal matrices, rescaled by the gain: a redraw is one pass
    # (in float32: twice as fast, and plenty for a picture).
    net = [np.asarray(a, dtype=np.float32) for a in _unpack(random_network(MAX_DEPTH, 1.0))]

    return Explorer(
        title="Signal propagation through a deep random network",
        controls=controls,
        setup=_signal_setup,
        compute=lambda gain, depth, nonlinearity: _signal_frame(net, gain, depth, nonlinearity),
        draw=_signal_draw,
        caption=(
            f"Bias-free MLP of width {WIDTH}, W_l ~ N(0, g²/{WIDTH}), {BATCH} Gaussian inputs. "
            "For linear layers and ReLU, find the gain that keeps both curves flat; for tanh at "
            "depth 50 no gain does: compare the two ratios in the status line."
        ),
    )
