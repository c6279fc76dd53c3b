"""Optimizers walked on a landscape: the runs the chapters plot, race and time.

Two kinds of runner, both in the plain form of the book's update rules:

* :func:`gradient_descent` and :func:`heavy_ball` take any :class:`Landscape` and return a
  :class:`Run` (iterates, values, whether it diverged);
* :func:`lr_sweep` runs one method on a quadratic bowl for a whole grid of learning rates at
  once (the rows of one array advance together), which is what makes it cheap to give every
  method its best learning rate (:func:`best_lr_run`).

Constant-step runs reproduce :mod:`dlnotes.optim` (``SGD``, ``SGD(momentum=ρ)``, ``Adagrad``,
``RMSprop``, ``Adam``) to rounding; they are written out here because on two-dimensional
problems a loop over numpy rows is much faster than an optimizer object.

Defined in chapters 02 (gradient descent), 04 (heavy ball) and 05 (the learning-rate sweep).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes._validate import as_float_array, check_scalar
from dlnotes.landscapes.surfaces import Landscape, Quadratic

__all__ = [
    "SWEEP_METHODS",
    "Run",
    "best_lr_run",
    "gradient_descent",
    "heavy_ball",
    "lr_sweep",
    "steps_to_stay",
    "steps_to_target",
]

#: The methods :func:`lr_sweep` knows, in the book's order.
SWEEP_METHODS = ("GD", "momentum", "AdaGrad", "RMSprop", "Adam")


class Run:
    """The result of a runner on a landscape.

    Attributes: ``xs`` (``(T+1, d)`` iterates, the start included), ``fs`` (``(T+1,)`` values),
    ``diverged`` (stopped early because the iterate blew up), ``steps`` (steps taken, ``T``).
    """

    def __init__(self, xs: np.ndarray, fs: np.ndarray, diverged: bool) -> None:
        self.xs, self.fs, self.diverged = xs, fs, diverged
        self.steps = len(xs) - 1

    def __repr__(self) -> str:
        end = "diverged" if self.diverged else f"f = {self.fs[-1]:.3g}"
        return f"Run(steps={self.steps}, {end})"


def gradient_descent(
    landscape: Landscape, x0: Any, lr: float, steps: int, *, blowup: float = 1e6
) -> Run:
    """Plain gradient descent ``x_{t+1} = x_t − α ∇f(x_t)`` from ``x0`` (shape ``(d,)``).

    Stops early, with ``diverged=True``, once ``‖x‖`` exceeds ``blowup`` or stops being finite, so a
    too-large learning rate is reported instead of filling the plot with inf. It is
    :func:`heavy_ball` with ``ρ = 0`` (the same iterates, bit for bit).

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    return heavy_ball(landscape, x0, lr, 0.0, steps, blowup=blowup)


def heavy_ball(
    landscape: Landscape, x0: Any, lr: float, rho: float, steps: int, *, blowup: float = 1e6
) -> Run:
    """Heavy ball ``v_{t+1} = ρ v_t − α ∇f(x_t)``, ``x_{t+1} = x_t + v_{t+1}``, ``v_0 = 0``.

    From ``x0`` (shape ``(d,)``); ``ρ = 0`` is gradient descent. Stops early, with
    ``diverged=True``, like :func:`gradient_descent`. At constant ``α`` these are the iterates
    of ``dlnotes.optim.SGD(lr=α, momentum=ρ)`` (whose buffer is ``−v/α``).

    Defined in chapter 04 (Momentum and Nesterov).
    """
    if not isinstance(landscape, Landscape):
        raise TypeError(f"landscape must be a Landscape, got {type(landscape).__name__}")
    x = landscape._point(x0).astype(np.float64).copy()
    if x.ndim != 1:
        raise ValueError(f"x0 must have shape ({landscape.dim},), got {x.shape}")
    lr = check_scalar("lr", lr, low=0.0)
    rho = check_scalar("rho", rho, low=0.0, high=1.0, high_inclusive=False)
    steps = int(check_scalar("steps", steps, low=0, integer=True))
    blowup = check_scalar("blowup", blowup, low=0.0, low_inclusive=False)
    v = np.zeros_like(x)
    xs = [x]
    diverged = False
    for _ in range(steps):
        v = rho * v - lr * landscape._grad(x)
        x = x + v
        if not np.all(np.isfinite(x)) or float(np.linalg.norm(x)) > blowup:
            diverged = True
            break
        xs.append(x)
    X = np.array(xs)
    return Run(X, landscape._f(X), diverged)


def lr_sweep(
    bowl: Quadratic,
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
    """Iterates of ``method`` on ``bowl`` for every learning rate in ``lrs`` at once.

    ``x0`` has shape ``(d,)``, ``lrs`` shape ``(n,)`` (a scalar gives ``n = 1``). Returns an
    array of shape ``(n, steps + 1, d)``; row ``i`` holds the run with ``lrs[i]``
    (``bowl.f`` of it gives the losses). From the first iterate that leaves the ball
    ``‖x‖ ≤ blowup`` on, a run's iterates are NaN (a diverged run). With
    ``g = ∇f(x) = A x − b`` and ``t = 1, 2, ...`` (the names of chapter 05):

    * ``"GD"``: ``x ← x − α g``;
    * ``"momentum"``: ``velocity ← ρ velocity + g`` (from 0), ``x ← x − α velocity``
      (``SGD(momentum=ρ)``);
    * ``"AdaGrad"``: ``grad_sum ← grad_sum + g²``, ``x ← x − α g / (√grad_sum + ε)``;
    * ``"RMSprop"``: ``grad_squared ← alpha grad_squared + (1 − alpha) g²``,
      ``x ← x − α g / (√grad_squared + ε)``;
    * ``"Adam"``: ``m ← β1 m + (1 − β1) g``, ``v ← β2 v + (1 − β2) g²``,
      ``x ← x − α m̂ / (√v̂ + ε)`` with ``m̂ = m / (1 − β1^t)``, ``v̂ = v / (1 − β2^t)``.

    Defined in chapter 05 (Adaptive methods).
    """
    # over 80 lines: 19 of them are the docstring; the sweep is one vectorized loop with one branch
    # per method.
    if not isinstance(bowl, Quadratic):
        raise TypeError(f"bowl must be a Quadratic, got {type(bowl).__name__}")
    A, b = bowl.A, bowl.b
    d = bowl.dim
    x0 = as_float_array("x0", x0, shape=(d,))
    lr = as_float_array("lrs", lrs).reshape(-1)
    if lr.size == 0 or np.any(lr < 0) or not np.all(np.isfinite(lr)):
        raise ValueError(f"lrs must be finite learning rates >= 0, got {lrs!r}")
    if method not in SWEEP_METHODS:
        raise ValueError(f"method must be one of {SWEEP_METHODS}, got {method!r}")
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
    buf2 = np.zeros_like(x)  # AdaGrad's grad_sum, RMSProp's grad_squared, or Adam's v
    out = np.empty((n, steps + 1, d))
    out[:, 0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            g = x @ A - b  # A is symmetric: (A x)ᵀ for every row
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


def steps_to_target(fs: Any, f0: float, target: float) -> np.ndarray:
    """The first step ``t`` with ``f_t < target · f0``, along the last axis of ``fs`` (−1: never).

    ``fs`` holds losses of shape ``(..., T + 1)`` (NaN, a diverged run, never counts); the result
    has shape ``(...)``; ``f0 > 0`` and ``target > 0``.

    Defined in chapter 05 (Adaptive methods).
    """
    values = as_float_array("fs", fs)
    if values.ndim == 0 or values.shape[-1] == 0:
        raise ValueError(f"fs must hold at least one loss along its last axis, got {values.shape}")
    f0 = check_scalar("f0", f0, low=0.0, low_inclusive=False)
    target = check_scalar("target", target, low=0.0, low_inclusive=False)
    with np.errstate(invalid="ignore"):
        hit = values < target * f0
    first = np.argmax(hit, axis=-1)
    return np.where(hit.any(axis=-1), first, -1)


def steps_to_stay(fs: Any, f0: float, target: float) -> np.ndarray:
    """The first step ``t`` from which ``f < target · f0`` holds through the end of the run, along
    the last axis of ``fs`` (−1: the last value is not below).

    ``fs`` holds losses of shape ``(..., T + 1)`` (NaN, a diverged run, never counts); the result
    has shape ``(...)``; ``f0 > 0`` and ``target > 0``. Where :func:`steps_to_target` takes the
    first dip below the target, this asks that ``f`` *stay* below: heavy ball's ``f`` oscillates,
    dipping below the target and climbing back. On a run whose ``f`` never rises the two agree.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    values = as_float_array("fs", fs)
    if values.ndim == 0 or values.shape[-1] == 0:
        raise ValueError(f"fs must hold at least one loss along its last axis, got {values.shape}")
    f0 = check_scalar("f0", f0, low=0.0, low_inclusive=False)
    target = check_scalar("target", target, low=0.0, low_inclusive=False)
    with np.errstate(invalid="ignore"):
        below = values < target * f0
    # the trailing run of "below": reversed, a running "and" stays True until the first miss
    tail = np.logical_and.accumulate(below[..., ::-1], axis=-1).sum(axis=-1)
    return np.where(tail > 0, values.shape[-1] - tail, -1)


def best_lr_run(
    bowl: Quadratic, x0: Any, method: str, lrs: Any, steps: int, target: float
) -> tuple[float, int, np.ndarray]:
    """``method``'s best learning rate among ``lrs`` on ``bowl``, by :func:`lr_sweep`.

    Best = fewest steps to ``f < target · f(x0)``; if no learning rate gets there, the lowest
    final loss. Returns ``(lr, steps_needed, xs)``: ``steps_needed = -1`` when the target was
    not reached, ``xs`` the iterates of that run, shape ``(steps + 1, d)``.

    Defined in chapter 05 (Adaptive methods).
    """
    grid = as_float_array("lrs", lrs).reshape(-1)
    xs = lr_sweep(bowl, x0, method, grid, steps)
    fs = bowl._f(xs)
    f0 = float(fs[0, 0])
    hit = steps_to_target(fs, f0, target)
    if (hit >= 0).any():
        i = int(np.argmin(np.where(hit >= 0, hit, np.iinfo(np.int64).max)))
    else:
        i = int(np.nanargmin(np.where(np.isnan(fs[:, -1]), np.inf, fs[:, -1])))
    return float(grid[i]), int(hit[i]), xs[i]


def loss_text(f: float, target: float) -> str:
    """``f`` printed with as few significant digits (3 at least) as keep it on its side of
    ``target``: ``1.04e-06``, never ``1e-06``, for a loss just above a target of ``1e-6``.

    For the status lines and verdicts that say whether a run got below a target: a rounded
    ``1.00e-06`` beside "not reached" reads as a contradiction.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    for digits in range(3, 18):
        text = f"{f:.{digits}g}"
        shown = float(text)
        if f == target or (shown != target and (shown < target) == (f < target)):
            return text
    return repr(f)
