"""Learning-rate schedules as plain functions of the step.

Each factory returns a :class:`Schedule`, a callable ``schedule(step)`` giving the learning rate
at the step index ``step``. It works on a single step (returns a float) and on an array of steps
(returns an array), so a chapter can plot ``schedule(np.arange(100))``.

**Step indexing.** A schedule counts from ``step = 0``, the index of the first update; the
optimizer counts its updates from ``t = 1`` (:attr:`dlnotes.optim.Optimizer.t`, the ``t`` of
Adam's bias correction), so update number ``t`` uses ``schedule(step = t - 1)``. The book writes
the schedule's rate :math:`\alpha_t` with its index from 0, as torch does: after ``step`` calls
of ``scheduler.step()`` the optimizer's learning rate is ``schedule(step)``. The loop::

    for step in range(num_steps):
        apply_schedule(opt, schedule, step)     # opt.lr = schedule(step)
        opt.step(grads(step))                   # now opt.t == step + 1

gives the same learning rates as torch's ``opt.step(); scheduler.step()`` loop with

=====================================  ==================================================
here                                   torch.optim.lr_scheduler
=====================================  ==================================================
``constant(lr0)``                       (no scheduler)
``step_decay(lr0, step_size, gamma)``  ``StepLR(step_size, gamma)``
``multistep(lr0, milestones, gamma)``  ``MultiStepLR(milestones, gamma)``
``exponential(lr0, k)``                ``ExponentialLR(gamma=exp(-k))``
``inverse_time(lr0, k)``               ``LambdaLR(lambda step: 1 / (1 + k * step))``
``cosine(lr0, T, lr_min)``             ``CosineAnnealingLR(T_max=T, eta_min=lr_min)``, step <= T
``cosine_restarts(lr0, T, lr_min)``    ``CosineAnnealingWarmRestarts(T_0=T, eta_min=lr_min)``
``triangular(lr_min, lr_max, h)``      ``CyclicLR(lr_min, lr_max, step_size_up=h)``
``linear_warmup(s, W, start_factor)``  ``SequentialLR([LinearLR(start_factor, total_iters=W),
                                       s], milestones=[W])`` if ``start_factor > 0``
``sequential([s1, s2], [m])``          ``SequentialLR([s1, s2], milestones=[m])``
=====================================  ==================================================

(``lr0`` is the optimizer's initial ``lr`` in torch.) After ``T`` steps ``cosine`` stays at
``lr_min``, whereas torch's ``CosineAnnealingLR`` climbs back up. torch's ``LinearLR`` needs
``start_factor > 0`` (``start_factor=0.0`` raises ``ValueError``), so the default warm-up from 0
is only approximated with ``LinearLR(start_factor=1e-8, ...)``; it is exact with
``LambdaLR(lambda step: step / W)`` in place of ``LinearLR``.

Defined in chapter 06 (Learning-rate schedules and second-order methods).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np

from dlnotes._validate import check_scalar, is_real

__all__ = [
    "Schedule",
    "apply_schedule",
    "constant",
    "cosine",
    "cosine_restarts",
    "exponential",
    "inverse_time",
    "linear_warmup",
    "lr_range_test",
    "multistep",
    "sequential",
    "step_decay",
    "triangular",
]


class Schedule:
    """A learning rate as a function of the step index ``step`` (``step = 0`` is the first step).

    ``schedule(step)`` accepts an int/float (returns a float) or an array of steps (returns a
    float64 array of the same shape). Steps must be real (not bool) and ``>= 0``. Build schedules
    with the factories of this module, or wrap a vectorised ``rule(t_array) -> lr_array``; the
    rates it returns must be finite and ``>= 0`` (a negative rate would climb the loss), else
    ``schedule(step)`` raises ``ValueError`` naming the schedule and the step.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """

    def __init__(self, rule: Callable[[np.ndarray], np.ndarray], description: str) -> None:
        if not callable(rule):
            raise TypeError(
                f"rule must be a function of the steps, rule(t_array) -> lr_array, got {rule!r}"
            )
        if not isinstance(description, str):
            raise TypeError(f"description must be a str, got {description!r}")
        self.rule = rule
        self.description = description

    @overload
    def __call__(self, step: int | float) -> float: ...

    @overload
    def __call__(self, step: np.ndarray | Sequence[Any]) -> np.ndarray: ...

    def __call__(self, step: Any) -> float | np.ndarray:
        steps = np.asarray(step)
        if steps.dtype.kind == "O" and isinstance(step, int) and not isinstance(step, bool):
            raise ValueError(  # beyond int64: np.asarray made an object array
                f"step must be an integer from 0 to {np.iinfo(np.int64).max} (or a float), "
                f"got {step}"
            )
        if steps.dtype.kind not in "iuf":  # a bool is no step index (True would be step 1)
            raise TypeError(f"step must be a step index or an array of them, got {step!r}")
        steps = steps.astype(np.float64)
        if steps.size and not (np.all(np.isfinite(steps)) and np.min(steps) >= 0):
            bad = steps[~(np.isfinite(steps) & (steps >= 0))].flat[0]
            raise ValueError(f"step must be >= 0 and finite (the first step is 0), got {bad}")
        lr = _rates("rule", self.rule, steps)
        if not (np.all(np.isfinite(lr)) and np.all(lr >= 0)):
            raise _named(self._bad_rate(lr, steps))
        lr = np.broadcast_to(lr, steps.shape)
        return float(lr) if lr.ndim == 0 else np.array(lr)

    def _bad_rate(self, lr: np.ndarray, steps: np.ndarray) -> ValueError:
        """The error for a rule that returned a negative, infinite or NaN rate."""
        bad = ~(np.isfinite(lr) & (lr >= 0))
        first = tuple(int(k) for k in np.argwhere(bad)[0]) if lr.ndim else ()
        at_step = steps[first] if lr.ndim else steps.flat[0] if steps.size == 1 else None
        when = f" at step {at_step:g}" if at_step is not None else ""
        return ValueError(
            f"schedule {self.description} returned the learning rate {lr[first]}{when}: a "
            "learning rate must be finite and >= 0 (check the schedule's rule)"
        )

    def __repr__(self) -> str:
        return self.description


def _rates(name: str, rule: Callable[[Any], Any], steps: np.ndarray) -> np.ndarray:
    """``rule(steps)`` as float64 rates: one per step (``steps``' shape) or one for all (0-d).

    ``name`` names the rule in the errors: a rule that fails on an array of steps but works on
    one step (``lambda t: 0.1 if t < 5 else 0.01``), one returning complex numbers, strings or
    the wrong shape is refused rather than broadcast or cast.
    """
    try:
        out = rule(steps)
    except (TypeError, ValueError) as err:
        if (
            getattr(err, "_dlnotes_rule", False)  # an inner rule's error, already named
            or steps.ndim == 0
            or isinstance(rule, Schedule)
            or not _works_on_one_step(rule, steps)
        ):
            raise
        raise _named(
            TypeError(
                f"{name} must accept an array of steps and return one rate per step (write it "
                "with numpy, e.g. np.where(t < 5, 0.1, 0.01) instead of 0.1 if t < 5 else "
                "0.01, or use the factories of dlnotes.schedules); called on an array of steps "
                f"it raised {type(err).__name__}: {err}"
            )
        ) from err
    values = np.asarray(out)
    if values.dtype.kind not in "iuf":
        got = repr(out) if values.ndim == 0 else f"an array of dtype {values.dtype}"
        raise _named(TypeError(f"{name} must return real learning rates, got {got}"))
    lr = np.asarray(out, dtype=np.float64)
    if lr.shape not in ((), steps.shape):
        raise _named(
            ValueError(
                f"{name} must return one rate per step (shape {steps.shape}) or a single rate, "
                f"got shape {lr.shape}"
            )
        )
    return lr


def _named(err: Exception) -> Exception:
    """Mark ``err`` as naming a rule already (an enclosing schedule passes it on as it is)."""
    err._dlnotes_rule = True  # type: ignore[attr-defined]
    return err


def _works_on_one_step(rule: Callable[[Any], Any], steps: np.ndarray) -> bool:
    try:
        rule(steps.flat[0])
    except Exception:
        return False
    return True


def _lr(name: str, value: Any) -> float:
    return check_scalar(name, value, low=0.0)


def _lr_min(lr_min: Any, lr0: float) -> float:
    """The floor of an annealing schedule: a rate in ``[0, lr0]`` (as :func:`triangular`
    refuses ``lr_max < lr_min``)."""
    lr_min = _lr("lr_min", lr_min)
    if lr_min > lr0:
        raise ValueError(f"lr_min must be <= lr0 = {lr0} (the rate anneals down), got {lr_min}")
    return lr_min


def _positive_int(name: str, value: Any) -> int:
    return int(check_scalar(name, value, low=1, integer=True))


def constant(lr0: float) -> Schedule:
    """``lr(step) = lr0``.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr0 = _lr("lr0", lr0)
    return Schedule(lambda step: np.full_like(step, lr0), f"constant(lr0={lr0})")


def step_decay(lr0: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """``lr(step) = lr0 * gamma ** floor(step / step_size)``: divide by ``1/gamma`` every
    ``step_size`` steps.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr0 = _lr("lr0", lr0)
    step_size = _positive_int("step_size", step_size)
    gamma = check_scalar("gamma", gamma, low=0.0, high=1.0)
    return Schedule(
        lambda step: lr0 * gamma ** np.floor(step / step_size),
        f"step_decay(lr0={lr0}, step_size={step_size}, gamma={gamma})",
    )


def multistep(lr0: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """``lr(step) = lr0 * gamma ** (number of milestones <= step)``; milestones strictly
    increasing.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr0 = _lr("lr0", lr0)
    marks = _milestones(milestones)
    gamma = check_scalar("gamma", gamma, low=0.0, high=1.0)
    bounds = np.array(marks, dtype=np.float64)
    return Schedule(
        lambda step: lr0 * gamma ** np.searchsorted(bounds, step, side="right"),
        f"multistep(lr0={lr0}, milestones={marks}, gamma={gamma})",
    )


def exponential(lr0: float, k: float) -> Schedule:
    """``lr(step) = lr0 * exp(-k step)`` (torch's ``ExponentialLR`` with ``gamma = exp(-k)``).

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr0 = _lr("lr0", lr0)
    k = check_scalar("k", k, low=0.0)
    return Schedule(lambda step: lr0 * np.exp(-k * step), f"exponential(lr0={lr0}, k={k})")


def inverse_time(lr0: float, k: float) -> Schedule:
    """``lr(step) = lr0 / (1 + k step)`` (the 1/t decay of stochastic approximation).

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr0 = _lr("lr0", lr0)
    k = check_scalar("k", k, low=0.0)
    return Schedule(lambda step: lr0 / (1.0 + k * step), f"inverse_time(lr0={lr0}, k={k})")


def cosine(lr0: float, total_steps: int, lr_min: float = 0.0) -> Schedule:
    """Cosine annealing from ``lr0`` at ``step = 0`` to ``lr_min`` at ``step = total_steps``::

        lr(step) = lr_min + (lr0 - lr_min) * (1 + cos(pi * step / total_steps)) / 2
                                                        for step <= total_steps
        lr(step) = lr_min                               for step >  total_steps

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr0 = _lr("lr0", lr0)
    total_steps = _positive_int("total_steps", total_steps)
    lr_min = _lr_min(lr_min, lr0)

    def rule(step: np.ndarray) -> np.ndarray:
        fraction = np.minimum(step, total_steps) / total_steps
        return lr_min + (lr0 - lr_min) * (1.0 + np.cos(np.pi * fraction)) / 2.0

    return Schedule(rule, f"cosine(lr0={lr0}, total_steps={total_steps}, lr_min={lr_min})")


def cosine_restarts(lr0: float, period: int, lr_min: float = 0.0) -> Schedule:
    """Cosine annealing restarted every ``period`` steps (SGDR; snapshot ensembles)::

        lr(step) = lr_min + (lr0 - lr_min) * (1 + cos(pi * (step mod period) / period)) / 2

    Defined in chapter 14 (Ensembles and weight averaging).
    """
    lr0 = _lr("lr0", lr0)
    period = _positive_int("period", period)
    lr_min = _lr_min(lr_min, lr0)

    def rule(step: np.ndarray) -> np.ndarray:
        return lr_min + (lr0 - lr_min) * (1.0 + np.cos(np.pi * np.mod(step, period) / period)) / 2.0

    return Schedule(rule, f"cosine_restarts(lr0={lr0}, period={period}, lr_min={lr_min})")


def triangular(lr_min: float, lr_max: float, half_cycle: int) -> Schedule:
    """Cyclic triangular schedule (Smith 2017): up from ``lr_min`` to ``lr_max`` in
    ``half_cycle`` steps, back down in as many, and again::

        cycle_position = (step mod 2h) / h     in [0, 2)
        lr(step) = lr_min + (lr_max - lr_min) * (1 - |cycle_position - 1|)

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr_min = _lr("lr_min", lr_min)
    lr_max = _lr("lr_max", lr_max)
    if lr_max < lr_min:
        raise ValueError(f"lr_max must be >= lr_min = {lr_min}, got {lr_max}")
    h = _positive_int("half_cycle", half_cycle)

    def rule(step: np.ndarray) -> np.ndarray:
        position = np.mod(step, 2 * h) / h
        return lr_min + (lr_max - lr_min) * (1.0 - np.abs(position - 1.0))

    return Schedule(rule, f"triangular(lr_min={lr_min}, lr_max={lr_max}, half_cycle={h})")


def lr_range_test(lr_start: float, lr_end: float, num_steps: int) -> Schedule:
    """Exponential ramp for the learning-rate range test, ``lr_start`` at ``step = 0`` up to
    ``lr_end > lr_start`` at ``step = num_steps - 1``, then ``lr_end`` (the test is over)::

        lr(step) = lr_start * (lr_end / lr_start) ** (min(step, num_steps - 1) / (num_steps - 1))

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lr_start = check_scalar("lr_start", lr_start, low=0.0, low_inclusive=False)
    lr_end = check_scalar("lr_end", lr_end, low=0.0, low_inclusive=False)
    if lr_end <= lr_start:
        raise ValueError(
            f"lr_end must be > lr_start = {lr_start} (the range test ramps the rate up until the "
            f"loss blows up), got {lr_end}"
        )
    n = int(check_scalar("num_steps", num_steps, low=2, integer=True))
    ratio = lr_end / lr_start
    return Schedule(
        lambda step: lr_start * ratio ** (np.minimum(step, n - 1) / (n - 1)),
        f"lr_range_test(lr_start={lr_start}, lr_end={lr_end}, num_steps={n})",
    )


def linear_warmup(
    schedule: Schedule | Callable[[Any], Any], warmup_steps: int, start_factor: float = 0.0
) -> Schedule:
    """Linear warm-up for ``W = warmup_steps`` steps, then ``schedule`` restarted at 0::

        lr(step) = schedule(0) * (start_factor + (1 - start_factor) * step / W),  step < W
        lr(step) = schedule(step - W),                                            step >= W

    ``start_factor`` in [0, 1] is the fraction of the base rate used at ``step = 0``.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be callable (a Schedule), got {type(schedule).__name__}")
    w = _positive_int("warmup_steps", warmup_steps)
    start_factor = check_scalar("start_factor", start_factor, low=0.0, high=1.0)
    first = schedule(0)
    if isinstance(first, np.ndarray) and first.ndim == 0:
        first = first.item()
    base0 = float(check_scalar("schedule(0)", first, low=0.0))

    def rule(step: np.ndarray) -> np.ndarray:
        ramp = base0 * (start_factor + (1.0 - start_factor) * step / w)
        after = _rates("schedule", schedule, np.maximum(step - w, 0.0))
        return np.where(step < w, ramp, after)

    return Schedule(
        rule, f"linear_warmup({schedule!r}, warmup_steps={w}, start_factor={start_factor})"
    )


def sequential(
    schedules: Sequence[Schedule | Callable[[Any], Any]], milestones: Sequence[int]
) -> Schedule:
    """Chain schedules by step ranges: ``schedules[i]`` runs on ``[milestones[i-1], milestones[i])``
    with its own clock restarted at 0 (``lr(step) = schedules[i](step - milestones[i-1])``).

    ``len(milestones) == len(schedules) - 1``, strictly increasing positive steps.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    parts = list(schedules)
    if not parts or not all(callable(s) for s in parts):
        raise TypeError(f"schedules must be a non-empty list of schedules, got {schedules!r}")
    marks = _milestones(milestones)
    if len(marks) != len(parts) - 1:
        raise ValueError(
            f"milestones must have len(schedules) - 1 = {len(parts) - 1} entries, got {len(marks)}"
        )
    starts = np.array([0, *marks], dtype=np.float64)

    def rule(step: np.ndarray) -> np.ndarray:
        which = np.searchsorted(starts, step, side="right") - 1
        out = np.empty_like(step)
        for i, part in enumerate(parts):
            here = which == i
            if np.any(here):
                out[here] = _rates(f"schedules[{i}]", part, step[here] - starts[i])
        return out

    return Schedule(rule, f"sequential({parts!r}, milestones={marks})")


def apply_schedule(optimizer: Any, schedule: Schedule | Callable[[Any], Any], step: int) -> float:
    """Set ``optimizer.lr = schedule(step)`` before the step with index ``step`` (one integer
    >= 0); return that rate.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    if not hasattr(optimizer, "lr"):
        raise TypeError(
            "optimizer must be an optimizer with a learning rate lr (dlnotes.optim), got "
            f"{type(optimizer).__name__}"
        )
    if not callable(schedule):
        raise TypeError(f"schedule must be callable (a Schedule), got {type(schedule).__name__}")
    step = int(check_scalar("step", step, low=0, integer=True))
    value = schedule(step)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not is_real(value):
        raise TypeError(
            f"schedule must return one learning rate (a real number) for a step, got "
            f"schedule({step}) = {value!r}"
        )
    lr = float(value)
    optimizer.lr = lr
    return lr


def _milestones(milestones: Any) -> list[int]:
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, (Sequence, np.ndarray)):
        raise TypeError(f"milestones must be a list of step numbers, got {milestones!r}")
    marks = [
        int(check_scalar(f"milestones[{i}]", m, low=1, integer=True))
        for i, m in enumerate(milestones)
    ]
    if any(b <= a for a, b in itertools.pairwise(marks)):
        raise ValueError(f"milestones must be strictly increasing, got {marks}")
    return marks
