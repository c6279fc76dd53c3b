"""Chapter 05's explorer: gradient descent, momentum, AdaGrad, RMSProp and Adam race on a rotated
bowl.

:func:`race` runs one method on a quadratic for a whole grid of learning rates at once (the
iterates of every learning rate advance together as rows of one array), which is what makes it
cheap to give every method its *best* learning rate on every bowl. The update rules are
``torch.optim``'s (the same as :mod:`dlnotes.optim`), written out for speed on tiny problems.

Defined in chapter 05 (Adaptive methods).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes import landscapes as ls
from dlnotes import plots
from dlnotes._validate import as_float_array, check_scalar
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["optimizer_race"]

#: The methods of the race, in legend order, with their colours in :data:`dlnotes.plots.COLORS`.
METHODS = ("GD", "momentum", "AdaGrad", "RMSprop", "Adam")
_COLOR_KEYS = {
    "GD": "gd",
    "momentum": "momentum",
    "AdaGrad": "adagrad",
    "RMSprop": "rmsprop",
    "Adam": "adam",
}

#: The learning rates tried for each method (log-spaced; the best one is kept).
LR_GRIDS: dict[str, np.ndarray] = {
    "GD": np.geomspace(0.5, 1.99, 8),
    "momentum": np.geomspace(0.05, 2.0, 9),
    "AdaGrad": np.geomspace(0.1, 10.0, 9),
    "RMSprop": np.geomspace(0.01, 1.0, 9),
    "Adam": np.geomspace(0.03, 3.0, 9),
}

STEPS = 400
TARGET = 1e-6  # reach f(x_t) < TARGET · f(x_0)
X0_ALIGNED = (-1.0, 3.0)  # the start on the axis-aligned bowl; rotated with the bowl


def race(
    A: Any,
    x0: Any,
    method: str,
    lrs: Any,
    steps: int,
    *,
    rho: float = 0.9,
    alpha: float = 0.99,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    blowup: float = 1e6,
) -> np.ndarray:
    """Iterates of ``method`` on ``f(x) = ½ xᵀ A x`` for every learning rate in ``lrs`` at once.

    ``A`` is symmetric ``(d, d)``, ``x0`` has shape ``(d,)``, ``lrs`` shape ``(n,)`` (a scalar
    gives ``n = 1``). Returns an array of shape ``(n, steps + 1, d)``; row ``i`` holds the run
    with ``lrs[i]``. A run whose iterate leaves the ball ``‖x‖ ≤ blowup`` is frozen there and
    its remaining iterates are NaN (a diverged run). With ``g = A x`` and ``t = 1, 2, ...``:

    * ``"GD"``: ``x ← x − α g``;
    * ``"momentum"``: ``b ← ρ b + g`` (``b`` starts at 0), ``x ← x − α b`` (``SGD(momentum=ρ)``);
    * ``"RMSprop"``: ``v ← a v + (1 − a) g²``, ``x ← x − α g / (√v + ε)`` (``a`` = ``alpha``);
    * ``"Adam"``: ``m ← β1 m + (1 − β1) g``, ``v ← β2 v + (1 − β2) g²``,
      ``x ← x − α m̂ / (√v̂ + ε)`` with ``m̂ = m / (1 − β1^t)``, ``v̂ = v / (1 − β2^t)``;
    * ``"AdaGrad"``: ``G ← G + g²``, ``x ← x − α g / (√G + ε)``.

    Defined in chapter 05 (Adaptive methods).
    """
    A = as_float_array("A", A, ndim=2)
    d = A.shape[0]
    if A.shape != (d, d) or not np.allclose(A, A.T):
        raise ValueError(f"A must be a symmetric square matrix, got shape {A.shape}")
    x0 = as_float_array("x0", x0, shape=(d,))
    lr = as_float_array("lrs", lrs).reshape(-1)
    if lr.size == 0 or np.any(lr < 0) or not np.all(np.isfinite(lr)):
        raise ValueError(f"lrs must be finite learning rates >= 0, got {lrs!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    steps = int(check_scalar("steps", steps, low=0, integer=True))
    rho = check_scalar("rho", rho, low=0.0, high=1.0, high_inclusive=False)
    alpha = check_scalar("alpha", alpha, low=0.0, high=1.0, high_inclusive=False)
    beta1 = check_scalar("betas[0]", betas[0], low=0.0, high=1.0, high_inclusive=False)
    beta2 = check_scalar("betas[1]", betas[1], low=0.0, high=1.0, high_inclusive=False)
    eps = check_scalar("eps", eps, low=0.0)

    n = lr.size
    a = lr[:, None]
    x = np.tile(x0, (n, 1))
    buf1 = np.zeros_like(x)  # momentum buffer, or Adam's m
    buf2 = np.zeros_like(x)  # squared-gradient average / sum, or Adam's v
    out = np.empty((n, steps + 1, d))
    out[:, 0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            g = x @ A  # A is symmetric: (A x)ᵀ for every row
            if method == "GD":
                x = x - a * g
            elif method == "momentum":
                buf1 = rho * buf1 + g
                x = x - a * buf1
            elif method == "RMSprop":
                buf2 = alpha * buf2 + (1 - alpha) * g * g
                x = x - a * g / (np.sqrt(buf2) + eps)
            elif method == "AdaGrad":
                buf2 = buf2 + g * g
                x = x - a * g / (np.sqrt(buf2) + eps)
            else:
                buf1 = beta1 * buf1 + (1 - beta1) * g
                buf2 = beta2 * buf2 + (1 - beta2) * g * g
                denom = np.sqrt(buf2) / math.sqrt(1 - beta2**t) + eps
                x = x - (a / (1 - beta1**t)) * buf1 / denom
            out[:, t] = x
        # a run that left the ball ‖x‖ <= blowup is NaN from then on
        norm = np.sqrt(np.sum(out * out, axis=2))
        bad = ~(norm <= blowup)  # also catches NaN
        after = np.cumsum(bad, axis=1) > 0
    out[after] = np.nan
    return out


def losses(A: Any, xs: np.ndarray) -> np.ndarray:
    """``f(x) = ½ xᵀ A x`` for iterates ``xs`` of shape ``(..., d)``; shape ``(...)`` (NaN kept).

    Defined in chapter 05 (Adaptive methods).
    """
    A = as_float_array("A", A, ndim=2)
    return 0.5 * np.einsum("...i,ij,...j->...", xs, A, xs)


def steps_to_target(fs: np.ndarray, f0: float, target: float = TARGET) -> np.ndarray:
    """First step at which ``fs < target · f0`` along the last axis (``-1`` if never).

    Defined in chapter 05 (Adaptive methods).
    """
    hit = np.asarray(fs) < target * f0
    first = np.argmax(hit, axis=-1)
    return np.where(hit.any(axis=-1), first, -1)


def best_run(
    A: Any, x0: Any, method: str, steps: int = STEPS, target: float = TARGET
) -> tuple[float, int, np.ndarray]:
    """``method``'s best learning rate from :data:`LR_GRIDS` on the bowl ``½ xᵀ A x``.

    Best = fewest steps to ``f < target · f(x0)``; if no learning rate gets there, the lowest
    final loss. Returns ``(lr, steps_needed, iterates)``, ``steps_needed = -1`` when the target
    was not reached and ``iterates`` of shape ``(steps + 1, d)``.

    Defined in chapter 05 (Adaptive methods).
    """
    grid = LR_GRIDS[method]
    xs = race(A, x0, method, grid, steps)
    fs = losses(A, xs)
    f0 = float(fs[0, 0])
    hit = steps_to_target(fs, f0, target)
    if (hit >= 0).any():
        i = int(np.argmin(np.where(hit >= 0, hit, np.iinfo(np.int64).max)))
    else:
        i = int(np.nanargmin(np.where(np.isnan(fs[:, -1]), np.inf, fs[:, -1])))
    return float(grid[i]), int(hit[i]), xs[i]


def rotated_bowl(kappa: float, theta_degrees: float) -> ls.Quadratic:
    """``ill_conditioned_quadratic(kappa, theta=θ)`` with ``θ`` in degrees (``L = 1``).

    Defined in chapter 05 (Adaptive methods).
    """
    theta = math.radians(check_scalar("theta_degrees", theta_degrees))
    return ls.ill_conditioned_quadratic(kappa, theta=theta)


def rotated_start(theta_degrees: float) -> np.ndarray:
    """The start :data:`X0_ALIGNED` rotated by ``θ`` degrees with the bowl, shape ``(2,)``.

    Defined in chapter 05 (Adaptive methods).
    """
    return ls.rotation(math.radians(theta_degrees)) @ np.array(X0_ALIGNED)


def optimizer_race(steps: int = STEPS) -> Explorer:
    """Explorer: five methods, each at its best learning rate, on a bowl rotated by ``θ``.

    The bowl is ``½ xᵀ R(θ) diag(1, 1/κ) R(θ)ᵀ x`` and the start rotates with it, so the problem
    is the same in every frame up to a rotation of the coordinates. Left: contours and iterates;
    right: ``f(x_t)/f(x_0)`` on a log scale; the status line lists the steps each method needs to
    reach ``1e-6``.

    Defined in chapter 05 (Adaptive methods).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullLocator

    controls = [
        Control(
            "theta",
            "θ (rotation, degrees)",
            [0, 5, 10, 15, 20, 30, 45, 60, 75, 90],
            default=0,
            fmt=".0f",
        ),
        Control("kappa", "κ (condition number)", [3, 10, 30, 100, 300], default=100, log=True),
    ]
    lim = 3.4
    levels = np.geomspace(2e-4, 4.0, 11)  # f values of the drawn level sets
    s = np.linspace(0.0, 2 * math.pi, 121)
    circle = np.stack([np.cos(s), np.sin(s)])  # (2, 121)

    def setup() -> tuple[Any, dict[str, Any]]:
        fig, (ax, ax2) = plt.subplots(
            1, 2, figsize=(9, 3.9), gridspec_kw={"width_ratios": [1, 1.25]}
        )
        # Level sets of a quadratic are ellipses: drawn as moving lines, so rotating the bowl
        # only moves artists and the still background never needs a redraw.
        rings = [
            ax.plot([], [], color="0.55", lw=0.7, animated=True)[0] for _ in range(len(levels))
        ]
        paths, curves = {}, {}
        for name in METHODS:
            color = plots.COLORS[_COLOR_KEYS[name]]
            (paths[name],) = ax.plot([], [], "-", color=color, lw=1.4, animated=True)
            (curves[name],) = ax2.plot([], [], color=color, lw=1.8, label=name, animated=True)
        (start,) = ax.plot(
            [], [], "o", color=plots.COLORS["start"], ms=7, mec="white", animated=True
        )
        ax.plot([0], [0], "*", color=plots.COLORS["minimum"], ms=11)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.title.set_animated(True)
        ax2.axhline(TARGET, color="0.3", ls="--", lw=1)
        ax2.set_yscale("log")
        ax2.set_xlim(0, steps)
        ax2.set_ylim(1e-12, 10)
        ax2.yaxis.set_major_locator(LogLocator(numticks=5))
        ax2.yaxis.set_minor_locator(NullLocator())
        ax2.set_xlabel("step $t$")
        ax2.set_ylabel("$f(x_t)\\,/\\,f(x_0)$")
        ax2.set_title("each method at its best α (dashed: 1e-6)", fontsize=10)
        ax2.grid(alpha=0.3)
        ax2.legend(loc="upper right", frameon=False, fontsize=8)
        fig.tight_layout()
        state = {"ax": ax, "rings": rings, "paths": paths, "curves": curves, "start": start}
        return fig, state

    def update(st: dict[str, Any], theta: float, kappa: float) -> str:
        bowl = rotated_bowl(float(kappa), float(theta))
        x0 = rotated_start(float(theta))
        R = ls.rotation(math.radians(float(theta)))
        curvatures = np.array([1.0, 1.0 / float(kappa)])
        for ring, c in zip(st["rings"], levels):
            pts = R @ (np.sqrt(2 * c / curvatures)[:, None] * circle)
            ring.set_data(pts[0], pts[1])
        f0 = float(bowl.f(x0))
        parts = []
        for name in METHODS:
            lr, hit, xs = best_run(bowl.A, x0, name, steps)
            ok = ~np.isnan(xs[:, 0])
            st["paths"][name].set_data(xs[ok, 0], xs[ok, 1])
            fs = losses(bowl.A, xs[ok]) / f0
            st["curves"][name].set_data(np.arange(ok.sum()), np.maximum(fs, 1e-300))
            parts.append(f"{name} {hit if hit >= 0 else f'>{steps}'} (α={lr:.2g})")
        st["start"].set_data([x0[0]], [x0[1]])
        st["ax"].set_title(f"θ = {theta:.0f}°, κ = {kappa:g}", fontsize=10)
        return "steps to 1e-6: " + " · ".join(parts)

    return Explorer(
        title="Optimizer race on a rotated ill-conditioned bowl",
        controls=controls,
        setup=setup,
        update=update,
        caption=(
            "f(x) = ½ xᵀ R(θ) diag(1, 1/κ) R(θ)ᵀ x; the start rotates with the bowl. Each method "
            "uses the learning rate from its grid that reaches f < 1e-6·f(x₀) first."
        ),
    )
