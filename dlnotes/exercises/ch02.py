"""Exercises of chapter 02 (Conditioning and the loss landscape).

* ``ch02_gradient_descent``: ``gradient_descent(grad, x0, lr, steps)`` returns every iterate;
* ``ch02_max_stable_lr``: ``max_stable_lr(H)``, the stability limit ``2 / λ_max(H)``;
* ``ch02_clip_by_norm``: ``clip_by_norm(g, max_norm)`` rescales a too-long gradient;
* ``ch02_lr_challenge``: an explorer challenge, a learning rate that gets the κ = 10 bowl
  below ``f = 1e-6`` within 60 steps.

Each function exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call. The challenge declares each of its
mistakes on the test that recognizes it in a wrong value (a :class:`ValueMistakes`), then its
``verify`` and its :func:`register` call.

Defined in chapter 02 (Conditioning and the loss landscape).
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
    LR_CHALLENGE,
    Rosenbrock,
    Run,
    ill_conditioned_quadratic,
    loss_text,
    lr_challenge_band,
    random_rotated_quadratic,
)
from dlnotes.landscapes import (
    gradient_descent as _library_gradient_descent,
)

# ============================================================================================
# ch02_gradient_descent
# ============================================================================================


def gradient_descent(
    grad: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, lr: float, steps: int
) -> np.ndarray:
    """Plain gradient descent ``x_{t+1} = x_t - lr ∇f(x_t)`` from ``x0`` (shape ``(d,)``).

    Returns the iterates ``x_0, ..., x_steps`` as an array of shape ``(steps + 1, d)``; the
    caller's ``x0`` is left untouched.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    x = np.array(x0, dtype=float)  # a new array: the caller's x0 stays as it was
    xs = [x]
    for _ in range(steps):
        x = x - lr * grad(x)  # a new array each step, so earlier rows keep their values
        xs.append(x)
    return np.array(xs)


def _gd_iterates(
    x0: np.ndarray, steps: int, update: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """The loop of :func:`gradient_descent` with its update as an argument: a copy of ``x0``,
    then ``steps`` times ``x = update(x)``, every iterate kept (``steps + 1`` rows)."""
    x = np.array(x0, dtype=float)
    xs = [x]
    for _ in range(steps):
        x = update(x)
        xs.append(x)
    return np.array(xs)


#: The common mistakes of ``ch02_gradient_descent``, each declared on its wrong code.
gradient_descent_mistakes = Mistakes()


@gradient_descent_mistakes.add(
    "stops at a small gradient",
    "the caller asked for every iterate: return steps + 1 rows whatever happens. A run that "
    "reaches the minimum keeps repeating it (the gradient is 0); stopping early is the "
    "caller's choice, not gradient_descent's.",
)
def _gd_stops_at_minimum(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = [x]
    for _ in range(steps):
        g = grad(x)
        if np.linalg.norm(g) < 1e-8:
            break
        x = x - lr * g
        xs.append(x)
    return np.array(xs)


@gradient_descent_mistakes.add(
    "stops when the iterates blow up",
    "the caller asked for every iterate: return steps + 1 rows, even when they grow (a rate "
    "above 2/L makes them grow, and seeing that is the point). Stopping a diverging run is the "
    "caller's choice, not gradient_descent's.",
)
def _gd_stops_at_blowup(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = [x]
    for _ in range(steps):
        x = x - lr * grad(x)
        if np.abs(x).max() > 1e6:
            break
        xs.append(x)
    return np.array(xs)


@gradient_descent_mistakes.add(
    "aliasing",
    "every row of your result is the final iterate: `x -= lr * grad(x)` updates the "
    "one array that `xs.append(x)` stored each time. Append a copy "
    "(`xs.append(x.copy())`) or write `x = x - lr * grad(x)`, which makes a new array.",
)
def _gd_aliasing(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = [x]
    for _ in range(steps):
        x -= lr * grad(x)  # updates the very array already stored in xs
        xs.append(x)
    return np.array(xs)


@gradient_descent_mistakes.add(
    "modifies x0 in place",
    "`x = x0` does not copy, so `x -= ...` writes into the caller's x0. Start from "
    "`x = np.array(x0, dtype=float)` (or `x0.copy()`).",
)
def _gd_modifies_x0(grad, x0, lr, steps):
    x = x0  # not a copy
    xs = [x.copy()]
    for _ in range(steps):
        x -= lr * grad(x)
        xs.append(x.copy())
    return np.array(xs)


@gradient_descent_mistakes.add(
    "aliasing x0 itself",
    "two slips in one: `x = x0` does not copy, so `x -= lr * grad(x)` writes into the "
    "caller's x0; and `xs.append(x)` stores that same array every time, so every row of your "
    "result is the final iterate. Start from a copy, `x = np.array(x0, dtype=float)`, and "
    "append a copy of each iterate (`xs.append(x.copy())`), or write `x = x - lr * grad(x)`, "
    "which makes a new array at every step.",
)
def _gd_aliasing_x0(grad, x0, lr, steps):
    x = x0  # not a copy
    xs = [x]
    for _ in range(steps):
        x -= lr * grad(x)  # writes into x0, the array stored in every row
        xs.append(x)
    return np.array(xs)


@gradient_descent_mistakes.add(
    "only the last iterate",
    "the result is the whole path, one row per iterate: x_0, x_1, ..., x_steps, an array "
    "of shape (steps + 1, d). Yours is the last point alone, of shape (d,): keep every "
    "iterate in a list (starting with x0) and return np.array of that list.",
)
def _gd_last_only(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    for _ in range(steps):
        x = x - lr * grad(x)
    return x


@gradient_descent_mistakes.add(
    "gradient ascent",
    "your iterates go uphill: the update is x ← x − lr·∇f(x), with a minus sign.",
)
def _gd_ascent(grad, x0, lr, steps):
    return _gd_iterates(x0, steps, lambda x: x + lr * grad(x))  # x + lr·grad: uphill


@gradient_descent_mistakes.add(
    "missing the starting point",
    "your result has `steps` rows; it needs `steps + 1`: row 0 is x0 itself, then one "
    "row per step.",
)
def _gd_missing_start(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = []
    for _ in range(steps):
        x = x - lr * grad(x)
        xs.append(x)
    return np.array(xs)  # the natural code: with steps = 0 its shape is (0,), not (0, d)


@gradient_descent_mistakes.add(
    "one step too many",
    "your result has `steps + 2` rows: the loop runs `steps + 1` times. "
    "`for _ in range(steps)` makes exactly `steps` updates after the starting row.",
)
def _gd_one_step_too_many(grad, x0, lr, steps):
    return _gd_iterates(x0, steps + 1, lambda x: x - lr * grad(x))  # steps + 1 updates


@gradient_descent_mistakes.add(
    "missing the last iterate",
    "your rows are x_0 ... x_{steps−1}: you store x before each update, so the point "
    "reached by the last step is lost. Store x0 first, then append x after each "
    "update (steps + 1 rows).",
)
def _gd_missing_last(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = []
    for _ in range(steps):
        xs.append(x)  # stored before the update: the last iterate is never stored
        x = x - lr * grad(x)
    return np.array(xs)


@gradient_descent_mistakes.add(
    "gradient evaluated only at x0",
    "your iterates move along a straight line: the gradient was computed once, "
    "before the loop. Evaluate it at the current point in every step: "
    "x = x − lr·grad(x).",
)
def _gd_gradient_once(grad, x0, lr, steps):
    g = grad(np.array(x0, dtype=float))  # evaluated once, at the start
    return _gd_iterates(x0, steps, lambda x: x - lr * g)


@gradient_descent_mistakes.add(
    "np.append flattens the iterates",
    "np.append without an axis flattens: your result is one 1-D array of (steps + 1)·d "
    "numbers, not steps + 1 rows of d coordinates. Keep the iterates in a list and stack "
    "them once at the end with np.array.",
)
def _gd_np_append(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = np.array([x])  # one row: right as long as steps = 0
    for _ in range(steps):
        x = x - lr * grad(x)
        xs = np.append(xs, x)  # no axis: one flat array
    return xs


@gradient_descent_mistakes.add(
    "row 0 left at zero",
    "rows 1 to steps are right, but row 0 is still the zero row np.zeros made: x0 was never "
    "stored in it. Row 0 of the result is the starting point x0 itself.",
)
def _gd_start_not_stored(grad, x0, lr, steps):
    xs = np.zeros((steps + 1, len(x0)))
    x = np.array(x0, dtype=float)
    for t in range(steps):
        x = x - lr * grad(x)
        xs[t + 1] = x
    return xs  # xs[0] is never written


@gradient_descent_mistakes.add(
    "last row left at zero",
    "rows 0 to steps − 1 are right, but the last row is still the zero row np.zeros made: "
    "range(1, steps) stops one row short. The loop must fill every row from 1 to steps "
    "(range(1, steps + 1)), one update per row.",
)
def _gd_last_row_not_filled(grad, x0, lr, steps):
    xs = np.zeros((steps + 1, len(x0)))
    xs[0] = x0
    for t in range(1, steps):  # stops at row steps − 1
        xs[t] = xs[t - 1] - lr * grad(xs[t - 1])
    return xs


def _start(rng: np.random.Generator, dim: int) -> np.ndarray:
    return np.round(rng.uniform(0.4, 2.0, dim) * rng.choice([-1.0, 1.0], dim), 3)


#: The minima of the two bowls below (a run that starts there must stay there).
BOWL2_MIN, BOWL3_MIN = np.array([0.7, -0.4]), np.array([0.5, -1.2, 0.8])


def _bowl2_grad(x: np.ndarray) -> np.ndarray:
    """The gradient of ``f(x) = ((x_1 − 0.7)² + 4 (x_2 + 0.4)²) / 2``, zero at ``BOWL2_MIN``."""
    return np.array([1.0, 4.0]) * (x - BOWL2_MIN)


def _bowl3_grad(x: np.ndarray) -> np.ndarray:
    """The gradient of ``f(x) = Σ_i i (x_i − m_i)² / 2`` with ``m = BOWL3_MIN``, zero there."""
    return np.array([1.0, 2.0, 3.0]) * (x - BOWL3_MIN)


def _gd_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    bowl2 = ill_conditioned_quadratic(10.0, theta=0.5)
    cases = [
        Case("rotated κ=10 quadratic, d=2", (bowl2.grad, _start(rng, 2), 0.5, 12)),
        Case(
            "rotated κ=50 quadratic, d=2, lr close to 2/L (zig-zag)",
            (ill_conditioned_quadratic(50.0, theta=-0.9).grad, _start(rng, 2), 1.8, 10),
        ),
        Case(
            "randomly rotated κ=20 quadratic, d=5",
            (random_rotated_quadratic(rng, 5, 20.0, L=3.0).grad, _start(rng, 5), 0.5, 8),
        ),
        Case(
            "Rosenbrock valley from (-1.2, 1.0)",
            (Rosenbrock().grad, np.array([-1.2, 1.0]), 1e-3, 20),
        ),
        Case("steps=0: only the starting point", (bowl2.grad, _start(rng, 2), 0.3, 0)),
        Case(
            "starting at the minimum: the gradient is 0, every one of the 6 rows is x0",
            (_bowl2_grad, BOWL2_MIN.copy(), 0.5, 5),
        ),
        Case(
            "lr = 2.2 > 2/L: the iterates grow to about 2e6 and are all returned",
            (ill_conditioned_quadratic(4.0, theta=0.3).grad, np.array([-1.2, 0.9]), 2.2, 80),
        ),
    ]
    if hidden:
        cases = [
            Case(
                "randomly rotated κ=100 quadratic, d=8",
                (random_rotated_quadratic(rng, 8, 100.0, L=2.0).grad, _start(rng, 8), 0.9, 15),
            ),
            Case(
                "randomly rotated κ=5 quadratic, d=3",
                (random_rotated_quadratic(rng, 3, 5.0).grad, _start(rng, 3), 1.2, 6),
            ),
            Case(
                "Rosenbrock valley from (0.5, -0.4)",
                (Rosenbrock().grad, np.array([0.5, -0.4]), 2e-3, 25),
            ),
            Case(
                "rotated κ=30 quadratic, d=2, lr = 1/L",
                (ill_conditioned_quadratic(30.0, theta=-1.1).grad, _start(rng, 2), 1.0, 9),
            ),
            Case(
                "one step, d=4",
                (random_rotated_quadratic(rng, 4, 8.0).grad, _start(rng, 4), 0.7, 1),
            ),
            Case(
                "a long run, d=6",
                (random_rotated_quadratic(rng, 6, 10.0).grad, _start(rng, 6), 0.25, 40),
            ),
            Case(
                "steps=0, d=3", (random_rotated_quadratic(rng, 3, 4.0).grad, _start(rng, 3), 0.5, 0)
            ),
            Case(
                "lr = 2.5 > 2/L: the iterates grow to about 1e7, and there are still steps + 1",
                (ill_conditioned_quadratic(4.0, theta=0.3).grad, np.array([1.5, -0.8]), 2.5, 40),
            ),
            Case("starting at the minimum, d=3", (_bowl3_grad, BOWL3_MIN.copy(), 0.4, 7)),
        ]
    return cases


register(
    FunctionExercise(
        name="ch02_gradient_descent",
        chapter="02",
        title="Gradient descent, every iterate",
        signature="gradient_descent(grad, x0, lr, steps) -> array of shape (steps + 1, d)",
        hint=(
            "Start from a copy of x0, then repeat `steps` times x ← x − lr·grad(x), keeping every "
            "iterate; np.array(list_of_rows) stacks them. Row 0 is x0 itself."
        ),
        solution=gradient_descent,
        suites=seeded(_gd_cases, visible=2, hidden=20),
        mistakes=gradient_descent_mistakes.all,
        diagnoses={
            "transposed": "the result has one row per iterate (x_0, ..., x_steps: steps + 1 "
            "rows) and one column per coordinate (d columns). np.array of the list of iterates "
            "stacks them as rows: drop the .T (or the axis=1, or np.column_stack).",
        },
        references=(
            "dlnotes.landscapes:gradient_descent",
            "dlnotes.landscapes:heavy_ball",  # with rho = 0, the same iterates bit for bit
            "dlnotes.landscapes:optimizer_run",  # with SGD, the same iterates
        ),
    )
)


# ============================================================================================
# ch02_max_stable_lr
# ============================================================================================


def max_stable_lr(H: np.ndarray) -> float:
    """The largest stable step of gradient descent on a quadratic with Hessian ``H`` (d×d, SPD).

    Along an eigenvector with eigenvalue λ the error is multiplied by ``1 − lr·λ`` per step, so
    gradient descent converges iff ``lr < 2 / λ_max(H)``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    return float(2.0 / np.linalg.eigvalsh(H)[-1])


#: The common mistakes of ``ch02_max_stable_lr``, each declared on its wrong code.
max_stable_lr_mistakes = Mistakes()


@max_stable_lr_mistakes.add(
    "1/λ_max",
    "1/λ_max is the step that solves the stiffest direction in one step; the limit "
    "of stability is twice that, 2/λ_max.",
)
def _lr_one_over_lmax(H):
    return 1.0 / np.linalg.eigvalsh(H)[-1]


@max_stable_lr_mistakes.add(
    "2/λ_min",
    "the flattest direction (λ_min) sets how slowly gradient descent converges, not "
    "when it diverges: the stiffest direction (λ_max) blows up first.",
)
def _lr_two_over_lmin(H):
    return 2.0 / np.linalg.eigvalsh(H)[0]


@max_stable_lr_mistakes.add(
    "2/(largest entry of H)",
    "the largest entry of H (for a positive-definite H it is on the diagonal) is not "
    "its largest eigenvalue once H is rotated: use np.linalg.eigvalsh(H) and take the "
    "largest.",
)
def _lr_diagonal(H):
    return 2.0 / np.max(np.diag(H))


@max_stable_lr_mistakes.add(
    "2/trace(H)",
    "the trace is the sum of all eigenvalues, not the largest one: use np.linalg.eigvalsh(H)[-1].",
)
def _lr_trace(H):
    return 2.0 / np.trace(H)


@max_stable_lr_mistakes.add(
    "2/‖H‖ with the Frobenius norm",
    "np.linalg.norm(H) of a matrix is the Frobenius norm, sqrt(Σ λ²), larger than "
    "λ_max. The largest eigenvalue is np.linalg.eigvalsh(H)[-1] (or the spectral "
    "norm np.linalg.norm(H, 2) of a positive-definite H).",
)
def _lr_frobenius(H):
    return 2.0 / np.linalg.norm(H)


@max_stable_lr_mistakes.add(
    "2/(λ_max + λ_min), the best step",
    "2/(λ_max + λ_min) is the step that converges fastest, safely inside the stable "
    "range. The question is where the range ends: 2/λ_max.",
)
def _lr_optimal_step(H):
    lam = np.linalg.eigvalsh(H)
    return 2.0 / (lam[-1] + lam[0])


#: The hint for a rate a little below the limit 2/λ_max: the mistake below (0.99·2/λ_max) and
#: the exercise's wording of the other factors just below 1 (its ``diagnoses``).
_JUST_BELOW = (
    "the answer is the supremum 2/λ_max itself: the largest rate is the bound (at exactly "
    "2/λ_max the iteration oscillates without growing), not a rate a little below it."
)


@max_stable_lr_mistakes.add("just below the limit", _JUST_BELOW)
def _lr_just_below(H):
    return 0.99 * 2.0 / np.linalg.eigvalsh(H)[-1]


@max_stable_lr_mistakes.add(
    "λ_max/2, the ratio upside down",
    "the limit is 2 divided by the largest eigenvalue, 2/λ_max: along its direction each "
    "step multiplies the error by 1 − lr·λ_max, which stays above −1 only while "
    "lr < 2/λ_max.",
)
def _lr_upside_down(H):
    return np.linalg.eigvalsh(H)[-1] / 2.0


@max_stable_lr_mistakes.add(
    "np.linalg.eigvals is not sorted",
    "np.linalg.eigvals (like np.linalg.eig) returns the eigenvalues in no particular order, "
    "so [-1] is not always the largest. Take the largest of them with max, or use "
    "np.linalg.eigvalsh(H), which returns a symmetric matrix's eigenvalues in increasing "
    "order.",
)
def _lr_eigvals_unsorted(H):
    return 2.0 / np.linalg.eigvals(H)[-1]


def _spd(rng: np.random.Generator, dim: int, low: float, high: float) -> np.ndarray:
    """A random rotated symmetric positive-definite matrix with eigenvalues in [low, high]."""
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    eig = np.sort(rng.uniform(low, high, dim))
    eig[0], eig[-1] = low, high  # pin the extremes so every case is ill-conditioned
    return Q @ np.diag(eig) @ Q.T


def _lr_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    sizes = [(2, 0.9, 4.7), (3, 0.25, 6.0), (5, 0.05, 2.5), (4, 1.3, 11.0)]
    if hidden:
        # The extremes move with the seed, so each seed's answers 2/λ_max are its own: an answer
        # looked up by the matrix's size from one suite is wrong in another.
        sizes = [
            (d, round(lo * rng.uniform(0.6, 1.0), 3), round(hi * rng.uniform(1.0, 1.6), 3))
            for d, lo, hi in [(6, 0.1, 3.3), (2, 0.4, 0.75), (8, 0.02, 14.0), (3, 2.0, 9.5)]
        ]
    return [
        Case(f"rotated {d}×{d} Hessian, eigenvalues from {lo} to {hi}", (_spd(rng, d, lo, hi),))
        for d, lo, hi in sizes
    ]


register(
    FunctionExercise(
        name="ch02_max_stable_lr",
        chapter="02",
        title="The largest stable learning rate",
        signature="max_stable_lr(H) -> float",
        hint=(
            "On a quadratic each eigen-direction is multiplied by (1 − lr·λ) per step; all of them "
            "shrink iff lr < 2/λ_max. np.linalg.eigvalsh(H) gives the eigenvalues of a symmetric "
            "matrix in increasing order."
        ),
        solution=max_stable_lr,
        suites=seeded(_lr_cases, visible=3, hidden=30),
        mistakes=max_stable_lr_mistakes.all,
        # the registered mistake is 0.99·2/λ_max; a diagnosis matches one factor exactly, so
        # the other rates "a little below" the limit that learners write each get a key
        diagnoses={
            f"factor {c}": _JUST_BELOW
            for c in ("0.9", "0.95", "0.975", "0.98", "0.995", "0.999", "0.9995", "0.9999")
        },
    )
)


# ============================================================================================
# ch02_clip_by_norm
# ============================================================================================


def clip_by_norm(g: np.ndarray, max_norm: float) -> np.ndarray:
    """Clip the gradient ``g`` (any shape) to Euclidean norm at most ``max_norm``.

    ``g · min(1, max_norm / ‖g‖)``, where ``‖g‖`` is the norm over all entries: the direction
    is kept, only a too-long gradient shrinks. Returns a new array of ``g``'s shape and dtype.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    norm = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return g * scale  # a Python float keeps float32 as float32


#: The common mistakes of ``ch02_clip_by_norm``, each declared on its wrong code.
clip_by_norm_mistakes = Mistakes()


@clip_by_norm_mistakes.add(
    "element-wise clipping",
    "np.clip caps each entry separately, which changes the gradient's direction. "
    "Clipping by norm rescales the whole array: g · min(1, max_norm/‖g‖).",
)
def _clip_elementwise(g, max_norm):
    return np.clip(g, -max_norm, max_norm)


@clip_by_norm_mistakes.add(
    "always rescales",
    "short gradients must be left alone: the factor is min(1, max_norm/‖g‖), so only "
    "gradients longer than max_norm shrink (yours stretches short ones to max_norm).",
)
def _clip_always(g, max_norm):
    return g * (max_norm / np.linalg.norm(g))


@clip_by_norm_mistakes.add(
    "modifies g in place",
    "`g *= ...` changed the caller's gradient and returned it. Return a new array: "
    "`return g * scale`.",
)
def _clip_in_place(g, max_norm):
    g *= min(1.0, max_norm / np.linalg.norm(g))
    return g


@clip_by_norm_mistakes.add(
    "squared norm",
    "np.sum(g**2) is ‖g‖², not ‖g‖: take its square root (or use np.linalg.norm(g)).",
)
def _clip_squared_norm(g, max_norm):
    return g * min(1.0, max_norm / np.sum(g**2))


@clip_by_norm_mistakes.add(
    "float32 turned into float64",
    "a float32 gradient must stay float32 (half the memory, and what the model "
    "expects): multiplying by a Python float keeps the dtype, converting to float64 or "
    "multiplying by an np.float64 does not.",
)
def _clip_upcasts(g, max_norm):
    g64 = np.asarray(g, dtype=np.float64)
    return g64 * min(1.0, max_norm / np.linalg.norm(g64))


@clip_by_norm_mistakes.add(
    "returns g itself when short",
    "when ‖g‖ ≤ max_norm you returned the caller's array, not a new one: whoever "
    "changes the result changes the gradient too. Always return a new array, e.g. "
    "g * scale with scale = 1.0 (or g.copy()).",
)
def _clip_returns_input(g, max_norm):
    norm = float(np.linalg.norm(g))
    if norm > max_norm:
        g = g * (max_norm / norm)
    return g  # a short gradient comes back as the caller's own array


@clip_by_norm_mistakes.add(
    "returns g itself when zero",
    "for a zero gradient you returned the caller's array, not a new one (every other "
    "gradient comes back as a new array): whoever changes the result changes the gradient "
    "too. Return a new array in the zero-gradient branch as well, e.g. g.copy() (or let "
    "g * scale with scale = 1.0 handle it).",
)
def _clip_returns_zero_input(g, max_norm):
    norm = np.linalg.norm(g)
    if norm == 0:
        return g  # the zero gradient comes back as the caller's own array
    return g * min(1.0, max_norm / norm)


@clip_by_norm_mistakes.add(
    "norm per row",
    "clipping by norm uses one norm over all entries of g, whatever its shape: "
    "np.linalg.norm(g) without an axis (or sqrt(np.sum(g**2))). A norm per row "
    "rescales each row differently and turns the gradient.",
)
def _clip_per_row(g, max_norm):
    norm = np.linalg.norm(g, axis=-1, keepdims=True)
    return g * np.minimum(1.0, max_norm / norm)


@clip_by_norm_mistakes.add(
    "norm per column",
    "np.linalg.norm(g, axis=0) is one norm per column, so each column is rescaled on its own "
    "and the gradient turns (for a 1-D g it is the one norm, which is why only the matrix "
    "checks fail). Clipping by norm uses one norm over all entries of g, whatever its shape: "
    "np.linalg.norm(g) without an axis.",
)
def _clip_per_column(g, max_norm):
    norm = np.linalg.norm(g, axis=0)
    return g * np.minimum(1.0, max_norm / norm)


def _with_norm(
    rng: np.random.Generator, shape: tuple[int, ...], norm: float, dtype: Any = np.float64
) -> np.ndarray:
    g = rng.standard_normal(shape)
    return (g * (norm / np.linalg.norm(g))).astype(dtype)


def _clip_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    if not hidden:
        return [
            Case("a long gradient, ‖g‖ = 5.3 > max_norm = 1.5", (_with_norm(rng, (7,), 5.3), 1.5)),
            Case(
                "a short gradient, ‖g‖ = 3 < max_norm = 4: left alone",
                (_with_norm(rng, (6,), 3.0), 4.0),
            ),
            Case(
                "a float32 gradient, ‖g‖ = 8 > max_norm = 2",
                (_with_norm(rng, (12,), 8.0, np.float32), 2.0),
            ),
            Case(
                "a (3, 4) gradient matrix: the norm runs over all entries",
                (_with_norm(rng, (3, 4), 6.5), 1.0),
            ),
            Case(
                "a zero gradient, ‖g‖ = 0 (every unit dead): zeros back, no division by ‖g‖",
                (np.zeros(5), 1.0),
            ),
        ]
    return [
        Case("a long gradient, d=20", (_with_norm(rng, (20,), 14.0), 3.0)),
        Case("a (2, 3, 2) gradient tensor", (_with_norm(rng, (2, 3, 2), 2.6), 0.8)),
        Case(
            "a short float32 gradient, ‖g‖ = 1.7 < max_norm = 2.5",
            (_with_norm(rng, (9,), 1.7, np.float32), 2.5),
        ),
        Case("‖g‖ just above max_norm", (_with_norm(rng, (5,), 2.2), 2.0)),
        Case("a (4, 3) gradient matrix", (_with_norm(rng, (4, 3), 3.1), 1.2)),
        Case("a zero float32 gradient matrix", (np.zeros((3, 2), dtype=np.float32), 0.5)),
    ]


@clip_by_norm_mistakes.add(
    "spectral norm of a matrix",
    "np.linalg.norm(g, 2) of a matrix is its largest singular value, not the norm over all "
    "entries. Clipping treats the gradient as one long vector: np.linalg.norm(g) without an "
    "ord (or np.sqrt(np.sum(g**2))).",
)
def _clip_spectral(g, max_norm):
    norm = float(np.linalg.norm(g, 2)) if g.ndim == 2 else float(np.linalg.norm(g))
    return g * (min(1.0, max_norm / norm) if norm > 0 else 1.0)


@clip_by_norm_mistakes.add(
    "max instead of min",
    "the factor is min(1, max_norm/‖g‖): at most 1, so a gradient only ever shrinks. With "
    "max, a long gradient is left alone and a short one is stretched up to max_norm.",
)
def _clip_max(g, max_norm):
    return g * max(1.0, max_norm / np.linalg.norm(g))


@clip_by_norm_mistakes.add(
    "max instead of min (zero gradient kept)",
    "the factor is min(1, max_norm/‖g‖): at most 1, so a gradient only ever shrinks. With "
    "max, a long gradient is left alone and a short one is stretched up to max_norm (your "
    "zero-gradient case is right).",
)
def _clip_max_guarded(g, max_norm):
    norm = np.linalg.norm(g)
    return g * max(1.0, max_norm / norm) if norm > 0 else g.copy()


@clip_by_norm_mistakes.add(
    "always rescales (zero gradient kept)",
    "short gradients must be left alone: the factor is min(1, max_norm/‖g‖), so a gradient "
    "shorter than max_norm comes back unchanged and only a longer one shrinks. Yours "
    "multiplies every gradient by max_norm/‖g‖, which stretches a short one up to length "
    "max_norm (your zero-gradient case is right).",
)
def _clip_always_guarded(g, max_norm):
    norm = np.linalg.norm(g)
    return g * (max_norm / norm) if norm > 0 else g.copy()


@clip_by_norm_mistakes.add(
    "ratio upside down",
    "the factor is max_norm/‖g‖, not ‖g‖/max_norm: a gradient twice too long must be halved, "
    "min(1, max_norm/‖g‖) = 1/2.",
)
def _clip_inverted(g, max_norm):
    return g * min(1.0, float(np.linalg.norm(g)) / max_norm)


@clip_by_norm_mistakes.add(
    "L1 norm",
    "np.sum(np.abs(g)) is the L1 norm; clipping uses the Euclidean (L2) norm "
    "‖g‖ = √(Σ g²), np.linalg.norm(g).",
)
def _clip_l1(g, max_norm):
    return g * min(1.0, max_norm / np.sum(np.abs(g)))


@clip_by_norm_mistakes.add(
    "divides by a zero norm",
    "your result is right for every g but the zero one, where it is NaN: the formula divides "
    "by ‖g‖ = 0 (g/‖g‖ is 0/0; max_norm/‖g‖ is inf, and inf times a zero entry, a 0 or a "
    "False mask is NaN, not 0). Divide only when ‖g‖ > 0: a zero gradient comes back as "
    "zeros.",
)
def _clip_normalized_first(g, max_norm):
    # g / ‖g‖ · min(‖g‖, max_norm); g·(c/‖g‖)·(‖g‖ > c) + g·(‖g‖ ≤ c) behaves the same
    norm = np.linalg.norm(g)
    return g / norm * min(norm, max_norm)


@clip_by_norm_mistakes.add(
    "max-norm (np.inf) instead of the Euclidean norm",
    "np.linalg.norm(g, np.inf) is the largest |entry| of a vector (of a matrix, the largest "
    "row sum of |entries|), not its length. max_norm bounds the Euclidean norm "
    "‖g‖ = √(Σ g²): np.linalg.norm(g) without an ord.",
)
def _clip_inf_norm(g, max_norm):
    return g * min(1.0, max_norm / np.linalg.norm(g, np.inf))


@clip_by_norm_mistakes.add(
    "root mean square instead of the norm",
    "np.sqrt(np.mean(g**2)) is the root mean square, √n times smaller than the norm "
    "‖g‖ = √(Σ g²) of n entries, so a long gradient is clipped too little or not at all. "
    "Sum the squares instead of averaging them (or use np.linalg.norm(g)).",
)
def _clip_rms(g, max_norm):
    return g * min(1.0, max_norm / np.sqrt(np.mean(g**2)))


register(
    FunctionExercise(
        name="ch02_clip_by_norm",
        chapter="02",
        title="Gradient clipping by norm",
        signature="clip_by_norm(g, max_norm) -> array like g",
        hint=(
            "Compute the norm over all entries, ‖g‖ = sqrt(sum of g²), then return "
            "g * min(1, max_norm / ‖g‖): a new array, same shape and dtype, same direction (a "
            "zero gradient comes back as zeros: divide only when ‖g‖ > 0)."
        ),
        solution=clip_by_norm,
        suites=seeded(_clip_cases, visible=4, hidden=40),
        mistakes=clip_by_norm_mistakes.all,
        rtol=1e-5,
        atol=1e-7,
    )
)


# ============================================================================================
# ch02_lr_challenge (explorer challenge: a value)
# ============================================================================================

# The challenge's settings (``kappa``, ``x0``, ``steps``, ``target``), its bowl, its loss and the
# band of winning learning rates live in the library (:data:`~dlnotes.landscapes.LR_CHALLENGE`,
# :func:`~dlnotes.landscapes.challenge_loss`, :func:`~dlnotes.landscapes.lr_challenge_band`);
# chapter 02's explorer reads the same settings there.


def _challenge_run(lr: float) -> Run:
    """``LR_CHALLENGE.steps`` steps of gradient descent with ``lr`` on the challenge's bowl."""
    return _library_gradient_descent(LR_CHALLENGE.bowl(), LR_CHALLENGE.x0, lr, LR_CHALLENGE.steps)


# The mistakes of a positive lr that misses the target, tried in this order.
lr_challenge_mistakes = ValueMistakes()


@lr_challenge_mistakes.add(
    "on the edge: it oscillates forever",
    "lr is 2/L = 2: along the steep direction each step multiplies the error by "
    "1 − lr·L = −1, so it flips sign forever, neither converging nor diverging, and f never "
    "drops below what the steep direction holds. 2/L is the edge of stability, not a usable "
    "step: stay below it.",
    example=2.0,
)
def _on_the_edge(lr: float) -> bool:
    """``lr·L = 2`` (to a millionth): the steep direction's error keeps its size and flips
    sign at every step, ``1 − lr·L = −1``."""
    return math.isclose(lr * LR_CHALLENGE.bowl().L, 2.0, rel_tol=1e-6)


@lr_challenge_mistakes.add(
    "diverged",
    "lr > 2/L = 2: along the steep direction each step multiplies the error by "
    "|1 − lr·L| > 1, so it grows at every step (flipping sign as it goes). Stay below 2/L.",
    example=2.5,
)
def _diverges(lr: float) -> bool:
    """The run blows up, or the steep direction's error never shrinks: ``|1 − lr·L| ≥ 1``
    (``lr·L = 2`` exactly is :func:`_on_the_edge`, tried first)."""
    return _challenge_run(lr).diverged or abs(1 - lr * LR_CHALLENGE.bowl().L) >= 1.0


def _left_over(lr: float) -> np.ndarray:
    """What is left of ``f`` along each eigen-direction of the bowl (flat first, steep last)
    after ``LR_CHALLENGE.steps`` steps: ``½ λ_i (c_i (1 − lr λ_i)^T)²``, with ``c`` the
    eigen-coordinates of ``x0``."""
    eig, V = np.linalg.eigh(LR_CHALLENGE.bowl().A)
    c = V.T @ np.asarray(LR_CHALLENGE.x0)
    return 0.5 * eig * (c * np.abs(1 - lr * eig) ** LR_CHALLENGE.steps) ** 2


@lr_challenge_mistakes.add(
    "too small",
    "the flat direction (curvature μ = L/κ = 0.1) shrinks by only |1 − lr·μ| per step "
    "and 60 steps are not enough: take a larger step, as large as the steep "
    "direction allows while it still shrinks quickly.",
    example=0.5,
)
def _flat_direction_left(lr: float) -> bool:
    """No zig-zag in the steep direction (``lr·L ≤ 1``: with a tiny lr more of ``f`` can be
    left along the steep direction, but a larger step is still the fix), or more of ``f``
    left along the flat direction than along the steep one."""
    if lr * LR_CHALLENGE.bowl().L <= 1.0:
        return True
    left = _left_over(lr)
    return bool(left[0] >= left[-1])


@lr_challenge_mistakes.add(
    "oscillating in the steep direction",
    "|1 − lr·L| is close to 1: the steep coordinate flips sign every step and barely "
    "shrinks (the zig-zag). Back off a little from 2/L.",
    example=1.99,
)
def _steep_direction_left(lr: float) -> bool:
    """The steep direction is what is left (the other side of :func:`_flat_direction_left`)."""
    return not _flat_direction_left(lr)


def _not_a_number(value: Any) -> str:
    """What to write instead of ``value``, an ``lr_challenge`` that is not a number: a
    string that reads as one without its quotes, one number without its list or array."""
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
        if math.isfinite(number) and "_" not in value:
            return (
                f"lr_challenge must be a number: write lr_challenge = {value.strip()} (no quotes)"
            )
        return (
            f"lr_challenge must be a number, not the string {value!r}: write a number after "
            "lr_challenge =, without quotes"
        )
    if isinstance(value, (list, tuple, np.ndarray)):
        try:  # a ragged list or one of strings that are not numbers is no one number
            numbers = np.asarray(value, dtype=float).ravel()
            one = float(numbers[0]) if numbers.size == 1 else math.nan
        except (TypeError, ValueError):
            one = math.nan
        if math.isfinite(one):
            kind = "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
            return f"lr_challenge must be one number, not {kind}: write lr_challenge = {one:g}"
    return f"lr_challenge must be a number, e.g. lr_challenge = 0.5; got {value!r}"


def _verify_lr(lr: Any) -> ValueVerdict:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        return ValueVerdict(False, _not_a_number(lr))
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        return ValueVerdict(
            False, f"lr_challenge must be a positive number (a learning rate), got {lr!r}"
        )
    bowl, goal = LR_CHALLENGE.bowl(), LR_CHALLENGE.target
    run = _challenge_run(lr)
    f = float(run.fs.min())
    target = f"f < {goal:g} within {LR_CHALLENGE.steps} steps"
    if not run.diverged and f < goal:
        lo, hi = lr_challenge_band(LR_CHALLENGE)
        lo, hi = math.ceil(lo * 1000) / 1000, math.floor(hi * 1000) / 1000  # shown: inside
        return ValueVerdict(
            True,
            f"lr = {lr:g} reaches f = {loss_text(f, goal)}: {target} "
            f"(any lr from {lo:.3f} to {hi:.3f} does)",
        )
    L, mu = bowl.L, bowl.mu
    details = (
        f"per step, the steep direction (curvature L = {L:g}) is multiplied by "
        f"|1 − lr·L| = {abs(1 - lr * L):.4g} and the flat one (μ = {mu:g}) by "
        f"|1 − lr·μ| = {abs(1 - lr * mu):.4g}",
    )
    if run.diverged:
        summary = f"lr = {lr:g}: diverged after {run.steps} steps; the target is {target}"
    elif _diverges(lr):  # |1 − lr·L| ≥ 1 but no blow-up yet (at lr = 2/L, f never shrinks)
        summary = f"lr = {lr:g}: f = {loss_text(f, goal)} at best; the target is {target}"
    else:
        summary = (
            f"lr = {lr:g}: after {LR_CHALLENGE.steps} steps f = {loss_text(f, goal)}, "
            f"not below {goal:g}"
        )
    return ValueVerdict(False, summary, lr_challenge_mistakes.shown_by(lr), details)


register(
    ValueExercise(
        name="ch02_lr_challenge",
        chapter="02",
        title="Challenge: beat the κ = 10 bowl in 60 steps",
        signature="lr_challenge = ...  (a number)",
        hint=(
            f"With the explorer, find a learning rate for which gradient descent on "
            f"ill_conditioned_quadratic(kappa={LR_CHALLENGE.kappa:g}) from x0 = "
            f"{LR_CHALLENGE.x0} reaches f < {LR_CHALLENGE.target:g} within {LR_CHALLENGE.steps} "
            "steps. The flat direction wants a large step, the steep one must stay below 2/L."
        ),
        solution=1.6,
        verify=_verify_lr,
        mistakes=lr_challenge_mistakes.all,
    )
)
