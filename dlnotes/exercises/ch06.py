"""Exercises of chapter 06 (Learning-rate schedules and second-order methods).

* ``ch06_step_decay``: ``step_decay(step, lr0, step_size, gamma)``, the learning rate of a
  step schedule at the step index ``step`` (from 0, as in :mod:`dlnotes.schedules`);
* ``ch06_cosine_lr``: ``cosine_lr(step, lr_max, lr_min, total_steps, warmup_steps)``, linear
  warm-up then cosine annealing, clamped after the end;
* ``ch06_newton_step``: ``newton_step(g, H, x)``, one step of Newton's method.

Each exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call.

Defined in chapter 06 (Learning-rate schedules and second-order methods).
"""

from __future__ import annotations

import math

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch06_step_decay
# ============================================================================================


def step_decay(step: int, lr0: float, step_size: int, gamma: float) -> float:
    """The step schedule ``lr(step) = lr0 · gamma^floor(step / step_size)``, ``step >= 0``.

    The first step is ``step = 0``; the rate is multiplied by ``gamma`` after every ``step_size``
    steps, so steps ``0 .. step_size - 1`` use ``lr0``. Returns a float.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    return float(lr0 * gamma ** (step // step_size))


#: The common mistakes of ``ch06_step_decay``, each declared on its wrong code.
step_decay_mistakes = Mistakes()


@step_decay_mistakes.add(
    "continuous exponent",
    "gamma ** (step / step_size) decays a little at every step (that is exponential "
    "decay); a step schedule stays flat inside each block: use the integer division "
    "step // step_size.",
)
def _step_continuous(step, lr0, step_size, gamma):
    return float(lr0 * gamma ** (step / step_size))


@step_decay_mistakes.add(
    "one step too early",
    "your rate drops at step = step_size - 1; steps 0 .. step_size - 1 (step_size "
    "steps) must all use lr0, so the exponent is step // step_size, not "
    "(step + 1) // step_size.",
)
def _step_one_too_early(step, lr0, step_size, gamma):
    return float(lr0 * gamma ** ((step + 1) // step_size))


@step_decay_mistakes.add(
    "decays from the start",
    "at step = 0 the rate must be lr0 itself: the exponent step // step_size is 0 there "
    "(yours adds 1).",
)
def _step_decays_at_start(step, lr0, step_size, gamma):
    return float(lr0 * gamma ** (step // step_size + 1))


@step_decay_mistakes.add(
    "subtracts instead of multiplying",
    "gamma is a factor: each drop multiplies the rate by gamma (lr0 · gamma^k), it "
    "does not subtract gamma.",
)
def _step_subtracts(step, lr0, step_size, gamma):
    return float(lr0 - gamma * (step // step_size))


@step_decay_mistakes.add(
    "rounded instead of floored",
    "round(step / step_size) counts a block as done once you are past its middle, so the "
    "rate drops halfway through the block. Only full blocks count: floor division "
    "step // step_size.",
)
def _step_rounded(step, lr0, step_size, gamma):
    return float(lr0 * gamma ** round(step / step_size))


@step_decay_mistakes.add(
    "one step too late",
    "step counts from 0, so the first drop is at step = step_size itself; "
    "(step − 1) // step_size drops one step late (and at step = 0 gives an exponent of −1). "
    "Use step // step_size.",
)
def _step_one_too_late(step, lr0, step_size, gamma):
    return float(lr0 * gamma ** ((step - 1) // step_size))


@step_decay_mistakes.add(
    "decays at every step",
    "gamma ** step multiplies by gamma at every step; a step schedule multiplies by gamma "
    "once per block of step_size steps: gamma ** (step // step_size).",
)
def _step_every_step(step, lr0, step_size, gamma):
    return float(lr0 * gamma**step)


@step_decay_mistakes.add(
    "ceil instead of floor",
    "math.ceil(step / step_size) counts a block as done as soon as it has begun, so the rate "
    "drops at step = 1 instead of step = step_size. Only full blocks count: round the number "
    "of blocks down, with floor division.",
)
def _step_ceil(step, lr0, step_size, gamma):
    return float(lr0 * gamma ** math.ceil(step / step_size))


@step_decay_mistakes.add(
    "gamma multiplied by the number of drops",
    "gamma * (step // step_size) multiplies gamma by the count of drops (0 in the first "
    "block, so your rate starts at 0); each drop multiplies the rate by gamma once more, "
    "so the count of drops is gamma's exponent: raise gamma to it with **.",
)
def _step_times_count(step, lr0, step_size, gamma):
    return float(lr0 * gamma * (step // step_size))


def _step_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    lr0 = float(np.round(rng.uniform(0.05, 0.9), 3))
    gamma = float(np.round(rng.uniform(0.2, 0.6), 2))
    if not hidden:
        calls = [(0, lr0, 30, gamma), (29, lr0, 30, gamma), (30, lr0, 30, gamma)]
        calls += [(95, lr0, 30, gamma), (13, 0.37, 7, 0.5), (250, 1.3, 100, 0.1)]
        # past the middle of a block: round(step / step_size) already counts the block as done
        calls += [(20, lr0, 30, gamma)]
    else:
        calls = [(step, lr0, 25, gamma) for step in (0, 24, 25, 26, 74, 75, 333)]
        calls += [(6, 0.45, 7, 0.3), (7, 0.45, 7, 0.3), (1234, 2.0, 300, 0.5), (16, 0.8, 25, 0.4)]
    return [
        Case(f"step = {step}, lr0 = {lr}, step_size = {size}, gamma = {g}", (step, lr, size, g))
        for step, lr, size, g in calls
    ]


@step_decay_mistakes.add(
    "the rate cut to a whole number",
    "int(...) truncates towards 0, and so does // applied to the rate: a learning rate such as "
    "0.05 becomes 0. Only the number of decays, step // step_size, is a whole number: "
    "lr0 * gamma ** (step // step_size), with the parentheses (without them, "
    "lr0 * gamma ** step // step_size is floor(lr0 · gamma^step / step_size): * and // run "
    "left to right).",
)
def _sd_int(step, lr0, step_size, gamma):
    return float(int(lr0 * gamma ** (step // step_size)))


#: What a schedule that returns its rate in a one-element array is told (both schedules).
_ONE_ELEMENT_HINT = (
    "your rate is right, but it comes in a numpy array of shape (1,) (from np.array([...]), "
    "or a list or a slice somewhere in the formula): a learning rate is one number. Return a "
    "float, e.g. lr.item() or float(lr[0]) (an array of shape (1,) prints as [0.1], "
    'and f"{lr:.3f}" fails on it).'
)


@step_decay_mistakes.add("the rate in a one-element array", _ONE_ELEMENT_HINT)
def _sd_one_element_array(step, lr0, step_size, gamma):
    return np.array([lr0 * gamma ** (step // step_size)])  # shape (1,), not a number


register(
    FunctionExercise(
        name="ch06_step_decay",
        chapter="06",
        title="Step decay",
        signature="step_decay(step, lr0, step_size, gamma) -> float",
        hint=(
            "Count how many full blocks of step_size steps lie before step: step // step_size. "
            "The rate is lr0 multiplied by gamma that many times."
        ),
        solution=step_decay,
        suites=seeded(_step_cases, visible=6, hidden=60),
        mistakes=step_decay_mistakes.all,
        references=(
            "dlnotes.schedules:step_decay",
            "dlnotes.schedules:multistep",  # with milestones every step_size steps
            "dlnotes.schedules:exponential",  # at step // step_size
        ),
    )
)


# ============================================================================================
# ch06_cosine_lr
# ============================================================================================


def cosine_lr(
    step: int, lr_max: float, lr_min: float, total_steps: int, warmup_steps: int
) -> float:
    """Linear warm-up then cosine annealing, the learning rate at step ``step >= 0``.

    With ``W = warmup_steps`` and ``T = total_steps > W`` (the warm-up is part of ``T``)::

        lr(step) = lr_max · step / W                               step < W
        p        = (step - W) / (T - W)                            W <= step <= T
        lr(step) = lr_min + (lr_max - lr_min) · (1 + cos(π p)) / 2
        lr(step) = lr_min                                          step > T

    ``lr(0) = 0`` when ``W > 0``; ``lr(W) = lr_max``; ``lr(T) = lr_min``. For ``W >= 1`` the same
    as ``linear_warmup(cosine(lr_max, T - W, lr_min), W)`` of :mod:`dlnotes.schedules`, and for
    ``W = 0`` as ``cosine(lr_max, T, lr_min)``.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


def _cosine_ended(factor, step, lr_max, lr_min, total_steps, warmup_steps, clamp):
    """The schedule with a learner's ``factor(progress)`` in place of ``(1 + cos(π·progress))/2``.
    Learners end it in two ways: ``clamp=True`` clamps the progress with ``min(...)``,
    ``clamp=False`` returns ``lr_min`` once ``step > total_steps``. The two agree for the right
    factor but not for a wrong one (a clamped progress keeps the wrong factor's last value), so
    each wrong factor is declared with both endings: either learner is told about the cosine."""
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    if not clamp and step > total_steps:  # the end handled apart, so only the cosine is wrong
        return float(lr_min)
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * factor(progress)


#: The common mistakes of ``ch06_cosine_lr``, each declared on its wrong code.
cosine_lr_mistakes = Mistakes()


@cosine_lr_mistakes.add(
    "not clamped after the end",
    "after total_steps your rate climbs back up (the cosine keeps going). Clamp the "
    "progress: p = min(step − W, T − W)/(T − W), so lr stays at lr_min for step > T.",
)
def _cos_not_clamped(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "degrees instead of radians",
    "math.cos and np.cos take radians: half a period is cos(π·p), not cos(180·p).",
)
def _cos_degrees(step, lr_max, lr_min, total_steps, warmup_steps):
    def factor(p):
        return (1 + math.cos(180 * p)) / 2

    return _cosine_ended(factor, step, lr_max, lr_min, total_steps, warmup_steps, clamp=True)


@cosine_lr_mistakes.add(
    "degrees instead of radians (lr_min after the end)",
    "math.cos and np.cos take radians: half a period is cos(π·p), not cos(180·p).",
)
def _cos_degrees_returns_lr_min(step, lr_max, lr_min, total_steps, warmup_steps):
    def factor(p):
        return (1 + math.cos(180 * p)) / 2

    return _cosine_ended(factor, step, lr_max, lr_min, total_steps, warmup_steps, clamp=False)


@cosine_lr_mistakes.add(
    "warm-up off by one",
    "at step = 0 the warm-up rate is lr_max·0/W = 0 and it reaches lr_max at step = W; yours "
    "uses (step + 1)/W, one step ahead.",
)
def _cos_warmup_off_by_one(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * (step + 1) / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "cosine clock not shifted by the warm-up",
    "the cosine starts when the warm-up ends: its progress is (step − W)/(T − W), so "
    "lr(W) = lr_max. Yours measures step from 0 and has already decayed at step = W.",
)
def _cos_clock_not_shifted(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step, total_steps) / total_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "lr_min ignored",
    "the cosine goes from lr_max down to lr_min, not to 0: "
    "lr_min + (lr_max − lr_min)·(1 + cos(πp))/2.",
)
def _cos_ignores_lr_min(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_max * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "missing (1 + cos)/2",
    "cos(πp) runs from 1 to −1, so your rate goes negative; (1 + cos(πp))/2 runs from 1 to 0.",
)
def _cos_no_half(step, lr_max, lr_min, total_steps, warmup_steps):
    def factor(p):
        return math.cos(math.pi * p)

    return _cosine_ended(factor, step, lr_max, lr_min, total_steps, warmup_steps, clamp=True)


@cosine_lr_mistakes.add(
    "missing (1 + cos)/2 (lr_min after the end)",
    "cos(πp) runs from 1 to −1, so past the middle of the cosine phase your rate falls "
    "below lr_min (and can go negative): add 1 to the cosine and halve it, so that the "
    "factor in front of (lr_max − lr_min) runs from 1 down to 0.",
)
def _cos_no_half_returns_lr_min(step, lr_max, lr_min, total_steps, warmup_steps):
    def factor(p):
        return math.cos(math.pi * p)

    return _cosine_ended(factor, step, lr_max, lr_min, total_steps, warmup_steps, clamp=False)


@cosine_lr_mistakes.add(
    "warm-up starts at lr_min",
    "the warm-up ramps from 0 (lr(0) = 0) up to lr_max: lr_max·step/W. lr_min is only "
    "where the cosine ends.",
)
def _cos_warmup_from_lr_min(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_min + (lr_max - lr_min) * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "progress divided by T instead of T − W",
    "the cosine phase lasts T − W steps (the warm-up is part of T), so "
    "p = (step − W)/(T − W); dividing by T leaves p < 1 at step = T and the rate has not "
    "reached lr_min.",
)
def _cos_progress_over_total(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps) / total_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "(1 − cos) instead of (1 + cos)",
    "your rate rises from lr_min to lr_max: (1 − cos(πp))/2 runs from 0 to 1. "
    "Annealing goes down: (1 + cos(πp))/2 runs from 1 to 0.",
)
def _cos_one_minus_cos(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 - math.cos(math.pi * progress)) / 2


def _cosine_step_cases(
    steps: list[int], lr_max: float, lr_min: float, T: int, W: int
) -> list[Case]:
    """One case for each step of ``steps`` on the schedule ``(lr_max, lr_min, T, W)``."""
    return [
        Case(
            f"step = {step}, lr_max = {lr_max}, lr_min = {lr_min}, total_steps = {T}, "
            f"warmup_steps = {W}",
            (step, lr_max, lr_min, T, W),
        )
        for step in steps
    ]


def _cosine_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    lr_max = float(np.round(rng.uniform(0.2, 0.9), 3))
    lr_min = float(np.round(lr_max * rng.uniform(0.02, 0.1), 4))
    if not hidden:
        T, W = 100, 10
        steps = [0, 4, 10, 35, 60, 100, 130]
        cases = _cosine_step_cases(steps, lr_max, lr_min, T, W)
        cases += [  # without a warm-up, step 0 is lr_max: no division by warmup_steps
            Case("no warm-up (warmup_steps = 0), step = 0", (0, 0.6, 0.01, 80, 0)),
            Case("no warm-up (warmup_steps = 0), step = 23", (23, 0.6, 0.01, 80, 0)),
        ]
        return cases
    T, W = 1000, 50
    steps = [0, 1, 49, 50, 51, 300, 525, 777, 999, 1000, 1001, 1900]
    cases = _cosine_step_cases(steps, lr_max, lr_min, T, W)
    cases += [
        Case("no warm-up, step = 0", (0, 0.3, 0.003, 40, 0)),
        Case("no warm-up, step = 13", (13, 0.3, 0.003, 40, 0)),
        Case("warm-up of 3 steps, step = 2", (2, 1.1, 0.05, 12, 3)),
        Case("warm-up of 3 steps, step = 7", (7, 1.1, 0.05, 12, 3)),
        Case("after the end, step = 60", (60, 1.1, 0.05, 12, 3)),
    ]
    return cases


@cosine_lr_mistakes.add(
    "lr_min not added back",
    "(lr_max − lr_min)·(1 + cos(πp))/2 runs from lr_max − lr_min down to 0; add lr_min to "
    "it so that it runs from lr_max down to lr_min.",
)
def _cos_no_lr_min_added(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "integer division",
    "(lr_max − lr_min) * (1 + cos(πp)) // 2 floors the whole product to a whole number: "
    "with rates below 1 it is 0 at every step, so the schedule sits at lr_min. Divide with /.",
)
def _cos_floor_division(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) // 2


@cosine_lr_mistakes.add(
    "integer division in the progress",
    "min(step − W, T − W) // (T − W) is 0 until the very last step (a floor of a fraction below "
    "1), so the rate sits at lr_max and drops to lr_min at T. The progress is a fraction: "
    "divide with /.",
)
def _cos_floor_progress(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) // (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "0 after the end instead of lr_min",
    "after total_steps the schedule stays where it ended, at lr_min (the progress is clamped at "
    "1): return lr_min for step > T, not 0.",
)
def _cos_zero_after_end(step, lr_max, lr_min, total_steps, warmup_steps):
    if step > total_steps:
        return 0.0
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2


@cosine_lr_mistakes.add(
    "π missing",
    "the cosine runs over half a period, cos(π·p) for p from 0 to 1; cos(p) only goes from "
    "1 to cos(1) ≈ 0.54 and never reaches lr_min.",
)
def _cos_no_pi(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(progress)) / 2


@cosine_lr_mistakes.add("the rate in a one-element array", _ONE_ELEMENT_HINT)
def _cos_one_element_array(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return np.array([lr_max * step / warmup_steps])  # shape (1,), not a number
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return np.array([lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2])


register(
    FunctionExercise(
        name="ch06_cosine_lr",
        chapter="06",
        title="Cosine annealing with linear warm-up",
        signature="cosine_lr(step, lr_max, lr_min, total_steps, warmup_steps) -> float",
        hint=(
            "Two pieces. While step < W: lr_max·step/W. Afterwards the progress "
            "p = (step − W)/(T − W) runs from 0 to 1; clamp it at 1 for step > T; "
            "lr = lr_min + (lr_max − lr_min)·(1 + cos(πp))/2 "
            "(math.cos takes radians)."
        ),
        solution=cosine_lr,
        suites=seeded(_cosine_cases, visible=7, hidden=70),
        mistakes=cosine_lr_mistakes.all,
        references=("dlnotes.schedules:cosine", "dlnotes.schedules:linear_warmup"),
    )
)


# ============================================================================================
# ch06_newton_step
# ============================================================================================


def newton_step(g: np.ndarray, H: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One step of Newton's method, ``x_new = x - H⁻¹ g``.

    ``g = ∇f(x)`` is the gradient, of shape ``(d,)``, ``H = ∇²f(x)`` the Hessian, of shape
    ``(d, d)`` (invertible), ``x`` of shape ``(d,)``. The step solves ``H p = g`` (no explicit
    inverse needed) and returns a new array; ``x`` is not modified.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    return x - np.linalg.solve(H, g)


#: The common mistakes of ``ch06_newton_step``, each declared on its wrong code.
newton_step_mistakes = Mistakes()


@newton_step_mistakes.add(
    "plus sign",
    "the step goes against the gradient: x − H⁻¹g. With a plus sign the step on a "
    "convex bowl moves away from the minimum, twice as far from it.",
)
def _newton_plus(g, H, x):
    return x + np.linalg.solve(H, g)


@newton_step_mistakes.add(
    "multiplies by H",
    "Newton divides by the curvature: it uses H⁻¹g (np.linalg.solve(H, g)), not H·g, "
    "which takes huge steps where the curvature is high.",
)
def _newton_times_hessian(g, H, x):
    return x - H @ g


@newton_step_mistakes.add(
    "gradient outer product",
    "g gᵀ is not the Hessian (it has rank one and carries no curvature); use the "
    "H argument: np.linalg.solve(H, g).",
)
def _newton_outer_product(g, H, x):
    return x - np.linalg.pinv(np.outer(g, g)) @ g


@newton_step_mistakes.add(
    "diagonal only",
    "dividing g by diag(H) ignores the off-diagonal entries: on a rotated bowl that is "
    "not H⁻¹g. Solve the full linear system H p = g.",
)
def _newton_diagonal(g, H, x):
    return x - g / np.diag(H)


@newton_step_mistakes.add(
    "modifies x in place",
    "`x -= ...` wrote into the caller's x. Return a new array: `return x - p`.",
)
def _newton_in_place(g, H, x):
    x -= np.linalg.solve(H, g)
    return x


def _spd(rng: np.random.Generator, d: int, low: float, high: float) -> np.ndarray:
    """A random rotated symmetric positive-definite matrix with eigenvalues from low to high."""
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eig = np.geomspace(high, low, d)
    return Q @ np.diag(eig) @ Q.T


def _indefinite(rng: np.random.Generator, d: int) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eig = np.linspace(-1.5, 2.5, d)
    eig[np.abs(eig) < 0.3] = 0.7
    return Q @ np.diag(eig) @ Q.T


def _newton_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)

    def vec(d: int) -> np.ndarray:
        return np.round(rng.uniform(-2.0, 2.0, d), 3)

    if not hidden:
        rosen_x = np.array([-1.2, 1.0])
        rosen_g = np.array([-215.6, -88.0])
        rosen_h = np.array([[1330.0, 480.0], [480.0, 200.0]])
        return [
            Case("rotated κ = 100 quadratic, d = 2", (vec(2), _spd(rng, 2, 0.05, 5.0), vec(2))),
            Case("rotated κ = 1000 quadratic, d = 5", (vec(5), _spd(rng, 5, 0.004, 4.0), vec(5))),
            Case("Rosenbrock at (-1.2, 1)", (rosen_g, rosen_h, rosen_x)),
            Case("an indefinite Hessian (a saddle), d = 3", (vec(3), _indefinite(rng, 3), vec(3))),
        ]
    return [
        Case("rotated κ = 50 quadratic, d = 8", (vec(8), _spd(rng, 8, 0.1, 5.0), vec(8))),
        Case("rotated κ = 10⁴ quadratic, d = 4", (vec(4), _spd(rng, 4, 1e-3, 10.0), vec(4))),
        Case("indefinite Hessian, d = 6", (vec(6), _indefinite(rng, 6), vec(6))),
        Case("d = 1", (np.array([0.8]), np.array([[2.5]]), np.array([-0.4]))),
        Case("rotated κ = 3 quadratic, d = 12", (vec(12), _spd(rng, 12, 1.0, 3.0), vec(12))),
    ]


@newton_step_mistakes.add(
    "returned the step, not the new point",
    "−H⁻¹g is the Newton *step*; the function returns the new point x − H⁻¹g.",
)
def _newton_step_only(g, H, x):
    return -np.linalg.solve(H, g)


@newton_step_mistakes.add(
    "returned H⁻¹g, not the new point",
    "np.linalg.solve(H, g) is p = H⁻¹g, the Newton step before its minus sign; the function "
    "returns the new point x − p, not p (nor −p).",
)
def _newton_returns_p(g, H, x):
    return np.linalg.solve(H, g)  # p itself: no x, no minus


@newton_step_mistakes.add(
    "inverse times g elementwise",
    "np.linalg.inv(H) * g multiplies entry by entry: g is broadcast along the rows, giving a "
    "(d, d) matrix of entries (H⁻¹)ᵢⱼ·gⱼ instead of the vector H⁻¹g of shape (d,). A matrix "
    "times a vector is the @ operator, np.linalg.inv(H) @ g; better, np.linalg.solve(H, g) "
    "solves H p = g without forming the inverse.",
)
def _newton_inverse_elementwise(g, H, x):
    return x - np.linalg.inv(H) * g  # *, not @: a (d, d) matrix


register(
    FunctionExercise(
        name="ch06_newton_step",
        chapter="06",
        title="One Newton step",
        signature="newton_step(g, H, x) -> array of shape (d,)",
        hint=(
            "Newton's step minimises the local quadratic model: x_new = x − H⁻¹g. Solve H p = g "
            "with np.linalg.solve(H, g) and return x − p (a new array)."
        ),
        solution=newton_step,
        suites=seeded(_newton_cases, visible=8, hidden=80),
        mistakes=newton_step_mistakes.all,
        rtol=1e-6,
        atol=1e-9,
    )
)
