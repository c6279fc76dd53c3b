"""Exercises of chapter 08 (Gradient checking).

* ``ch08_numerical_gradient``: ``numerical_gradient(f, x, h)``, the two-sided difference
  ``(f(x + h e_i) - f(x - h e_i)) / (2h)`` for every entry of an array of any shape;
* ``ch08_relative_error``: ``relative_error(a, b) = ‖a − b‖ / max(‖a‖ + ‖b‖, tiny)``.

Each exercise is laid out as in chapter 02: the reference solution, the common wrong versions
(``_name_of_the_mistake``), the visible and hidden cases, then one :func:`register` call.

Defined in chapter 08 (Gradient checking).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch08_numerical_gradient
# ============================================================================================


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """Two-sided numerical gradient of a scalar function ``f`` at ``x`` (any shape).

    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)`` for every entry ``i`` of ``x``; the
    result is a new float64 array of ``x``'s shape and ``x`` is left exactly as it was. Error
    ``O(h²)`` (plus round-off ``~ ε|f|/h``). Costs ``2 x.size`` evaluations of ``f``.

    Defined in chapter 08 (Gradient checking).
    """
    x = np.array(x, dtype=np.float64)  # our own copy: the caller's x is never touched
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):  # every entry, whatever the number of axes
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old  # restore exactly (old + h - h need not equal old in floating point)
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def _two_sided_loop(f, x, h, indices, width):
    """The reference's loop with two of its pieces given: on a float64 copy of ``x``, for every
    ``i`` in ``indices(x)``, ``grad[i] = (f(x[i] = old + h) − f(x[i] = old − h)) / width``,
    putting ``x[i] = old`` back after each entry."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in indices(x):
        old = x[i].copy()  # a copy: x[i] is a view when i picks a whole row
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / width
    return grad


def _in_place_differences(f, x, h, add_back_h):
    """Two-sided differences taken on the caller's ``x`` itself, with no copy and no saved
    ``old``: ``x[i] += h``, then ``x[i] -= 2 * h``, then ``x[i] += h`` only if ``add_back_h``."""
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        if add_back_h:
            x[i] += h
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


#: The common mistakes of ``ch08_numerical_gradient``, each declared on its wrong code.
numerical_gradient_mistakes = Mistakes()


@numerical_gradient_mistakes.add(
    "one-sided difference",
    "(f(x + h e_i) − f(x)) / h is the one-sided difference: its error is O(h), "
    "not O(h²). Use both sides: (f(x + h e_i) − f(x − h e_i)) / (2h).",
)
def _ng_one_sided(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    f_x = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - f_x) / h
        x[i] = old
    return grad


@numerical_gradient_mistakes.add(
    "backward one-sided difference",
    "(f(x) − f(x − h e_i)) / h is the backward one-sided difference: like the forward one, "
    "its error is O(h), not O(h²). Use both sides: (f(x + h e_i) − f(x − h e_i)) / (2h).",
)
def _ng_backward_one_sided(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    f_x = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old - h
        grad[i] = (f_x - f(x)) / h
        x[i] = old
    return grad


@numerical_gradient_mistakes.add(
    "scaled step",
    "your step is h·max(1, |x_i|), scaled to each entry, not the h the function is given: "
    "for entries larger than 1 in size the step is larger, and so is the O(h²) error. Use "
    "the given h itself for every entry: (f(x + h e_i) − f(x − h e_i)) / (2h).",
)
def _ng_scaled_step(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        step = h * max(1.0, abs(old))  # a relative step: larger than h where |x_i| > 1
        x[i] = old + step
        f_plus = f(x)
        x[i] = old - step
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * step)
    return grad


@numerical_gradient_mistakes.add(
    "divides by h instead of 2h",
    "your gradient is exactly twice the right one: x + h and x − h are 2h apart, "
    "so the difference of f divides by 2h.",
)
def _ng_divides_by_h(f, x, h):
    return _two_sided_loop(f, x, h, lambda x: np.ndindex(x.shape), width=h)  # not 2 * h


@numerical_gradient_mistakes.add(
    "x not restored",
    "after evaluating f(x − h e_i) you leave x[i] at old − h, so every later entry "
    "is differentiated at a shifted point and the caller's x changes. Save "
    "old = x[i] first and put it back with x[i] = old (on your own copy of x).",
)
def _ng_not_restored(f, x, h):
    return _in_place_differences(f, x, h, add_back_h=False)  # x[i] stays at old - h


@numerical_gradient_mistakes.add(
    "restores x by arithmetic",
    "x[i] += h, then -= 2h, then += h does not always give back x[i] exactly in "
    "floating point, so the caller's x changes in its last digits. Work on a copy "
    "(np.array(x, dtype=float)) and restore with x[i] = old.",
)
def _ng_restored_by_arithmetic(f, x, h):
    # x[i] += h at the end: (old + h) - 2h + h is not always old in floating point
    return _in_place_differences(f, x, h, add_back_h=True)


@numerical_gradient_mistakes.add(
    "f_minus evaluated at x, not at x − h",
    "your f_minus is f(x), so (f(x + h) − f(x)) / 2h is about half the right gradient. Often "
    "x[i] was put back (or h subtracted once from x + h, or `x_plus = x` did not copy, so that "
    "x_minus started from x_plus) before f_minus was taken. "
    "Evaluate f at x + h·e_i and at x − h·e_i, each from x itself: x[i] = old − h for f_minus.",
)
def _ng_no_copy(f, x, h):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        x_plus = x  # not a copy: the same array
        x_plus[i] += h
        f_plus = f(x_plus)
        x_minus = x  # the same array again, still holding old + h
        x_minus[i] -= h
        f_minus = f(x_minus)
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@numerical_gradient_mistakes.add(
    "iterates over the first axis only",
    "`for i in range(len(x))` visits rows, and x[i] += h shifts a whole row of a "
    "2-D x at once. Visit every entry: `for i in np.ndindex(x.shape)` (or work on "
    "x.reshape(-1) of a copy).",
)
def _ng_first_axis_only(f, x, h):
    # range(len(x)): x[i] is a whole row when x has 2 or more axes
    return _two_sided_loop(f, x, h, lambda x: range(x.shape[0]), width=2 * h)


@numerical_gradient_mistakes.add(
    "a row at a time, old a view of it",
    "`for i in range(len(x))` visits rows: with a 2-D x, x[i] is a whole row, so x[i] = old + h "
    "shifts the row at once. And old = x[i] is a view of that row, not a saved value: it "
    "changes with x[i], so x[i] = old − h puts back the unshifted row and your f_minus is "
    "f(x), not f(x − h e_i). Visit every entry, `for i in np.ndindex(x.shape)`, where x[i] "
    "is one number.",
)
def _ng_rows_old_a_view(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i]  # a view of row i when x is 2-D: it follows x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h  # old is now the shifted row: this restores it
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@numerical_gradient_mistakes.add(
    "x_plus and x_minus are x itself",
    # (x[i] + h) - h gives back x[i] exactly on every case, so this also names the same
    # aliasing done on a copy of x: the caller's x ends unchanged either way
    "x_plus = x does not copy: x_plus, x_minus and x are one array, so after x_plus[i] += h and "
    "x_minus[i] -= h that array holds x again, and f(x_plus) − f(x_minus) is f of the same "
    "array twice: 0 for every entry. Take each value of f right after its perturbation, on one "
    "float64 copy of x: save old = x[i], set x[i] = old + h and evaluate f, set x[i] = old − h "
    "and evaluate f, then put x[i] = old back (or give x_plus and x_minus their own copies, "
    "x.copy()).",
)
def _ng_aliased(f, x, h):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        x_plus = x  # not a copy: the same array
        x_plus[i] += h
        x_minus = x  # the same array again: x[i] is back to (about) old
        x_minus[i] -= h
        grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)  # f of one array twice: 0
    return grad


#: What a learner whose copy of x is not restored is told.
_NG_NOT_RESTORED_ON_COPY_HINT = (
    "working on a copy keeps the caller's x safe, but after evaluating f(x − h e_i) your x[i] "
    "stays at old − h, so every later entry is differentiated at a point where all the earlier "
    "entries are shifted by −h (this goes unnoticed only when f is a sum of functions of single "
    "entries, such as Σ sin(x_i)). Save old = x[i] before perturbing it and put it back, "
    "x[i] = old, once f_minus is taken."
)


@numerical_gradient_mistakes.add(
    "x not restored (on a copy)",
    _NG_NOT_RESTORED_ON_COPY_HINT
    + " And make the copy float64, np.array(x, dtype=np.float64): x.copy() of the float32 x "
    "keeps float32, which rounds x[i] ± h and f to 7 digits and ruins the differences.",
)
def _ng_not_restored_on_copy(f, x, h):
    x = x.copy()  # a copy in x's dtype: a float32 x stays float32
    return _in_place_differences(f, x, h, add_back_h=False)  # x[i] stays at old - h


@numerical_gradient_mistakes.add(
    "x not restored (on a float64 copy)", _NG_NOT_RESTORED_ON_COPY_HINT
)
def _ng_not_restored_on_float64_copy(f, x, h):
    x = np.array(x, dtype=np.float64)  # a copy: the caller's x is never touched
    return _in_place_differences(f, x, h, add_back_h=False)  # x[i] stays at old - h


#: What a gradient taken on a copy of a float32 ``x`` that stayed float32 is told.
_NG_FLOAT32_HINT = (
    "x came in float32 and your copy kept that dtype: x[i] ± h is rounded to float32's 7 "
    "digits, and f of a float32 array is computed in float32, so f_plus − f_minus loses most "
    "of its digits (a round-off of about ε|f|/h, 1e-4 of |f| at h = 1e-3, against 2e-13 in "
    "float64). Make your copy float64 whatever x's dtype, as every gradient check of the "
    "chapter does: np.array(x, dtype=np.float64) (and the gradient comes out float64)."
)


def _float32_kept(f, x, h, grad_dtype):
    """The reference's loop on a copy of ``x`` in ``x``'s own dtype (float32 stays float32),
    into a gradient of ``grad_dtype`` (``None``: the copy's dtype)."""
    x = np.array(x)  # a copy, but in x's dtype: a float32 x stays float32
    grad = np.zeros(x.shape, dtype=grad_dtype or x.dtype)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h  # rounded to float32
        f_plus = f(x)  # f computed in float32
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@numerical_gradient_mistakes.add(
    "the caller's float32 x differenced in place",
    "your function makes no copy of x: it shifts the caller's x itself (and puts each entry "
    "back), and that x came in float32, so x[i] ± h is rounded to float32's 7 digits and f of "
    "it is computed in float32: f_plus − f_minus loses most of its digits (a round-off of "
    "about ε|f|/h, 1e-4 of |f| at h = 1e-3, against 2e-13 in float64). The task asks you to "
    "work on a copy: make it a float64 one, np.array(x, dtype=np.float64), and shift the "
    "entries of the copy (which also leaves the caller's x untouched).",
)
def _ng_float32_in_place(f, x, h):
    # it writes into the caller's x (and restores it): check() tells it from the copies below,
    # which return the same numbers, by calling it on a read-only x
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h  # the caller's x: rounded to float32
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@numerical_gradient_mistakes.add("a float32 x differenced in float32", _NG_FLOAT32_HINT)
def _ng_float32_copy(f, x, h):
    return _float32_kept(f, x, h, grad_dtype=None)  # np.zeros_like(x): a float32 gradient


@numerical_gradient_mistakes.add(
    "a float32 x differenced in float32, stored in float64", _NG_FLOAT32_HINT
)
def _ng_float32_copy_float64_grad(f, x, h):
    return _float32_kept(f, x, h, grad_dtype=np.float64)  # np.zeros(x.shape): float64


def _sum_sin_x2(x: np.ndarray) -> float:
    """``Σ sin(x_i) x_i²``."""
    return float(np.sum(np.sin(x) * x**2))


def _make_sine(k: int) -> Callable[[np.ndarray], float]:
    def sine(x: np.ndarray) -> float:
        """``Σ sin(k x_i) / k``: ``f‴ = −k² f′``, so the two-sided difference's ``h² f‴ / 6``
        error is ``k² h² / 6`` of the gradient, large enough to show a change of ``h``."""
        return float(np.sum(np.sin(k * x)) / k)

    return sine


def _make_quadratic(rng: np.random.Generator, d: int) -> Callable[[np.ndarray], float]:
    A = rng.standard_normal((d, d))
    Q = A @ A.T / d + np.eye(d)
    b = rng.standard_normal(d)

    def quadratic(x: np.ndarray) -> float:
        """``½ xᵀ Q x + bᵀ x`` with a random positive-definite ``Q``."""
        return float(0.5 * x @ Q @ x + b @ x)

    return quadratic


def _make_layer_loss(rng: np.random.Generator, n: int, d: int, m: int) -> Callable:
    X = rng.standard_normal((n, d))
    T = rng.standard_normal((n, m))

    def layer_loss(W: np.ndarray) -> float:
        """``Σ (tanh(X W) − T)² / 2``: a tanh layer's squared error as a function of ``W``."""
        return float(0.5 * np.sum((np.tanh(X @ W) - T) ** 2))

    return layer_loss


def _make_softmax_loss(rng: np.random.Generator, shape: tuple[int, ...]) -> Callable:
    C = rng.standard_normal(shape)

    def log_sum_exp(x: np.ndarray) -> float:
        """``log Σ exp(c ⊙ x)`` over every entry (a softmax cross-entropy in disguise)."""
        z = (C * x).ravel()
        return float(np.log(np.sum(np.exp(z - z.max()))) + z.max())

    return log_sum_exp


def _ng_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    if not hidden:
        return [
            Case(
                "f(x) = Σ sin(x)·x², x of shape (5,), h = 1e-4",
                (_sum_sin_x2, rng.uniform(-2.0, 2.0, 5), 1e-4),
            ),
            Case(
                "a quadratic ½xᵀQx + bᵀx, x of shape (4,), h = 1e-3",
                (_make_quadratic(rng, 4), rng.uniform(-1.5, 1.5, 4), 1e-3),
            ),
            Case(
                "a tanh layer's loss as a function of W of shape (3, 4), h = 1e-4",
                (_make_layer_loss(rng, 6, 3, 4), 0.5 * rng.standard_normal((3, 4)), 1e-4),
            ),
            Case(
                "log-sum-exp over x of shape (2, 3, 2), h = 1e-3",
                (_make_softmax_loss(rng, (2, 3, 2)), rng.standard_normal((2, 3, 2)), 1e-3),
            ),
            # f‴ = −64 f′: another h than the one passed moves every entry by ~1e-5 (relative);
            # entries 1.5 to 3 in size: a step scaled to |x_i| is 1.5 to 3 times h here
            Case(
                "f(x) = Σ sin(8x)/8, a large third derivative, x of shape (2, 3) with entries "
                "1.5 to 3 in size, h = 1e-3",
                (_make_sine(8), _beyond_one(rng, (2, 3)), 1e-3),
            ),
            # float32 keeps 7 digits: differenced in float32, f_plus − f_minus keeps about 3
            _float32_case(np.random.default_rng([seed, 32]), (6,)),
        ]
    return [
        Case(
            "a tanh layer's loss, W of shape (5, 2), h = 1e-3",
            (_make_layer_loss(rng, 8, 5, 2), 0.7 * rng.standard_normal((5, 2)), 1e-3),
        ),
        Case(
            "a quadratic in d = 7, h = 1e-4",
            (_make_quadratic(rng, 7), rng.uniform(-2.0, 2.0, 7), 1e-4),
        ),
        Case(
            "f(x) = Σ sin(x)·x², x of shape (3, 3), h = 1e-3",
            (_sum_sin_x2, rng.uniform(-3.0, 3.0, (3, 3)), 1e-3),
        ),
        Case(
            "log-sum-exp over x of shape (4, 3), h = 1e-4",
            (_make_softmax_loss(rng, (4, 3)), rng.standard_normal((4, 3)), 1e-4),
        ),
        Case(
            "f(x) = Σ sin(7x)/7, a large third derivative, x of shape (5,), h = 1e-3",
            (_make_sine(7), rng.uniform(-1.0, 1.0, 5), 1e-3),
        ),
        # h = 1e-3 written in moves every entry by ~1e-5 (relative) here: k² h² / 6 with k = 9
        Case(
            "f(x) = Σ sin(9x)/9, x of shape (2, 2), h = 1e-4",
            (_make_sine(9), rng.uniform(-1.0, 1.0, (2, 2)), 1e-4),
        ),
        _float32_case(np.random.default_rng([seed, 32]), (2, 3)),
    ]


def _beyond_one(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Entries 1.5 to 3 in size, of either sign: a step scaled to ``|x_i|`` is not ``h``."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(1.5, 3.0, shape)


def _float32_case(rng: np.random.Generator, shape: tuple[int, ...]) -> Case:
    """A float32 ``x`` (a network trained in float32): the gradient is still float64, taken on
    a float64 copy, where the float32 values of ``x`` are exact."""
    x = rng.uniform(-2.0, 2.0, shape).astype(np.float32)
    return Case(
        f"f(x) = Σ sin(x)·x², x in float32 of shape {shape}, h = 1e-3 (the gradient is float64)",
        (_sum_sin_x2, x, 1e-3),
    )


@numerical_gradient_mistakes.add(
    "every entry perturbed at once",
    "f(x + h) − f(x − h) with the whole array shifted measures the slope along the direction "
    "(1, 1, ..., 1), the same number for every entry. Perturb one entry at a time: x[i] ± h, "
    "the others unchanged.",
)
def _ng_all_at_once(f, x, h):
    x = np.array(x, dtype=np.float64)
    slope = (f(x + h) - f(x - h)) / (2 * h)
    return np.full_like(x, slope)


register(
    FunctionExercise(
        name="ch08_numerical_gradient",
        chapter="08",
        title="The two-sided numerical gradient",
        signature="numerical_gradient(f, x, h) -> float64 array of x's shape",
        hint=(
            "Work on a float64 copy of x. For every entry i (np.ndindex(x.shape) visits all of "
            "them, whatever the number of axes): save old = x[i], evaluate f at old + h and at "
            "old − h, put old back, and store (f_plus − f_minus) / (2h)."
        ),
        solution=numerical_gradient,
        suites=seeded(_ng_cases, visible=8, hidden=80),
        mistakes=numerical_gradient_mistakes.all,
        references=(
            "dlnotes.gradcheck:numerical_gradient",
            "dlnotes.gradcheck:numerical_gradient_array",
        ),
        rtol=1e-6,
        atol=1e-9,
        diagnoses={
            "dtype": "the gradient is float64 whatever x's dtype (np.zeros_like(x) of a float32 "
            "x is float32): create it from your float64 copy of x, or with dtype=np.float64",
            "precision": "is a part computed in float32 (np.float32, .float()) and converted "
            "back, is the step not exactly h (a step of h/2 instead of h, or a small term "
            "added to x ± h), or is it a different difference formula than the one asked for, "
            "(f(x + h e_i) − f(x − h e_i)) / (2h)?",
        },
    )
)


# ============================================================================================
# ch08_relative_error
# ============================================================================================

#: The smallest positive normal float64: the guard in the denominator of ``relative_error``.
TINY = float(np.finfo(np.float64).tiny)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``‖a − b‖ / max(‖a‖ + ‖b‖, tiny)`` with Euclidean norms over all entries (a float).

    Scale-free and in ``[0, 1]``: 0 when ``a == b`` (also when both are all zeros, thanks to the
    guard), 1 when one of them is zero and the other is not.

    Defined in chapter 08 (Gradient checking).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), TINY)
    return float(np.linalg.norm(a - b)) / denom


#: The common mistakes of ``ch08_relative_error``, each declared on its wrong code.
relative_error_mistakes = Mistakes()


@relative_error_mistakes.add(
    "no guard in the denominator",
    "when both gradients are zero you divide 0 by 0 and get nan: guard the "
    "denominator, max(‖a‖ + ‖b‖, np.finfo(float).tiny), which gives 0 there.",
)
def _re_no_guard(a, b):
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


@relative_error_mistakes.add(
    "divides by ‖a‖ only",
    "dividing by one norm is not symmetric (relative_error(a, b) ≠ relative_error(b, "
    "a)) and is unbounded when a is small; divide by ‖a‖ + ‖b‖.",
)
def _re_only_a(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


@relative_error_mistakes.add(
    "divides by ‖a‖ only (guarded)",
    "dividing by one norm is not symmetric (relative_error(a, b) ≠ relative_error(b, "
    "a)) and is unbounded when a is small; divide by ‖a‖ + ‖b‖ (keeping your guard).",
)
def _re_only_a_guarded(a, b):
    return float(np.linalg.norm(a - b)) / max(float(np.linalg.norm(a)), TINY)


@relative_error_mistakes.add(
    "squared norms",
    "np.sum((a - b)**2) is ‖a − b‖², not ‖a − b‖: when a ≈ b the ratio of squares is about "
    "twice the square of the relative error, so 1e-4 looks like 2e-8. Use np.linalg.norm.",
)
def _re_squared(a, b):
    return float(np.sum((a - b) ** 2) / max(np.sum(a**2) + np.sum(b**2), TINY))


@relative_error_mistakes.add(
    "max of the norms",
    "the book's denominator is the sum ‖a‖ + ‖b‖, not max(‖a‖, ‖b‖) (which is "
    "another convention, about twice as large an error).",
)
def _re_max_norm(a, b):
    return float(np.linalg.norm(a - b)) / max(
        float(np.linalg.norm(a)), float(np.linalg.norm(b)), TINY
    )


@relative_error_mistakes.add(
    "entry-wise",
    "you compared entry by entry and took the worst; the criterion compares whole "
    "vectors: ‖a − b‖ / (‖a‖ + ‖b‖) with norms over all entries.",
)
def _re_entrywise(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), TINY)))


@relative_error_mistakes.add(
    "absolute error",
    "‖a − b‖ alone is an absolute error: it grows and shrinks with the gradients' scale (0.01 "
    "is a tiny disagreement between gradients around 1e3 and a total one between gradients "
    "around 1e-4), so no threshold can tell a right gradient from a wrong one. Divide by the "
    "size of the gradients, ‖a‖ + ‖b‖, guarded against 0/0 with max(..., np.finfo(float).tiny), "
    "to get a scale-free error in [0, 1].",
)
def _re_absolute(a, b):
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def _close_pair(
    rng: np.random.Generator, shape: tuple[int, ...], scale: float, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """A gradient ``a`` and ``b = a`` plus relative noise of size ``noise``, one entry off more."""
    a = scale * rng.standard_normal(shape)
    b = a * (1 + noise * rng.standard_normal(shape))
    b.flat[0] = a.flat[0] * 1.3 + scale * 0.05  # one clearly wrong entry
    return a, b


def _re_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    if not hidden:
        return [
            Case("two close gradients of shape (6,)", _close_pair(rng, (6,), 1.0, 1e-3)),
            Case(
                "a (4, 5) weight gradient with entries around 1e-4",
                _close_pair(rng, (4, 5), 1e-4, 1e-2),
            ),
            Case(
                "an analytic gradient twice the numerical one (a missing ½)",
                (lambda g: (2 * g, g))(rng.standard_normal(7)),
            ),
            Case(
                "both gradients exactly zero (the bias of a dead ReLU unit)",
                (np.zeros(1), np.zeros(1)),
            ),
            Case(
                "tiny gradients (norms about 1e-20), one twice the other: the error is scale-free",
                (lambda g: (2 * g, g))(1e-20 * rng.standard_normal(5)),
            ),
        ]
    return [
        Case("a (3, 3) gradient with entries around 1e3", _close_pair(rng, (3, 3), 1e3, 1e-4)),
        Case(
            "b = a with the sign of two entries flipped",
            (lambda g: (g, g * np.array([1, -1, 1, 1, -1, 1, 1, 1.0])))(rng.standard_normal(8)),
        ),
        Case("both zero: a 0-d gradient", (np.array(0.0), np.array(0.0))),
        Case(
            "a numerical gradient half the analytic one",
            (lambda g: (g, 0.5 * g))(rng.standard_normal((2, 4))),
        ),
        Case("nearly equal gradients of shape (10,)", _close_pair(rng, (10,), 0.3, 1e-6)),
        Case("tiny gradients (norms about 1e-12)", _close_pair(rng, (6,), 1e-12, 1e-2)),
        Case(
            "tinier still (norms about 1e-19), one 1.5 times the other",
            (lambda g: (1.5 * g, g))(1e-19 * rng.standard_normal(4)),
        ),
    ]


@relative_error_mistakes.add(
    "machine epsilon as the guard",
    "np.finfo(float).eps (2.2e-16) is the spacing of floats near 1, not the smallest "
    "positive float: gradients with norms below it get a shrunken error. The guard is "
    "np.finfo(float).tiny (about 2.2e-308).",
)
def _re_eps_guard(a, b):
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / max(na + nb, float(np.finfo(np.float64).eps))


@relative_error_mistakes.add(
    "a fixed guard such as 1e-8",
    "max(‖a‖ + ‖b‖, 1e-8) is no longer scale-free: for gradients with norms below 1e-8 it "
    "divides by 1e-8 and shrinks the error. The guard only has to avoid 0/0: use the "
    "smallest positive float, np.finfo(float).tiny.",
)
def _re_fixed_guard(a, b):
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / max(na + nb, 1e-8)


@relative_error_mistakes.add(
    "ε added to the denominator",
    "‖a − b‖ / (‖a‖ + ‖b‖ + 1e-8) changes every result a little and tiny gradients a lot; "
    "the guard only has to avoid 0/0: max(‖a‖ + ‖b‖, np.finfo(float).tiny).",
)
def _re_eps_added(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / (na + nb + 1e-8))


@relative_error_mistakes.add(
    "ε = 1e-12 added to the denominator",
    "‖a − b‖ / (‖a‖ + ‖b‖ + 1e-12) is no longer scale-free: for gradients with norms near or "
    "below 1e-12 the added 1e-12 swamps ‖a‖ + ‖b‖ and shrinks the error (two gradients of "
    "norm 1e-20, one twice the other, look equal). The guard only has to avoid 0/0: "
    "max(‖a‖ + ‖b‖, tiny) with tiny = np.finfo(float).tiny.",
)
def _re_eps12_added(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / (na + nb + 1e-12))


@relative_error_mistakes.add(
    "‖a + b‖ in the denominator",
    "the denominator is ‖a‖ + ‖b‖, the sum of the two norms, not the norm of the sum: for "
    "gradients pointing apart ‖a + b‖ is small and the error blows up past 1.",
)
def _re_norm_of_sum(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b)) / max(float(np.linalg.norm(a + b)), TINY)


@relative_error_mistakes.add(
    "difference of the norms",
    "|‖a‖ − ‖b‖| compares the lengths of the gradients only: two gradients of the same length "
    "pointing in different directions get an error of 0. The numerator is the norm of the "
    "difference, ‖a − b‖ = np.linalg.norm(a - b), not the difference of the norms.",
)
def _re_difference_of_norms(a, b):
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return abs(na - nb) / max(na + nb, TINY)


@relative_error_mistakes.add(
    "spectral norm (ord=2)",
    "np.linalg.norm(M, 2) of a 2-D array is its largest singular value, not the Euclidean "
    "norm of its entries (for a vector the two agree, which hides the slip). Use "
    "np.linalg.norm(M) without ord, or flatten the arrays first.",
)
def _re_spectral(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = max(float(np.linalg.norm(a, 2) + np.linalg.norm(b, 2)), TINY)
    return float(np.linalg.norm(a - b, 2)) / denom


register(
    FunctionExercise(
        name="ch08_relative_error",
        chapter="08",
        title="The relative error of two gradients",
        signature="relative_error(a, b) -> float",
        hint=(
            "Norms over all entries (np.linalg.norm works for any shape): "
            "‖a − b‖ / max(‖a‖ + ‖b‖, tiny), with tiny = np.finfo(float).tiny so that two "
            "all-zero gradients give 0, not 0/0."
        ),
        solution=relative_error,
        suites=seeded(_re_cases, visible=9, hidden=90),
        mistakes=relative_error_mistakes.all,
        references=("dlnotes.gradcheck:relative_error",),
        rtol=1e-9,
        atol=1e-15,
    )
)
