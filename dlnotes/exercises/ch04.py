"""Exercises of chapter 04 (Momentum and Nesterov).

* ``ch04_momentum_step``: ``momentum_step(x, v, g, lr, rho)``, one heavy-ball step in
  torch.optim's form ``v = ρv + g; x = x − αv``;
* ``ch04_nesterov``: ``nesterov(grad, x0, lr, rho, steps)``, every iterate of Nesterov's
  look-ahead method ``v = ρv − α∇f(x + ρv); x = x + v``;
* ``ch04_momentum_challenge``: an explorer challenge, a pair ``(lr, rho)`` that gets heavy ball
  below ``f = 1e-6`` on the κ = 100 bowl within 100 steps and keeps it there (gradient descent
  needs about 250 even at its best learning rate).

Each function exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call. The challenge declares each of its
mistakes on the test that recognizes it in a wrong pair (a :class:`ValueMistakes`), then its
``verify`` and its :func:`register` call.

Defined in chapter 04 (Momentum and Nesterov).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes.exercises.core import (
    Case,
    FunctionExercise,
    Mistakes,
    ValueExercise,
    ValueMistakes,
    ValueVerdict,
    register,
    seeded,
)
from dlnotes.landscapes import (
    MOMENTUM_CHALLENGE,
    Rosenbrock,
    Run,
    challenge_outcome,
    heavy_ball,
    heavy_ball_roots,
    ill_conditioned_quadratic,
    optimal_heavy_ball,
    random_rotated_quadratic,
)

# ============================================================================================
# ch04_momentum_step
# ============================================================================================


def momentum_step(
    x: np.ndarray, v: np.ndarray, g: np.ndarray, lr: float, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """One heavy-ball step in torch.optim's form; returns the new ``(x, v)``::

        v = rho * v + g        (the velocity: a running, decaying sum of gradients)
        x = x - lr * v

    ``x``, ``v`` and ``g`` share one shape; the inputs are left untouched.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    v_new = rho * v + g
    x_new = x - lr * v_new
    return x_new, v_new


#: The common mistakes of ``ch04_momentum_step``, each declared on its wrong code.
momentum_step_mistakes = Mistakes()


@momentum_step_mistakes.add(
    "learning rate in the velocity",
    "you wrote the other textbook form, v = ρv − αg; x = x + v, whose velocity is a "
    "step (it holds α). Here v is torch's buffer, a sum of gradients without α: "
    "v_new = ρv + g, then x_new = x − α·v_new.",
)
def _ms_lr_in_velocity(x, v, g, lr, rho):
    v_new = rho * v - lr * g
    return x + v_new, v_new


@momentum_step_mistakes.add(
    "dampening (an average instead of a sum)",
    "(1 − ρ)·g makes v an exponentially weighted average (chapter 03) and shrinks "
    "every step by 1 − ρ. Heavy ball adds the whole gradient: v_new = ρv + g.",
)
def _ms_dampened(x, v, g, lr, rho):
    v_new = rho * v + (1 - rho) * g
    return x - lr * v_new, v_new


@momentum_step_mistakes.add(
    "stale velocity",
    "you moved x with the old velocity. Update the velocity first, then step with the "
    "new one: v_new = ρv + g, x_new = x − α·v_new.",
)
def _ms_stale_velocity(x, v, g, lr, rho):
    x_new = x - lr * v
    return x_new, rho * v + g


@momentum_step_mistakes.add(
    "sign error",
    "your step goes uphill: the velocity accumulates gradients, so x moves against "
    "it, x_new = x − α·v_new.",
)
def _ms_sign(x, v, g, lr, rho):
    v_new = rho * v + g
    return x + lr * v_new, v_new


@momentum_step_mistakes.add(
    "modifies its inputs in place",
    "`v *= rho` and `x -= ...` change the caller's arrays. Build new ones: "
    "`v_new = rho * v + g` and `x_new = x - lr * v_new`.",
)
def _ms_in_place(x, v, g, lr, rho):
    v *= rho
    v += g
    x -= lr * v
    return x, v


@momentum_step_mistakes.add(
    "Nesterov's update",
    "x − α·(g + ρ·v_new) is torch's nesterov=True step. Plain heavy ball moves with "
    "the velocity itself: x_new = x − α·v_new.",
)
def _ms_nesterov(x, v, g, lr, rho):
    v_new = rho * v + g
    return x - lr * (g + rho * v_new), v_new


@momentum_step_mistakes.add(
    "ρ multiplies the new gradient too",
    "ρ(v + g) decays the gradient you just computed. Only the old velocity is "
    "decayed; the new gradient enters whole: v_new = ρ·v + g.",
)
def _ms_rho_on_gradient(x, v, g, lr, rho):
    v_new = rho * (v + g)
    return x - lr * v_new, v_new


@momentum_step_mistakes.add(
    "learning rate in the velocity (v = ρv + αg)",
    "your velocity holds α: v = ρv + αg; x = x − v is the textbook form with the step "
    "inside v. Here v is torch's buffer, a sum of gradients without α: "
    "v_new = ρv + g, then x_new = x − α·v_new.",
)
def _ms_lr_in_velocity_plus(x, v, g, lr, rho):
    v_new = rho * v + lr * g
    return x - v_new, v_new


def _ms_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)

    def arrays(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = rng.uniform(-2.0, 2.0, shape)
        v = rng.uniform(-1.5, 1.5, shape)
        g = rng.uniform(-3.0, 3.0, shape)
        return x, v, g

    settings = [((3,), 0.1, 0.9), ((5,), 0.03, 0.5), ((2, 3), 0.5, 0.99), ((4,), 0.2, 0.0)]
    if hidden:
        settings = [((7,), 0.05, 0.9), ((3, 2), 0.7, 0.8), ((2,), 1.3, 0.95), ((10,), 0.01, 0.6)]
    labels = {0.0: "ρ = 0: plain gradient descent"}
    cases = [
        Case(
            f"shape {shape}, α = {lr}, ρ = {rho}" + (f" ({labels[rho]})" if rho in labels else ""),
            (*arrays(shape), lr, rho),
        )
        for shape, lr, rho in settings
    ]
    return cases


@momentum_step_mistakes.add(
    "the two forms mixed: v = ρv − αg, then x − αv",
    "the chapter has two forms: v = ρv + g with x − αv (torch.optim's, asked here), or "
    "v = ρv − αg with x + v. Yours takes the velocity of the second and the step of the "
    "first: α is applied twice and the step goes uphill.",
)
def _mom_mixed_minus(x, v, g, lr, rho):
    v = rho * v - lr * g
    return x - lr * v, v


@momentum_step_mistakes.add(
    "the two forms mixed: v = ρv + g, then x + v",
    "with v = ρv + g (torch.optim's form, asked here) the step is x − α·v; x + v has "
    "neither the learning rate nor the downhill sign (that is the step of the other form, "
    "v = ρv − αg).",
)
def _mom_mixed_plus(x, v, g, lr, rho):
    v = rho * v + g
    return x + v, v


register(
    FunctionExercise(
        name="ch04_momentum_step",
        diagnoses={  # wording for generic diagnoses (dlnotes.exercises.diagnose)
            "hyperparameter rho=0": "your x moves by lr·g alone, as plain gradient descent "
            "would: step with the new velocity, x_new = x − lr·v_new.",
        },
        chapter="04",
        title="One heavy-ball step (torch.optim's form)",
        signature="momentum_step(x, v, g, lr, rho) -> (x_new, v_new)",
        hint=(
            "Update the velocity first, v_new = rho·v + g (no learning rate inside), then move "
            "downhill with the new velocity, x_new = x − lr·v_new. Return both as new arrays."
        ),
        solution=momentum_step,
        suites=seeded(_ms_cases, visible=4, hidden=40),
        mistakes=momentum_step_mistakes.all,
        references=(
            "dlnotes.optim.teaching:momentum_step_add",
            "dlnotes.optim:SGD",  # SGD(momentum=rho) with its buffer set to v takes this step
        ),
    )
)


# ============================================================================================
# ch04_nesterov
# ============================================================================================


def nesterov(
    grad: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, lr: float, rho: float, steps: int
) -> np.ndarray:
    """Nesterov's accelerated gradient in the look-ahead form, from ``x0`` (shape ``(d,)``)::

        v_0 = 0
        v_{t+1} = rho * v_t - lr * grad(x_t + rho * v_t)    (gradient at the look-ahead point)
        x_{t+1} = x_t + v_{t+1}

    Returns the iterates ``x_0, ..., x_steps`` as an array of shape ``(steps + 1, d)``; the
    caller's ``x0`` is left untouched.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    xs = [x]
    for _ in range(steps):
        v = rho * v - lr * grad(x + rho * v)
        x = x + v
        xs.append(x)
    return np.array(xs)


def _nag_iterates(x0, steps, step):
    """The iterates ``x_0, ..., x_steps`` from a copy of ``x0`` and ``v = 0``, each step being
    ``x, v = step(x, v)``: the loop of :func:`nesterov` around another update."""
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    xs = [x]
    for _ in range(steps):
        x, v = step(x, v)
        xs.append(x)
    return np.array(xs)


#: The common mistakes of ``ch04_nesterov``, each declared on its wrong code.
nesterov_mistakes = Mistakes()


@nesterov_mistakes.add(
    "gradient at x, not at the look-ahead point",
    "that is heavy ball (Polyak's momentum). Nesterov evaluates the gradient where "
    "the momentum is about to carry you: grad(x + rho * v).",
)
def _nag_heavy_ball(grad, x0, lr, rho, steps):
    def step(x, v):
        v = rho * v - lr * grad(x)  # the gradient at x itself: heavy ball
        return x + v, v

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "look-ahead in the wrong direction",
    "the look-ahead point is x + rho·v: the velocity already points where you are "
    "going, so you add it (x − rho·v looks back).",
)
def _nag_look_behind(grad, x0, lr, rho, steps):
    def step(x, v):
        v = rho * v - lr * grad(x - rho * v)  # looks back, not ahead
        return x + v, v

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "look-ahead of the other form (x − lr·rho·v)",
    "x − lr·rho·v is the look-ahead of the other form, whose velocity sums raw gradients "
    "(v = rho·v + g, then x −= lr·v). Here v = rho·v − lr·g already holds the step, "
    "learning rate and sign included: the look-ahead point is where the momentum alone "
    "carries x, so move x by rho·v itself, with no lr and no minus sign.",
)
def _nag_lr_in_look_ahead(grad, x0, lr, rho, steps):
    def step(x, v):
        v = rho * v - lr * grad(x - lr * rho * v)  # form (B)'s look-ahead in form (A)
        return x + v, v

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "velocity never updated",
    "you moved x but did not store the new velocity, so v stays 0 and the method is "
    "plain gradient descent. Assign v = rho·v − lr·g, then x = x + v.",
)
def _nag_velocity_not_stored(grad, x0, lr, rho, steps):
    def step(x, v):
        return x + rho * v - lr * grad(x + rho * v), v  # the new velocity is never kept

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "position moved with the old velocity",
    "compute the new velocity first, then move with it: v = rho·v − lr·g, x = x + v.",
)
def _nag_old_velocity(grad, x0, lr, rho, steps):
    def step(x, v):
        x = x + v  # moved before the velocity is updated
        v = rho * v - lr * grad(x + rho * v)
        return x, v

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "aliasing",
    "every row of your result is the final iterate: `x += v` updates the one array that "
    "`xs.append(x)` stored each time. Each stored iterate must be a new array or a copy: "
    "write `x = x + v`, or append `x.copy()`.",
)
def _nag_aliasing(grad, x0, lr, rho, steps):
    def step(x, v):
        v = rho * v - lr * grad(x + rho * v)
        x += v  # in place: the array the list already holds changes too
        return x, v

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "aliasing (only x0 copied)",
    "row 0 is right, but every later row is the final iterate: `x += v` updates the one "
    "array that `xs.append(x)` stored at every step (only x0 went in as a copy). Each "
    "stored iterate must be a new array or a copy: write `x = x + v`, or append `x.copy()`.",
)
def _nag_aliasing_after_x0(grad, x0, lr, rho, steps):
    x = x0.copy()
    v = np.zeros_like(x)
    xs = [x0.copy()]  # x0 is stored as a copy ...
    for _ in range(steps):
        v = rho * v - lr * grad(x + rho * v)
        x += v  # ... but x_1, x_2, ... are one array, changed in place at every step
        xs.append(x)
    return np.array(xs)


@nesterov_mistakes.add(
    "x_0 not stored",
    "your result has `steps` rows, x_1 ... x_steps: it needs `steps + 1`. Row 0 is the "
    "starting point x0 itself (a copy), stored before the first step; each step then "
    "appends the point it reaches.",
)
def _nag_x0_not_stored(grad, x0, lr, rho, steps):
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    xs = []  # the list starts empty: x_0 is never stored
    for _ in range(steps):
        v = rho * v - lr * grad(x + rho * v)
        x = x + v
        xs.append(x)
    return np.array(xs)  # with steps = 0 its shape is (0,), not (1, d)


@nesterov_mistakes.add(
    "learning rate in the look-ahead",
    "the look-ahead point is x + rho·v: momentum alone carries you there, no learning rate.",
)
def _nag_lookahead_lr(grad, x0, lr, rho, steps):
    def step(x, v):
        v = rho * v - lr * grad(x + lr * v)  # lr where the look-ahead has rho
        return x + v, v

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "learning rate in the look-ahead (lr·rho·v)",
    "your look-ahead point multiplies the velocity by lr as well as rho, so it is right only "
    "when lr = 1. The velocity already holds the learning rate (it is a step): momentum "
    "alone carries you to the look-ahead point, x + rho·v, with no lr in it.",
)
def _nag_lookahead_lr_rho(grad, x0, lr, rho, steps):
    def step(x, v):
        v = rho * v - lr * grad(x + lr * rho * v)  # lr next to rho in the look-ahead
        return x + v, v

    return _nag_iterates(x0, steps, step)


@nesterov_mistakes.add(
    "velocity not started at 0 (a first gradient step)",
    "your velocity starts as a gradient step, −lr·∇f(x0), so the first step gets a push the "
    "method does not have and every later iterate carries it. The ball starts at rest: "
    "v₀ = 0, an array of zeros shaped like x0; the loop makes the first step itself.",
)
def _nag_velocity_starts_as_a_step(grad, x0, lr, rho, steps):
    x = np.array(x0, dtype=float)
    v = -lr * grad(x)  # v_0 should be 0
    xs = [x]
    for _ in range(steps):
        v = rho * v - lr * grad(x + rho * v)
        x = x + v
        xs.append(x)
    return np.array(xs)


@nesterov_mistakes.add(
    "velocity not started at 0 (a copy of x0)",
    "your velocity starts as a copy of x0, a position, so the first look-ahead point is off "
    "by ρ·x0 and the first step carries ρ·x0 too. v is a velocity and the ball starts at "
    "rest: v₀ = 0, an array of zeros shaped like x0 (only x starts as a copy of x0).",
)
def _nag_velocity_starts_at_x0(grad, x0, lr, rho, steps):
    x = np.array(x0, dtype=float)
    v = x0.copy()  # v_0 should be 0
    xs = [x]
    for _ in range(steps):
        v = rho * v - lr * grad(x + rho * v)
        x = x + v
        xs.append(x)
    return np.array(xs)


@nesterov_mistakes.add(
    "torch's change of variables",
    "buf = ρ·buf + g; x −= α·(g + ρ·buf) is torch's nesterov=True: its x is the "
    "look-ahead point, so its iterates differ from these. Write the look-ahead form "
    "asked for: v = ρ·v − α·∇f(x + ρ·v), x = x + v, from v = 0.",
)
def _nag_torch_form(grad, x0, lr, rho, steps):
    def step(x, buf):  # torch's buffer in place of v, and torch's step
        g = grad(x)
        buf = rho * buf + g
        return x - lr * (g + rho * buf), buf

    return _nag_iterates(x0, steps, step)


def _start(rng: np.random.Generator, dim: int) -> np.ndarray:
    return np.round(rng.uniform(0.4, 2.0, dim) * rng.choice([-1.0, 1.0], dim), 3)


def _nag_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    if not hidden:
        return [
            Case(
                "rotated κ=100 quadratic, d=2, α = 1/L, ρ = 0.9",
                (ill_conditioned_quadratic(100.0, theta=0.4).grad, _start(rng, 2), 1.0, 0.9, 15),
            ),
            Case(
                "randomly rotated κ=20 quadratic, d=4",
                (random_rotated_quadratic(rng, 4, 20.0, L=2.0).grad, _start(rng, 4), 0.4, 0.7, 10),
            ),
            Case(
                "Rosenbrock valley from (-1.2, 1.0)",
                (Rosenbrock().grad, np.array([-1.2, 1.0]), 5e-4, 0.8, 12),
            ),
            Case(
                "steps=0: only the starting point",
                (ill_conditioned_quadratic(10.0).grad, _start(rng, 2), 0.5, 0.9, 0),
            ),
        ]
    return [
        Case(
            "randomly rotated κ=50 quadratic, d=6",
            (random_rotated_quadratic(rng, 6, 50.0).grad, _start(rng, 6), 0.8, 0.85, 20),
        ),
        Case(
            "rotated κ=10 quadratic, d=2, ρ = 0.5",
            (ill_conditioned_quadratic(10.0, theta=-0.7).grad, _start(rng, 2), 1.2, 0.5, 8),
        ),
        Case(
            "Rosenbrock valley from (0.5, -0.4)",
            (Rosenbrock().grad, np.array([0.5, -0.4]), 1e-3, 0.9, 15),
        ),
        Case(
            "one step, d=3",
            (random_rotated_quadratic(rng, 3, 5.0).grad, _start(rng, 3), 0.6, 0.9, 1),
        ),
        Case(
            "a long run, d=5",
            (random_rotated_quadratic(rng, 5, 30.0, L=3.0).grad, _start(rng, 5), 0.2, 0.95, 40),
        ),
        Case(
            "steps=0, d=3",
            (random_rotated_quadratic(rng, 3, 4.0).grad, _start(rng, 3), 0.5, 0.9, 0),
        ),
    ]


@nesterov_mistakes.add(
    "x moved to the look-ahead point",
    "the look-ahead point x_t + ρv_t is only where the gradient is evaluated; the step "
    "starts from x_t: x_{t+1} = x_t + v_{t+1}. Overwriting x with the look-ahead point "
    "(or stepping from it) adds ρv_t a second time.",
)
def _nag_step_from_look_ahead(grad, x0, lr, rho, steps):
    def step(x, v):
        ahead = x + rho * v
        v = rho * v - lr * grad(ahead)
        return ahead + v, v  # stepped from the look-ahead point, not from x

    return _nag_iterates(x0, steps, step)


register(
    FunctionExercise(
        name="ch04_nesterov",
        chapter="04",
        title="Nesterov's look-ahead, every iterate",
        signature="nesterov(grad, x0, lr, rho, steps) -> array of shape (steps + 1, d)",
        hint=(
            "Start from a copy of x0 and v = zeros. Each step: evaluate the gradient at the "
            "look-ahead point x + rho·v, set v = rho·v − lr·that gradient, then x = x + v. "
            "Keep every iterate; row 0 is x0."
        ),
        solution=nesterov,
        suites=seeded(_nag_cases, visible=5, hidden=50),
        mistakes=nesterov_mistakes.all,
        references=("dlnotes.optim.teaching:nesterov_step",),
    )
)


# ============================================================================================
# ch04_momentum_challenge (explorer challenge: a pair of values)
# ============================================================================================

# The challenge's settings (``kappa``, ``x0``, ``steps``, ``target`` and ``tail``: the steps after
# ``steps`` over which ``f`` must stay below the target, since heavy ball's ``f`` oscillates and a
# pair can be below at step 100 only by luck and climb back at step 101), its bowl and its verdict's
# numbers live in the library (:data:`~dlnotes.landscapes.MOMENTUM_CHALLENGE`,
# :func:`~dlnotes.landscapes.challenge_outcome`), where chapter 04's explorer reads them too.


def _challenge_value(value: Any) -> tuple[float, float] | str:
    # only a pair: a dict of length 2 would unpack to its keys, a set in no fixed order
    if not isinstance(value, (tuple, list, np.ndarray)) or len(value) != 2:
        return f"enter two numbers, momentum_challenge = (lr, rho), e.g. (1.0, 0.9); got {value!r}"
    out = []
    for name, item in zip(("lr", "rho"), value):
        if isinstance(item, bool) or not isinstance(item, (int, float, np.integer, np.floating)):
            return f"{name} must be a number, got {item!r}"
        out.append(float(item))
    lr, rho = out
    if not (math.isfinite(lr) and lr > 0):
        return f"lr must be a positive number, got {lr!r}"
    if not (math.isfinite(rho) and 0 <= rho < 1):
        swapped = " (swapped? the order is (lr, rho))" if 0 <= lr < 1 <= rho else ""
        return f"rho must be in [0, 1), got {rho!r}{swapped}"
    return lr, rho


def _challenge_run(lr: float, rho: float) -> Run:
    """Heavy ball with ``(lr, rho)`` on the challenge's bowl, for ``MOMENTUM_CHALLENGE.steps``
    and then ``MOMENTUM_CHALLENGE.tail`` more steps (``f`` must be below the target from some
    step ``<= MOMENTUM_CHALLENGE.steps`` on, through the tail)."""
    challenge = MOMENTUM_CHALLENGE
    return heavy_ball(challenge.bowl(), challenge.x0, lr, rho, challenge.steps + challenge.tail)


def _modulus(r: float) -> str:
    """A root's modulus |z| for the feedback: 4 decimals, or 3 significant digits when huge."""
    return f"{r:.4f}" if r < 1e4 else f"{r:.3g}"


def _root_moduli(lr: float, rho: float) -> tuple[float, float]:
    """The larger root's modulus ``|z|`` along the flat (``μ``) and the steep (``L``) direction:
    what the error is multiplied by per step, in the long run."""
    bowl = MOMENTUM_CHALLENGE.bowl()
    return (
        float(np.abs(heavy_ball_roots(lr, rho, bowl.mu)).max()),
        float(np.abs(heavy_ball_roots(lr, rho, bowl.L)).max()),
    )


def _oscillates(lr: float, rho: float, curvature: float) -> bool:
    """Whether heavy ball's two roots along a direction of this curvature are complex: the
    direction oscillates, and its error shrinks by exactly ``√ρ`` per step."""
    return bool(heavy_ball_roots(lr, rho, curvature)[0].imag != 0)


def _rho_too_large(rho: float) -> bool:
    """Whether even ``ρ^T · f(x0)`` is above the target. Each direction's two roots multiply to
    ``ρ``: complex roots shrink the error by exactly ``√ρ`` per step, real ones by a larger
    factor, so ``f`` falls on average at best by a factor ``ρ`` per step, whatever ``α``."""
    f0 = float(MOMENTUM_CHALLENGE.bowl().f(MOMENTUM_CHALLENGE.x0))
    return rho**MOMENTUM_CHALLENGE.steps * f0 >= MOMENTUM_CHALLENGE.target


def _flat_direction_creeps(lr: float, rho: float) -> bool:
    """Whether the flat direction does not oscillate (its roots are real: it is overdamped and
    creeps) while ``ρ`` is not too large whatever ``α``: the test of both mistakes about it."""
    return not _rho_too_large(rho) and not _oscillates(lr, rho, MOMENTUM_CHALLENGE.bowl().mu)


# The mistakes of a well-formed pair that misses the target, tried in this order. Past
# "diverged", exactly one of the other three causes holds: at a fixed α, raising ρ lowers the
# larger real root's modulus until the roots turn complex; from then on only lowering ρ helps.
# An overdamped flat direction with ρ already about right is told to raise α instead.
momentum_challenge_mistakes = ValueMistakes()


@momentum_challenge_mistakes.add(
    "diverged",
    "heavy ball is stable only for α < 2(1 + ρ)/L: the steep direction's error grows "
    "every step. Lower α (or raise ρ).",
    example=(3.5, 0.5),
)
def _diverges(lr: float, rho: float) -> bool:
    """The run blows up, or some direction's error never shrinks (a root with ``|z| ≥ 1``)."""
    return _challenge_run(lr, rho).diverged or max(_root_moduli(lr, rho)) >= 1.0


#: How far below the optimal ``ρ = ((√κ − 1)/(√κ + 1))²`` a ``ρ`` still counts as "about right":
#: from there up to where ``ρ`` is too large, some larger ``α`` at the same ``ρ`` passes.
_RHO_BAND = 0.05


@momentum_challenge_mistakes.add(
    "step too small for this momentum",
    "ρ is large enough, but α is too small: the flat direction (curvature μ = 0.01) is "
    "overdamped, αμ < (1 − √ρ)², and creeps. Keep ρ and raise α until (1 − √ρ)² ≤ αμ, "
    "without going past αL ≤ (1 + √ρ)².",
    example=(1.4, 0.67),
)
def _step_too_small(lr: float, rho: float) -> bool:
    """The flat direction does not oscillate while ``ρ`` is near the optimal one or above it:
    raising ``α`` at this ``ρ`` brings both directions into the oscillating window."""
    rho_best = optimal_heavy_ball(MOMENTUM_CHALLENGE.kappa)[1]
    return rho >= rho_best - _RHO_BAND and _flat_direction_creeps(lr, rho)


@momentum_challenge_mistakes.add(
    "too little momentum",
    "the flat direction (curvature μ = 0.01) is overdamped, αμ < (1 − √ρ)², and "
    "creeps: for this α, ρ is too small for momentum to build up speed along it. "
    "Raise ρ (and α with it) until (1 − √ρ)² ≤ αμ.",
    example=(1.0, 0.0),
)
def _flat_direction_overdamped(lr: float, rho: float) -> bool:
    """The flat direction does not oscillate (its roots are real): raising ρ at this α shrinks
    every real root."""
    return _flat_direction_creeps(lr, rho)


@momentum_challenge_mistakes.add(
    "too much momentum",
    "no direction's error shrinks faster than √ρ per step (its two roots multiply to "
    "ρ; an oscillating direction shrinks by exactly √ρ): with ρ this large the ball "
    "keeps swinging and f falls too slowly. Lower ρ towards ((√κ − 1)/(√κ + 1))² "
    "(work it out for this bowl's κ), raising α if needed to keep (1 − √ρ)² ≤ αμ.",
    example=(1.0, 0.99),
)
def _too_much_momentum(lr: float, rho: float) -> bool:
    """``ρ`` is too large for any ``α``, or both directions oscillate: the rate is ``√ρ``."""
    bowl = MOMENTUM_CHALLENGE.bowl()
    return _rho_too_large(rho) or (_oscillates(lr, rho, bowl.mu) and _oscillates(lr, rho, bowl.L))


@momentum_challenge_mistakes.add(
    "steep direction overshoots",
    "αL is above (1 + √ρ)²: the steep coordinate flips sign every step and shrinks "
    "more slowly than √ρ. Lower α a little, to αL ≤ (1 + √ρ)².",
    example=(3.598, 0.8),
)
def _steep_direction_overshoots(lr: float, rho: float) -> bool:
    """The flat direction oscillates but the steep one's roots are real (negative): αL is
    past ``(1 + √ρ)²``."""
    bowl = MOMENTUM_CHALLENGE.bowl()
    return (
        not _rho_too_large(rho)
        and _oscillates(lr, rho, bowl.mu)
        and not _oscillates(lr, rho, bowl.L)
    )


def _verify_challenge(value: Any) -> ValueVerdict:
    parsed = _challenge_value(value)
    if isinstance(parsed, str):
        return ValueVerdict(False, parsed)
    lr, rho = parsed
    challenge = MOMENTUM_CHALLENGE
    steps, goal = challenge.steps, challenge.target
    run = _challenge_run(lr, rho)
    outcome = challenge_outcome(challenge, run)
    end = steps + challenge.tail
    target = f"f < {goal:g} within {steps} steps"
    setting = f"(α, ρ) = ({lr:g}, {rho:g})"
    if outcome.stay >= 0:
        return ValueVerdict(
            True,
            f"{setting} reaches {target} and stays below: from step {outcome.stay} on (checked "
            f"up to step {end})",
        )
    target = f"{target}, staying below after it (checked up to step {end})"
    bowl = challenge.bowl()
    r_flat, r_steep = _root_moduli(lr, rho)
    details = (
        f"per step the error is multiplied by about |z| (it shrinks where |z| < 1): "
        f"{_modulus(r_flat)} along the flat direction (μ = {bowl.mu:g}), {_modulus(r_steep)} "
        f"along the steep one (L = {bowl.L:g}); √ρ = {math.sqrt(rho):.4f}",
    )
    mistake = momentum_challenge_mistakes.shown_by(lr, rho)
    if _diverges(lr, rho):
        return ValueVerdict(False, f"{setting}: the run diverges", mistake, details)
    f_end = float(run.fs[steps])
    if outcome.back >= 0:  # below at step 100 by luck: f climbs back above it later
        summary = (
            f"{setting}: f is below the target {goal:g} at step {steps} "
            f"but climbs back above it at step {outcome.back}: it must stay below"
        )
    elif outcome.hit >= 0:
        summary = (
            f"{setting}: f dipped below the target {goal:g} at step {outcome.hit} but is "
            f"{f_end:.3g} at step {steps}: it must stay below"
        )
    else:
        summary = f"{setting}: after {steps} steps f = {f_end:.3g}; the target is {target}"
    return ValueVerdict(False, summary, mistake, details)


register(
    ValueExercise(
        name="ch04_momentum_challenge",
        chapter="04",
        title="Challenge: heavy ball on the κ = 100 bowl in 100 steps",
        signature="momentum_challenge = (lr, rho)  (two numbers)",
        hint=(
            f"With the explorer (κ = {MOMENTUM_CHALLENGE.kappa:g}, start "
            f"{MOMENTUM_CHALLENGE.x0}), find α and ρ for which heavy ball gets f below "
            f"{MOMENTUM_CHALLENGE.target:g} within {MOMENTUM_CHALLENGE.steps} steps "
            "and keeps it there. Both extreme directions should oscillate gently: "
            "(1 − √ρ)² ≤ αμ and αL ≤ (1 + √ρ)², which needs ρ ≥ ((√κ − 1)/(√κ + 1))² ≈ 0.67. "
            "The error then shrinks by √ρ per step in both, so ρ must also be small enough: "
            "every such pair with ρ ≤ 0.77 passes."
        ),
        solution=(3.3, 0.67),
        verify=_verify_challenge,
        mistakes=momentum_challenge_mistakes.all,
    )
)
