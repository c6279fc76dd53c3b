"""Optimizers walked on a landscape: the runs the chapters plot, race and time.

Three kinds of runner, all in the plain form of the book's update rules:

* :func:`gradient_descent`, :func:`heavy_ball` and :func:`optimizer_run` (any optimizer of
  :mod:`dlnotes.optim`) take any :class:`Landscape` and return a :class:`Run` (iterates, values,
  whether it diverged); gradient descent and the optimizers take one learning rate, one per step
  or a schedule;
* :func:`lr_sweep` runs one method on a quadratic bowl for a whole grid of learning rates at
  once (the rows of one array advance together), which is what makes it cheap to give every
  method its best learning rate (:func:`best_lr_run`, a :class:`BestRun`, by default on chapter
  05's grids :data:`SWEEP_LRS` and from its start :data:`SWEEP_X0`);
* :func:`sgd_runs` runs mini-batch SGD on a least-squares problem, many runs at once, on the
  mini-batches of :func:`minibatch_stream` (chapter 06's problem is :func:`noisy_regression`).

And what the chapters measure on a run: :func:`steps_to_target` and :func:`steps_to_stay` (the
loss below a fraction of its start, first or for good), :func:`steps_to_shrink` (the distance to
the minimizer) and :func:`first_below` (the loss below a level).

Two update rules are written here a second time, and only these two: heavy ball (one loop,
:func:`_heavy_ball_walk`, which :func:`gradient_descent` runs with ``ρ = 0``) and the methods of
:func:`lr_sweep`. Constant-step runs of both reproduce :mod:`dlnotes.optim` (``SGD``,
``SGD(momentum=ρ)``, ``Adagrad``, ``RMSprop``, ``Adam``) to rounding; they are written out because
on two-dimensional problems a loop over numpy rows is much faster than an optimizer object, and
tests tie them to the library (named in their docstrings).

Defined in chapters 02 (gradient descent), 04 (heavy ball, optimizers), 05 (the learning-rate
sweep) and 06 (schedules, mini-batch SGD).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from dlnotes._validate import NonFiniteError, as_float_array, check_scalar
from dlnotes.landscapes.surfaces import Landscape, Quadratic
from dlnotes.layers._base import seed_to_rng
from dlnotes.optim import LBFGS, Optimizer

__all__ = [
    "SWEEP_LRS",
    "SWEEP_METHODS",
    "SWEEP_X0",
    "BestRun",
    "Run",
    "best_lr_run",
    "first_below",
    "gradient_descent",
    "heavy_ball",
    "lr_sweep",
    "minibatch_stream",
    "noisy_regression",
    "optimizer_run",
    "sgd_runs",
    "steps_to_shrink",
    "steps_to_stay",
    "steps_to_target",
]

#: A learning rate for a runner: one rate, one rate per step (shape ``(steps,)``), or a schedule
#: ``lr(step)`` of the step index ``step = 0, 1, ...`` (a :class:`dlnotes.schedules.Schedule`).
Rates = float | np.ndarray | list[float] | Callable[[int], float]

#: The methods :func:`lr_sweep` knows, in the book's order.
SWEEP_METHODS = ("GD", "momentum", "AdaGrad", "RMSprop", "Adam")


def _read_only(values: np.ndarray) -> np.ndarray:
    values.setflags(write=False)
    return values


#: Chapter 05's learning-rate grid of each method of :func:`lr_sweep` (log-spaced; read-only):
#: :func:`best_lr_run` keeps the best rate of the method's grid.
SWEEP_LRS: Mapping[str, np.ndarray] = MappingProxyType(
    {
        "GD": _read_only(np.geomspace(0.5, 1.99, 8)),
        "momentum": _read_only(np.geomspace(0.05, 2.0, 9)),
        "AdaGrad": _read_only(np.geomspace(0.1, 10.0, 9)),
        "RMSprop": _read_only(np.geomspace(0.01, 1.0, 9)),
        "Adam": _read_only(np.geomspace(0.03, 3.0, 9)),
    }
)

#: Chapter 05's start ``x0`` on the axis-aligned bowl ``ill_conditioned_quadratic(κ)``. On the
#: bowl turned by ``θ``, ``ill_conditioned_quadratic(κ, theta=θ)``, the same problem starts at
#: ``rotation(θ) @ SWEEP_X0``: the start turns with the bowl.
SWEEP_X0 = (-1.0, 3.0)


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
    landscape: Landscape, x0: Any, lr: Rates, steps: int, *, blowup: float = 1e6
) -> Run:
    """Plain gradient descent ``x_{t+1} = x_t − α_t ∇f(x_t)`` from ``x0`` (shape ``(d,)``).

    ``lr`` is one rate ``α`` for every step, one rate per step (shape ``(steps,)``), or a
    schedule ``lr(step)`` called with each step index ``step = 0, ..., steps − 1`` (a
    :class:`dlnotes.schedules.Schedule`, or any callable returning a rate ``>= 0``). Stops early,
    with ``diverged=True``, once ``‖x‖`` exceeds ``blowup`` or stops being finite, so a
    too-large learning rate is reported instead of filling the plot with inf. At a constant
    ``α`` it is :func:`heavy_ball` with ``ρ = 0`` (the same iterates, bit for bit).

    Defined in chapters 02 (Conditioning and the loss landscape) and 06 (Learning-rate
    schedules).
    """
    start, steps, blowup = _start_of_run(landscape, x0, steps, blowup)
    return _heavy_ball_walk(landscape, start, _step_rates(lr, steps), 0.0, blowup)


def heavy_ball(
    landscape: Landscape, x0: Any, lr: float, rho: float, steps: int, *, blowup: float = 1e6
) -> Run:
    """Heavy ball ``v_{t+1} = ρ v_t − α ∇f(x_t)``, ``x_{t+1} = x_t + v_{t+1}``, ``v_0 = 0``.

    From ``x0`` (shape ``(d,)``); ``ρ = 0`` is gradient descent. Stops early, with
    ``diverged=True``, like :func:`gradient_descent`. At constant ``α`` these are the iterates
    of ``dlnotes.optim.SGD(lr=α, momentum=ρ)`` (whose buffer is ``−v/α``); when ``α`` changes
    the two forms part ways (chapter 04): for a schedule, run ``SGD`` itself with
    :func:`optimizer_run`.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    start, steps, blowup = _start_of_run(landscape, x0, steps, blowup)
    lr = check_scalar("lr", lr, low=0.0)
    rho = check_scalar("rho", rho, low=0.0, high=1.0, high_inclusive=False)
    return _heavy_ball_walk(landscape, start, np.full(steps, lr), rho, blowup)


def optimizer_run(
    landscape: Landscape,
    x0: Any,
    optimizer: type[Optimizer],
    lr: Rates,
    steps: int,
    *,
    blowup: float = 1e6,
    **hyperparameters: Any,
) -> Run:
    """``steps`` steps of a :mod:`dlnotes.optim` optimizer on ``landscape``, from ``x0``.

    ``optimizer`` is the class (``SGD``, ``Adam``, ...), built as
    ``optimizer([x], lr=α_0, **hyperparameters)`` on a copy ``x`` of ``x0`` (shape ``(d,)``);
    before each step ``step = 0, 1, ...`` its rate is set to that step's rate (``opt.lr``, as a
    schedule does in training) and it steps with the gradient ``∇f(x)``. ``lr`` is one rate, one
    rate per step (shape ``(steps,)``) or a schedule ``lr(step)``, as in
    :func:`gradient_descent`. So
    ``optimizer_run(bowl, x0, SGD, α, T, momentum=ρ)`` is torch's momentum
    ``b ← ρ b + g, x ← x − α_t b`` (the same iterates as :func:`heavy_ball` while ``α`` is
    constant). Stops early, with ``diverged=True``, like :func:`gradient_descent`.
    :class:`~dlnotes.optim.LBFGS` needs a closure and is not run here.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    start, steps, blowup = _start_of_run(landscape, x0, steps, blowup)
    if not (isinstance(optimizer, type) and issubclass(optimizer, Optimizer)):
        raise TypeError(
            f"optimizer must be an optimizer class of dlnotes.optim (e.g. SGD), got {optimizer!r}"
        )
    if issubclass(optimizer, LBFGS):
        raise TypeError("optimizer must step on a gradient: LBFGS needs a closure (run it itself)")
    rates = _step_rates(lr, steps)
    x = start.copy()
    opt = optimizer([x], lr=float(rates[0]) if steps else 0.0, **hyperparameters)
    xs = [x.copy()]
    diverged = False
    for rate in rates:
        opt.lr = rate
        try:
            opt.step([landscape._grad(x)])
        except NonFiniteError:  # the gradient or the update overflowed
            diverged = True
            break
        if not np.all(np.isfinite(x)) or float(np.linalg.norm(x)) > blowup:
            diverged = True
            break
        xs.append(x.copy())
    X = np.array(xs)
    return Run(X, landscape._f(X), diverged)


def _start_of_run(
    landscape: Landscape, x0: Any, steps: Any, blowup: Any
) -> tuple[np.ndarray, int, float]:
    """The checked start (a float64 copy of shape ``(d,)``), ``steps`` and ``blowup`` of a run."""
    if not isinstance(landscape, Landscape):
        raise TypeError(f"landscape must be a Landscape, got {type(landscape).__name__}")
    x = landscape._point(x0).astype(np.float64).copy()
    if x.ndim != 1:
        raise ValueError(f"x0 must have shape ({landscape.dim},), got {x.shape}")
    steps = int(check_scalar("steps", steps, low=0, integer=True))
    blowup = check_scalar("blowup", blowup, low=0.0, low_inclusive=False)
    return x, steps, blowup


def _step_rates(lr: Any, steps: int) -> np.ndarray:
    """The learning rate of each step, shape ``(steps,)``, from one rate, one rate per step or a
    schedule ``lr(step)`` (called with ``step = 0, ..., steps − 1``); every rate finite and
    ``>= 0``."""
    if callable(lr):
        scheduled = []
        for step in range(steps):
            value = lr(step)
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value.item()
            try:
                scheduled.append(check_scalar("lr", value, low=0.0))
            except (TypeError, ValueError) as err:
                raise type(err)(f"the schedule lr(step) at step = {step}: {err}") from None
        return np.array(scheduled, dtype=np.float64)
    if np.ndim(lr) == 0:
        return np.full(steps, check_scalar("lr", lr, low=0.0))
    rates = np.asarray(as_float_array("lr", lr), dtype=np.float64)
    if rates.shape != (steps,):
        raise ValueError(
            f"lr must be one learning rate, a schedule lr(step) or one rate per step (shape "
            f"({steps},)), got shape {rates.shape}"
        )
    good = np.isfinite(rates) & (rates >= 0)
    if not np.all(good):
        bad = int(np.argmin(good))
        raise ValueError(f"lr must be finite and >= 0 at every step, got lr[{bad}] = {rates[bad]}")
    return rates


def _heavy_ball_walk(
    landscape: Landscape, x: np.ndarray, rates: np.ndarray, rho: float, blowup: float
) -> Run:
    """Heavy ball ``v ← ρ v − rates[step] ∇f(x)``, ``x ← x + v`` from ``x`` (``v = 0``), one
    step per rate: the one heavy-ball loop of :mod:`dlnotes.landscapes`, run by
    :func:`heavy_ball` and, with ``ρ = 0``, by :func:`gradient_descent` (their arguments checked).

    Written here, not run through ``dlnotes.optim.SGD(momentum=ρ)``, because it is the book's
    form of chapter 04 (``SGD`` steps torch's ``b ← ρ b + g``, ``x ← x − α b``, equal at a
    constant ``α`` only to rounding, and the chapters count steps on these iterates) and because
    on a 2-D landscape a loop of numpy rows is about three times faster than an optimizer object.
    In ``tests/test_landscapes.py`` the test
    ``test_optimizer_run_sgd_momentum_is_heavy_ball_at_a_constant_rate_and_form_a_with_a_schedule``
    ties it to ``SGD``.
    """
    v = np.zeros_like(x)
    xs = [x]
    diverged = False
    for rate in rates:
        v = rho * v - rate * landscape._grad(x)
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

    Validated: ``lrs`` finite and ``>= 0``; ``rho``, ``alpha`` and each of ``betas`` (a pair
    ``(β1, β2)``) in ``[0, 1)``; ``eps >= 0``; ``steps`` an int ``>= 0``.

    These are the update rules of :mod:`dlnotes.optim` written a second time, on purpose: an
    optimizer object steps one parameter array, while here the ``n`` rows advance together, one
    numpy operation per step for the whole grid (50 rates of Adam on a 2-D bowl run about 60
    times faster than 50 :func:`optimizer_run` calls), which is what lets chapter 05's explorer
    give every method its best rate at every frame. Tests tie it to the library:
    ``test_lr_sweep_matches_the_library_optimizers`` (GD, momentum, RMSprop and Adam against
    ``SGD``, ``SGD(momentum=ρ)``, ``RMSprop`` and ``Adam``) and
    ``test_lr_sweep_adagrad_matches_the_seed_formula`` (AdaGrad against
    ``dlnotes.optim.teaching.adagrad_step``) in ``tests/test_explorers_ch05.py``, and
    ``test_optimizer_run_agrees_with_the_learning_rate_sweep`` in ``tests/test_landscapes.py``.

    Defined in chapter 05 (Adaptive methods).
    """
    # over 80 lines: 30 of them are the docstring; the sweep is one vectorized loop with one branch
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
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    beta1 = check_scalar("betas[0]", betas[0], low=0.0, high=1.0, high_inclusive=False)
    beta2 = check_scalar("betas[1]", betas[1], low=0.0, high=1.0, high_inclusive=False)
    eps = check_scalar("eps", eps, low=0.0)
    blowup = check_scalar("blowup", blowup, low=0.0, low_inclusive=False)

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


def _below_target(fs: Any, f0: float, target: float) -> np.ndarray:
    """``f_t < target · f0`` for every loss in ``fs`` (shape ``(..., T + 1)``; NaN is never below),
    after the checks :func:`steps_to_target` and :func:`steps_to_stay` share."""
    values = as_float_array("fs", fs)
    if values.ndim == 0 or values.shape[-1] == 0:
        raise ValueError(f"fs must hold at least one loss along its last axis, got {values.shape}")
    f0 = check_scalar("f0", f0, low=0.0, low_inclusive=False)
    target = check_scalar("target", target, low=0.0, low_inclusive=False)
    with np.errstate(invalid="ignore"):
        return values < target * f0


def steps_to_target(fs: Any, f0: float, target: float) -> np.ndarray:
    """The first step ``t`` with ``f_t < target · f0``, along the last axis of ``fs`` (−1: never).

    ``fs`` holds losses of shape ``(..., T + 1)`` (NaN, a diverged run, never counts); the result
    has shape ``(...)``; ``f0 > 0`` and ``target > 0``.

    Defined in chapter 05 (Adaptive methods).
    """
    hit = _below_target(fs, f0, target)
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
    below = _below_target(fs, f0, target)
    # the trailing run of "below": reversed, a running "and" stays True until the first miss
    tail = np.logical_and.accumulate(below[..., ::-1], axis=-1).sum(axis=-1)
    return np.where(tail > 0, below.shape[-1] - tail, -1)


def steps_to_shrink(xs: Any, minimizer: Any, factor: float = 1e-6) -> int:
    """The first step ``t`` with ``‖x_t − x*‖ < factor · ‖x_0 − x*‖`` along the iterates ``xs``
    (−1: never).

    ``xs`` has shape ``(T + 1, d)`` (a :class:`Run`'s ``xs``, row 0 the start; a NaN row, a
    diverged run, never counts), ``minimizer`` is ``x*`` (shape ``(d,)``, e.g.
    ``bowl.minimizer``), ``0 < factor <= 1``; the start must not be ``x*``. On a quadratic bowl
    gradient descent with its best step ``α* = 2/(L + μ)`` shrinks the distance by
    ``r* = (κ − 1)/(κ + 1)`` per step (chapter 02), so this is ``⌈ln factor / ln r*⌉``; heavy ball
    with ``(α*, ρ*)`` shrinks it about by ``√ρ*`` (chapter 04).

    Defined in chapters 02 (Conditioning and the loss landscape) and 04 (Momentum and Nesterov).
    """
    X = as_float_array("xs", xs, ndim=2)
    if X.shape[0] == 0:
        raise ValueError("xs must hold at least the start x_0, got no iterate")
    x_star = as_float_array("minimizer", minimizer, shape=(X.shape[1],))
    if not np.all(np.isfinite(x_star)):
        raise ValueError(f"minimizer must be finite, got {x_star.tolist()}")
    factor = check_scalar("factor", factor, low=0.0, high=1.0, low_inclusive=False)
    if not np.all(np.isfinite(X[0])):
        raise ValueError(f"xs[0], the start, must be finite, got {X[0].tolist()}")
    dist = np.linalg.norm(X - x_star, axis=1)
    if not dist[0] > 0:
        raise ValueError(
            f"xs[0] must not be the minimizer: ‖x_0 − x*‖ = {dist[0]:g}, so there is no "
            "distance to shrink; start the run elsewhere"
        )
    return int(steps_to_target(dist, float(dist[0]), factor))


def first_below(fs: Any, level: float) -> int | None:
    """The first step ``t`` with ``f_t < level`` along the losses ``fs`` (shape ``(T + 1,)``), or
    None when ``f`` never gets below ``level`` (NaN, a diverged run, never counts).

    ``level`` is a loss, any finite number: chapters 02 and 04 time the escape from the saddle
    ``f(x, y) = ½ x² − ½ y² + ¼ y⁴`` as the first step with ``f < −0.2``, well past the saddle's
    value 0 (the minimum is ``−¼``). Where :func:`steps_to_target` counts from a fraction of
    ``f_0`` for many runs at once and says −1 for never, this takes one run and a level of any
    sign, and says None, which reads as "never" in a printed table.

    Defined in chapters 02 (Conditioning and the loss landscape) and 04 (Momentum and Nesterov).
    """
    values = as_float_array("fs", fs, ndim=1)
    if values.size == 0:
        raise ValueError("fs must hold at least one loss, got []")
    level = check_scalar("level", level)
    with np.errstate(invalid="ignore"):
        below = np.flatnonzero(values < level)
    return int(below[0]) if below.size else None


class BestRun(NamedTuple):
    """The best run of a learning-rate sweep (:func:`best_lr_run`): ``lr``, the learning rate;
    ``steps_to_target``, the first step ``t`` with ``f(x_t) < target · f(x_0)`` (−1: never); and
    ``run``, that :class:`Run`.

    A named tuple, so ``lr, hit, run = best_lr_run(...)`` unpacks it.

    Defined in chapter 05 (Adaptive methods).
    """

    lr: float
    steps_to_target: int
    run: Run


def best_lr_run(
    bowl: Quadratic,
    x0: Any,
    method: str,
    lrs: Any = None,
    steps: int = 400,
    target: float = 1e-6,
) -> BestRun:
    """``method``'s best learning rate among ``lrs`` on ``bowl``, by :func:`lr_sweep`.

    ``lrs`` (shape ``(n,)``) defaults to the chapter's grid of the method,
    ``SWEEP_LRS[method]``; ``x0`` has shape ``(d,)``. Best = fewest steps to
    ``f(x_t) − f* < target · (f(x0) − f*)``, with ``f* = bowl.f_min`` (0 for a bowl with no
    minimum), so ``x0`` must not be the minimizer; if no learning rate gets there, the lowest
    final loss. Returns a :class:`BestRun`: the rate, its steps to the target (−1 when not
    reached within ``steps``) and its :class:`Run` (``xs`` of shape ``(steps + 1, d)``, shorter
    if that run diverged, as in :func:`gradient_descent`). The first dip is not the end of the
    story: at their best rates momentum, RMSProp and Adam can climb back above the target later
    (:func:`steps_to_stay` tells when a run stays below).

    Defined in chapter 05 (Adaptive methods).
    """
    if method not in SWEEP_METHODS:
        raise ValueError(f"method must be one of {SWEEP_METHODS}, got {method!r}")
    grid = as_float_array("lrs", SWEEP_LRS[method] if lrs is None else lrs).reshape(-1)
    xs = lr_sweep(bowl, x0, method, grid, steps)
    # the excess loss f - f* (f itself on a bowl with f* = 0, and on one with no minimum)
    fs = bowl._f(xs) - (bowl.f_min if math.isfinite(bowl.f_min) else 0.0)
    f0 = float(fs[0, 0])
    if not f0 > 0:
        raise ValueError(
            f"x0 must not be the bowl's minimizer: f(x0) - f* = {f0:g}, so no step can bring "
            "the loss closer to the minimum"
        )
    hit = steps_to_target(fs, f0, target)
    if (hit >= 0).any():
        i = int(np.argmin(np.where(hit >= 0, hit, np.iinfo(np.int64).max)))
    else:
        i = int(np.nanargmin(np.where(np.isnan(fs[:, -1]), np.inf, fs[:, -1])))
    # lr_sweep's rows are NaN from the first iterate that left the ball on: a Run stops before it
    finite = int(np.sum(~np.isnan(xs[i]).any(axis=1)))
    run = Run(xs[i][:finite], bowl._f(xs[i][:finite]), diverged=finite < len(xs[i]))
    return BestRun(float(grid[i]), int(hit[i]), run)


def noisy_regression(seed: int | np.random.Generator | None = 0) -> dict[str, Any]:
    """Chapter 06's least-squares problem ``f(w) = (1/2N) ‖X w − y‖²``, with mini-batch noise.

    ``X`` of shape ``(N, d) = (1000, 10)`` has independent Gaussian columns with variances
    spread geometrically from 1 to 0.05 (so the Hessian ``H = XᵀX/N`` has κ ≈ 20), and
    ``y = X w_true + 0.5 · noise`` (``w_true`` and the noise standard normal). Returns a dict
    with ``X``, ``y``, ``H``, ``w_star`` (the least-squares solution ``H⁻¹ Xᵀy/N``), ``f_star``,
    ``sigma2`` (the mean squared residual at ``w_star``, ``2 f_star``) and ``batch_size``
    (``B = 8``): the problem :func:`minibatch_stream` draws mini-batches of and
    :func:`sgd_runs` runs SGD on. ``seed`` is an int >= 0 (the same problem every time), a
    Generator or None.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    n, d, batch_size, noise = 1000, 10, 8, 0.5
    rng = seed_to_rng(seed)
    scales = np.sqrt(np.geomspace(1.0, 0.05, d))
    X = rng.standard_normal((n, d)) * scales
    w_true = rng.standard_normal(d)
    y = X @ w_true + noise * rng.standard_normal(n)
    H = X.T @ X / n
    w_star = np.linalg.solve(H, X.T @ y / n)
    residual = X @ w_star - y
    return {
        "X": X,
        "y": y,
        "H": H,
        "w_star": w_star,
        "f_star": 0.5 * float(np.mean(residual**2)),
        "sigma2": float(np.mean(residual**2)),
        "batch_size": batch_size,
    }


#: The keys of a least-squares problem that :func:`minibatch_stream` and :func:`sgd_runs` read.
_PROBLEM_KEYS = ("X", "y", "batch_size", "H", "w_star")


def _least_squares(problem: Any) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """``X (N, d), y (N,), B, H (d, d), w* (d,)`` of ``problem``, checked."""
    if not isinstance(problem, Mapping):
        raise TypeError(
            f"problem must be a mapping with the keys {_PROBLEM_KEYS} (noisy_regression(), "
            f"chapter 06's problem, returns one), got {type(problem).__name__}"
        )
    missing = [key for key in _PROBLEM_KEYS if key not in problem]
    if missing:
        raise ValueError(f"problem lacks the keys {missing} of a least-squares problem")
    X = as_float_array("problem['X']", problem["X"], ndim=2)
    n, d = X.shape
    y = as_float_array("problem['y']", problem["y"], shape=(n,))
    B = int(check_scalar("problem['batch_size']", problem["batch_size"], low=1, integer=True))
    H = as_float_array("problem['H']", problem["H"], shape=(d, d))
    w_star = as_float_array("problem['w_star']", problem["w_star"], shape=(d,))
    return X, y, B, H, w_star


def minibatch_stream(
    problem: Mapping[str, Any],
    steps: int,
    runs: int = 8,
    seed: int | np.random.Generator | None = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """The mini-batches of ``runs`` SGD runs of ``steps`` steps, as the moments they contribute.

    ``problem`` is least squares ``f(w) = (1/2N) ‖X w − y‖²`` given as a mapping with the
    data ``"X"`` (shape ``(N, d)``) and ``"y"`` (``(N,)``), the ``"batch_size"`` ``B``, the
    Hessian ``"H" = XᵀX/N`` and the minimizer ``"w_star"`` (chapter 06's
    :func:`noisy_regression` builds one). Step ``t`` of run ``r``
    draws ``B`` examples with replacement; its gradient at ``w`` is ``A[t, r] w − b[t, r]`` with
    ``A = (1/B) Σ_b x_b x_bᵀ`` (shape ``(steps, runs, d, d)``) and ``b = (1/B) Σ_b y_b x_b``
    (shape ``(steps, runs, d)``). Reusing one stream for several schedules compares them on the
    same noise. ``seed`` is an int >= 0, a Generator or None.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    X, y, B, _, _ = _least_squares(problem)
    steps = int(check_scalar("steps", steps, low=0, integer=True))
    runs = int(check_scalar("runs", runs, low=1, integer=True))
    rng = seed_to_rng(seed)
    idx = rng.integers(0, len(X), (steps, runs, B))
    Xb, yb = X[idx], y[idx]  # (steps, runs, B, d), (steps, runs, B)
    A = np.einsum("trbi,trbj->trij", Xb, Xb) / B
    b = np.einsum("trbi,trb->tri", Xb, yb) / B
    return A, b


def sgd_runs(
    problem: Mapping[str, Any],
    lrs: Any,
    runs: int = 8,
    seed: int = 1,
    stream: tuple[np.ndarray, np.ndarray] | None = None,
    w0: Any = None,
) -> np.ndarray:
    """``runs`` independent mini-batch SGD runs on a least-squares ``problem`` (as in
    :func:`minibatch_stream`), from ``w0`` (shape ``(d,)``, default 0), rate ``lrs[step]`` at
    step ``step`` (counted from 0).

    Each step draws ``B`` examples with replacement and applies
    ``w ← w − α_t · (1/B) Σ_b x_b (x_bᵀ w − y_b)`` (the batches come from
    :func:`minibatch_stream` with ``seed``, or from ``stream``). ``lrs`` has shape ``(T,)``.
    Returns the excess loss ``f(w_t) − f* = ½ (w_t − w*)ᵀ H (w_t − w*)`` after every step, shape
    ``(T, runs)``; ``inf`` in every run from the first step where one blew up (a coordinate of
    ``w`` reached ``10⁴`` in absolute value; checked every 50 steps).

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    _, _, _, H, w_star = _least_squares(problem)
    d = len(w_star)
    lrs = np.asarray(as_float_array("lrs", lrs, ndim=1), dtype=np.float64)
    good = np.isfinite(lrs) & (lrs >= 0)
    if not np.all(good):
        bad = int(np.argmin(good))
        raise ValueError(f"lrs must be finite learning rates >= 0, got lrs[{bad}] = {lrs[bad]}")
    if stream is None:
        A, b = minibatch_stream(problem, len(lrs), runs, seed)
    else:
        A, b = (np.asarray(part) for part in stream)
        if A.ndim != 4 or A.shape[2:] != (d, d) or b.shape != A.shape[:3]:
            raise ValueError(
                f"stream must be minibatch_stream's (A, b) of shapes (T, runs, {d}, {d}) and "
                f"(T, runs, {d}), got {A.shape} and {b.shape}"
            )
    if A.shape[0] < len(lrs):
        raise ValueError(f"stream has {A.shape[0]} steps, lrs asks for {len(lrs)}")
    runs = A.shape[1]
    Ws = np.zeros((len(lrs) + 1, runs, d, 1))  # Ws[step + 1] = w after step (column vectors)
    if w0 is not None:
        Ws[0] = as_float_array("w0", w0, shape=(d,)).reshape(1, d, 1)
    b_col = b[..., None]
    for step, lr in enumerate(lrs):
        Ws[step + 1] = Ws[step] - lr * (A[step] @ Ws[step] - b_col[step])
        if step % 50 == 49 and not np.all(np.abs(Ws[step + 1]) < 1e4):  # blew up: stop
            break
    blown = ~np.all(np.abs(Ws[1:]) < 1e4, axis=(1, 2, 3))  # also True for the steps not run
    if blown.any():
        Ws[1 + int(np.argmax(blown)) :] = np.nan
    E = Ws[1:, :, :, 0] - w_star
    excess = 0.5 * np.einsum("tri,ij,trj->tr", E, H, E)
    return np.where(np.isnan(excess), np.inf, excess)


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
