"""Chapter 03's explorers: an exponentially weighted average of a noisy series, and mini-batch
gradient descent on a two-parameter least-squares problem.

Defined in chapter 03 (Mini-batches and moving averages).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes._validate import check_scalar
from dlnotes.averages import ewa
from dlnotes.layers._base import seed_to_rng
from dlnotes.widgets import Control, Explorer, background_changed

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["ewa_noisy_series", "minibatch_line_fit"]


def noisy_series(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A loss-like series and its noise-free trend, both of shape ``(n,)``.

    ``trend_t = 0.4 + 1.6 exp(-t / 70)`` and ``x_t = trend_t (1 + 0.35 z_t)`` with standard
    normal ``z_t`` from ``seed``: it starts near 2, far from 0, like a training loss.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    n = int(check_scalar("n", n, low=1, integer=True))
    t = np.arange(1, n + 1)
    trend = 0.4 + 1.6 * np.exp(-t / 70)
    z = seed_to_rng(seed).standard_normal(n)
    return trend * (1 + 0.35 * z), trend


#: A series this many windows ``1/(1 − β)`` long or longer gives the weights older than one
#: window about their share ``1/e`` of an endless series (the note of :func:`ewa_noisy_series`
#: says why a shorter one gives less).
LONG_SERIES_WINDOWS = 3


def _ewa_frame(
    series: np.ndarray, trend: np.ndarray, beta: float, bias_correction: str
) -> dict[str, Any]:
    """What a frame of :func:`ewa_noisy_series` shows: the average, the weights of the last
    one by age ``k = 0 … n − 1`` (the whole series), the window ``1/(1 − β)`` and the texts.

    The weights older than one window have the share ``β^{1/(1−β)}`` (about ``1/e`` for ``β``
    near 1) of an endless series; the last average of a series only a few windows long has no
    values older than ``n`` (their share ``βⁿ`` is missing, or moved by the bias correction
    onto the younger ones), so the note says when the share it reports falls short of ``1/e``
    for that reason (``β = 0.995`` at ``t = n = 400``: 0.27)."""
    n = len(series)
    beta = float(beta)
    corrected = bias_correction == "on"
    v = ewa(series, beta, bias_correction=corrected)
    total = 1 - beta**n if corrected else 1.0
    w = (1 - beta) * beta ** np.arange(n) / total
    win = 1 / (1 - beta)
    older = (beta ** round(win) - beta**n) / total  # the share of the weights older than that
    early = float(np.mean(np.abs(v[:20] - trend[:20])))
    late = float(np.mean(np.abs(v[20:] - trend[20:])))
    reference = (
        "1/e ≈ 0.37"
        if n >= LONG_SERIES_WINDOWS * win
        else f"1/e ≈ 0.37 only for t ≫ {win:.0f}"  # t = n, named by the x-axis label
    )
    return {
        "average": v,
        "weights": w,
        "window": win,
        "note": (
            f"window 1/(1−β) = {win:.0f} step{'' if round(win) == 1 else 's'}, "
            f"weight older than that: {older:.2f} ({reference})"
        ),
        "title": (
            f"β = {beta:.3f}, bias correction {bias_correction}: $v_1$ = {v[0]:.2f}, "
            f"$x_1$ = {series[0]:.2f}"
        ),
        "status": f"mean |v_t − trend|: steps 1–20 {early:.3f}, steps 21–{n} {late:.3f}",
    }


def _ewa_setup(series: np.ndarray, trend: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`ewa_noisy_series`: the series and its average (top), the weights
    by age (bottom). Seven inches wide with 10-point text, so that a notebook column of 468 px
    (JupyterLab at 900 px with its file browser open) shows every text at least 9 px high: the
    panels are stacked, each the figure's width, so that the top title (the frame's title and
    the status, on two lines) and the bottom one (the window's note) fit on their lines; the
    legend sits under the top panel, off the series."""
    import matplotlib.pyplot as plt

    n = len(series)
    steps = np.arange(1, n + 1)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7, 6.2), height_ratios=(1.5, 1))
    ax.plot(steps, series, ".", color="0.65", ms=2.5, label="series $x_t$")
    ax.plot(steps, trend, "k--", lw=1, label="noise-free trend")
    avg = plots.moving_line(ax, color=plots.COLORS["momentum"], lw=2, label="average")
    ax.set_xlim(0, n)
    ax.set_ylim(0, 3.2)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("value")
    plots.legend_below(ax, ncol=3, below=0.17, markerscale=3)
    weights = plots.moving_line(ax2, color=plots.COLORS["momentum"], lw=2)
    window = ax2.axvline(10, color="0.3", ls="--", lw=1, animated=True)
    ax2.set_xlim(0, n)  # every age the last average weighs: the window line stays inside
    ax2.set_ylim(0, 0.12)
    ax2.set_xlabel(f"age $k$ (steps before $t = {n}$)")
    ax2.set_ylabel("weight of $x_{t-k}$\nin $v_t$")
    # the note is the bottom panel's title (the dashed window line crosses any place inside)
    ax2.title.set_animated(True)
    ax.title.set_animated(True)
    ax.set_title("β\nstatus", fontsize=10)  # placeholder: tight_layout leaves room for two lines
    ax2.set_title("window", fontsize=10)
    fig.tight_layout()
    state = {"ax": ax, "ax2": ax2, "avg": avg, "weights": weights, "window": window}
    return fig, {**state, "note": ax2.title}


def _ewa_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    v, w, win = frame["average"], frame["weights"], frame["window"]
    st["avg"].set_data(np.arange(1, len(v) + 1), v)
    st["weights"].set_data(np.arange(len(w)), w)
    top = max(0.12, 1.1 * float(w[0]))
    if st["ax2"].get_ylim()[1] != top:
        # the tick labels are in the still background: the live face must redraw it, or
        # they keep the old scale under the new curve
        st["ax2"].set_ylim(0, top)
        background_changed(st["ax2"].figure)
    st["window"].set_xdata([win, win])
    st["ax2"].set_title(frame["note"], fontsize=10)
    # the title's second line is the status line (the website's player shows the figure only)
    st["ax"].set_title(frame["title"] + "\n" + frame["status"], fontsize=10)


def ewa_noisy_series(n: int = 400, seed: int = 0) -> Explorer:
    """Explorer: the EWA ``v_t = β v_{t-1} + (1-β) x_t`` of :func:`noisy_series`.

    Controls: ``β`` and bias correction (``v_t / (1 - β^t)``) on/off. Top: the series, its
    trend and the average; bottom: the weight ``(1-β) β^k`` (divided by ``1 - β^t`` when
    corrected) that the last average gives to the value ``k`` steps back, for every ``k`` of
    the series, with the window ``1/(1-β)`` marked.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    series, trend = noisy_series(n, seed)
    controls = [
        Control(
            "beta",
            "β (decay)",
            [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995],
            default=0.9,
            fmt=".3f",
        ),
        Control("bias_correction", "bias correction", ["on", "off"], default="on", choices=True),
    ]

    return Explorer(
        title="An exponentially weighted average of a noisy series",
        controls=controls,
        setup=lambda: _ewa_setup(series, trend),
        compute=lambda beta, bias_correction: _ewa_frame(series, trend, beta, bias_correction),
        draw=_ewa_draw,
        caption="vₜ = β vₜ₋₁ + (1 − β) xₜ, v₀ = 0; bias correction divides by 1 − βᵗ.",
    )


def line_data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression set: ``x`` uniform on [-1, 2], ``y = 1.5 x - 1 + 0.5 z`` (shapes ``(n,)``).

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    n = int(check_scalar("n", n, low=2, integer=True))
    rng = seed_to_rng(seed)
    x = rng.uniform(-1.0, 2.0, n)
    return x, 1.5 * x - 1.0 + 0.5 * rng.standard_normal(n)


def _line_fit(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The least-squares line fit of :func:`line_data`: the design ``A`` (rows ``(x_i, 1)``, so
    the model is ``A @ (w, b)``), the targets ``y``, the Hessian ``H = AᵀA / n`` of the mean
    loss ``f(p) = ||A p − y||² / (2n)`` and its minimizer ``p*``."""
    x, y = line_data(n, seed)
    A = np.stack([x, np.ones(n)], axis=1)
    H = A.T @ A / n
    return A, y, H, np.linalg.solve(H, A.T @ y / n)


def _excess_loss(P: np.ndarray, H: np.ndarray, p_star: np.ndarray) -> np.ndarray:
    """``f(p) − f* = ½ (p − p*)ᵀ H (p − p*)`` for every row ``p`` of ``P``."""
    D = P - p_star
    return 0.5 * np.einsum("ij,jk,ik->i", D, H, D)


def _int_seed(seed: Any) -> int:
    """The int ``seed`` of :func:`minibatch_path` (>= 0): it seeds the data, and ``seed + 1`` the
    batch order, so a Generator (one stream for both) is refused."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be an int (the data are drawn from seed, the batch order from seed + 1), "
            f"got {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be >= 0 (numpy's random generators need it), got {seed}")
    return int(seed)


#: Where every run of :func:`minibatch_line_fit` starts, ``(w, b)``.
_LINE_FIT_START = (-1.0, 2.0)


def minibatch_path(
    batch_size: int, lr: float, epochs: int = 4, n: int = 64, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mini-batch gradient descent on the line fit ``f(w, b) = (1/2N) Σ (w x_i + b - y_i)²``.

    Starts at ``(w, b) = (-1, 2)`` and runs ``epochs`` shuffled passes over :func:`line_data`
    (:func:`dlnotes.data.minibatches`, order seeded by ``seed + 1``), each step
    ``p ← p - lr · A_Bᵀ (A_B p - y_B) / |B|`` with rows ``(x_i, 1)`` of ``A``. Returns the iterates
    (shape ``(steps + 1, 2)``), the examples processed before each (in epochs) and the excess loss
    ``f(p) - f*`` of each. A run whose parameters exceed 1e3 in size stops there.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    from dlnotes.data import minibatches

    batch_size = int(check_scalar("batch_size", batch_size, low=1, integer=True))
    lr = check_scalar("lr", lr, low=0.0, low_inclusive=False)
    epochs = int(check_scalar("epochs", epochs, low=1, integer=True))
    seed = _int_seed(seed)
    A, y, H, p_star = _line_fit(n, seed)
    rng = np.random.default_rng(seed + 1)
    p = np.array(_LINE_FIT_START)
    path, seen = [p.copy()], [0]

    def finish() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.array(path), np.array(seen) / n, _excess_loss(np.array(path), H, p_star)

    for _ in range(epochs):
        for Ab, yb in minibatches(A, y, batch_size, seed=rng):
            assert yb is not None  # targets were given
            p = p - lr * Ab.T @ (Ab @ p - yb) / len(yb)
            if not np.all(np.abs(p) < 1e3):  # diverged: stop here
                return finish()
            path.append(p.copy())
            seen.append(seen[-1] + len(yb))
    return finish()


def _line_fit_frame(batch_size: float, lr: float, epochs: int, n: int, seed: int) -> dict[str, Any]:
    """What a frame of :func:`minibatch_line_fit` shows: the path of ``(w, b)``, the excess loss
    against the examples processed, the title and the verdict (also the status line)."""
    batch_size = max(1, round(float(batch_size)))
    path, seen, excess = minibatch_path(batch_size, float(lr), epochs, n, seed)
    steps = len(path) - 1
    if steps < epochs * -(-n // batch_size):
        verdict = f"diverged after {steps} steps"
    else:
        tail = float(np.mean(excess[-max(1, steps // 4) :]))
        verdict = f"last quarter of the steps: mean f − f* = {tail:.1e}"
    return {
        "path": path,
        "seen": seen,
        "excess": np.maximum(excess, 1e-300),  # a log axis: no zeros
        "title": f"B = {batch_size}, α = {lr:.2f}: {steps} steps",
        "status": verdict,
    }


def _line_fit_setup(H: np.ndarray, p_star: np.ndarray, epochs: int) -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`minibatch_line_fit`: contours of the full loss (Hessian ``H``,
    minimizer ``p_star``) with the path of ``(w, b)`` (left), the excess loss against the
    examples processed (right). Seven inches wide with 10-point text, so that a notebook
    column of 468 px (JupyterLab at 900 px with its file browser open) shows every text at
    least 9 px high; the right panel is the wider one, for the status above it."""
    fig, (ax, ax2) = plots.two_panels((7, 3.8), widths=(1, 1.4))
    ws, bs = np.meshgrid(np.linspace(-1.5, 3.0, 90), np.linspace(-2.5, 2.5, 90))
    grid = _excess_loss(np.stack([ws.ravel(), bs.ravel()], axis=1), H, p_star).reshape(ws.shape)
    ax.contour(ws, bs, grid, levels=np.geomspace(1e-3, 10, 12), colors="0.6", linewidths=0.7)
    plots.minimum_marker(ax, p_star, ms=10)
    plots.start_marker(ax, _LINE_FIT_START)
    path = plots.moving_line(ax, "-", color=plots.COLORS["sgd"], lw=0.9)
    ax.set_xlabel("slope $w$")
    ax.set_ylabel("intercept $b$")
    ax.title.set_animated(True)
    curve = plots.moving_line(ax2, color=plots.COLORS["sgd"], lw=1.2)
    plots.log_axis(
        ax2,
        xlim=(0, epochs),
        ylim=(1e-5, 10),
        xlabel="examples processed (epochs)",
        ylabel=r"$f(w, b) - f^\star$",
    )
    plots.reserve_titles(fig, ax, ax2, text="B")
    return fig, {"ax": ax, "ax2": ax2, "path": path, "curve": curve}


def _line_fit_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    path = frame["path"]
    st["path"].set_data(path[:, 0], path[:, 1])
    st["curve"].set_data(frame["seen"], frame["excess"])
    st["ax"].set_title(frame["title"], fontsize=10)
    st["ax2"].set_title(frame["status"], fontsize=10)


def minibatch_line_fit(epochs: int = 4, n: int = 64, seed: int = 0) -> Explorer:
    """Explorer: :func:`minibatch_path` for a chosen batch size ``B`` and learning rate ``α``.

    Left: contours of the full loss and the path of ``(w, b)``; right: the excess loss
    ``f - f*`` after each step against the number of examples processed (in epochs).

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    seed = _int_seed(seed)
    _, _, H, p_star = _line_fit(n, seed)  # also checks n
    controls = [
        Control("batch_size", "B (batch size)", [1, 2, 4, 8, 16, 32, 64], default=8, log=True),
        Control(
            "lr", "α (learning rate)", [0.02, 0.05, 0.1, 0.2, 0.4, 0.6], default=0.1, fmt=".2f"
        ),
    ]

    return Explorer(
        title="Mini-batch gradient descent on a line fit",
        controls=controls,
        setup=lambda: _line_fit_setup(H, p_star, epochs),
        compute=lambda batch_size, lr: _line_fit_frame(batch_size, lr, epochs, n, seed),
        draw=_line_fit_draw,
        caption=f"N = {n} points, {epochs} epochs; each step uses B of them.",
    )
