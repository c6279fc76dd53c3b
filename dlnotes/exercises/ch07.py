"""Exercises of chapter 07 (Initialization).

* ``ch07_xavier_uniform``: ``xavier_uniform(fan_in, fan_out, rng)`` draws a Glorot-uniform weight
  matrix with ``rng.uniform(-a, a, size=(fan_in, fan_out))``, ``a = sqrt(6 / (fan_in + fan_out))``;
* ``ch07_kaiming_normal``: ``kaiming_normal(fan_in, fan_out, rng)`` draws a He-normal weight
  matrix with ``rng.normal(0.0, std, size=(fan_in, fan_out))``, ``std = sqrt(2 / fan_in)``.

Both exercises fix the random call, so a correct answer reproduces the reference's numbers
exactly from the same generator state (the checker hands every attempt its own copy of the
generator). The hidden cases draw their fans from the seed as well, each in a range of its own
(small, narrowing, widening, large layers). Each exercise is laid out the same way: the
reference solution, the common wrong versions (``_name_of_the_mistake``), the visible and hidden
cases, one :func:`register` call.

Defined in chapter 07 (Initialization).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch07_xavier_uniform
# ============================================================================================


def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """A Glorot/Xavier-uniform weight of shape ``(fan_in, fan_out)`` (rows are inputs).

    ``W ~ U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``: a uniform law on ``[-a, a]``
    has variance ``a² / 3 = 2 / (fan_in + fan_out)``, the compromise between keeping the forward
    (``1/fan_in``) and the backward (``1/fan_out``) variance. Drawn with exactly one call,
    ``rng.uniform(-a, a, size=(fan_in, fan_out))``.

    Defined in chapter 07 (Initialization).
    """
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


#: The common mistakes of ``ch07_xavier_uniform``, each declared on its wrong code.
xavier_uniform_mistakes = Mistakes()


@xavier_uniform_mistakes.add(
    "std used as the bound",
    "sqrt(2 / (fan_in + fan_out)) is the standard deviation you want, but U(-a, a) "
    "has standard deviation a/√3: the bound must be √3 times larger, "
    "a = sqrt(6 / (fan_in + fan_out)).",
)
def _xu_std_as_bound(fan_in, fan_out, rng):
    a = math.sqrt(2.0 / (fan_in + fan_out))  # the std, not the bound: variance 3x too small
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "missing square root",
    "your bound is 6 / (fan_in + fan_out), a variance-like number; the bound is its "
    "square root, a = sqrt(6 / (fan_in + fan_out)).",
)
def _xu_variance_as_bound(fan_in, fan_out, rng):
    a = 6.0 / (fan_in + fan_out)  # no square root
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "variance used as the bound",
    "2 / (fan_in + fan_out) is the variance the weights should have, not the bound of the "
    "interval: no square root, and no factor for the uniform law. U(-a, a) has variance "
    "a²/3: solve a²/3 = 2 / (fan_in + fan_out) for a.",
)
def _xu_target_variance_as_bound(fan_in, fan_out, rng):
    a = 2.0 / (fan_in + fan_out)  # the target variance itself: no root, no factor 3
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "fan_in only",
    "a bound of sqrt(3 / fan_in) keeps only the forward signal (LeCun's rule); "
    "Glorot averages the two fans: a = sqrt(6 / (fan_in + fan_out)).",
)
def _xu_fan_in_only(fan_in, fan_out, rng):
    a = math.sqrt(3.0 / fan_in)  # LeCun-uniform: the forward argument alone
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "6 / fan_in: fan_out dropped",
    "sqrt(6 / fan_in) is He/Kaiming-uniform's bound, for ReLU layers: Glorot's divides the 6 "
    "by both fans, fan_in + fan_out.",
)
def _xu_six_over_fan_in(fan_in, fan_out, rng):
    a = math.sqrt(6.0 / fan_in)  # He-uniform's bound
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "one-sided interval",
    "your weights are all positive: draw from U(-a, a), symmetric around zero, "
    "with rng.uniform(-a, a, ...).",
)
def _xu_one_sided(fan_in, fan_out, rng):
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(0.0, a, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "transposed shape",
    "your array has shape (fan_out, fan_in). In this course a layer computes X @ W "
    "with X of shape (N, fan_in), so W has shape (fan_in, fan_out).",
)
def _xu_transposed(fan_in, fan_out, rng):
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


@xavier_uniform_mistakes.add(
    "normal instead of uniform",
    "these are Gaussian draws; Xavier-uniform draws rng.uniform(-a, a, ...) with "
    "a = sqrt(6 / (fan_in + fan_out)).",
)
def _xu_normal(fan_in, fan_out, rng):
    std = math.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "integer division",
    "6 // (fan_in + fan_out) is integer division: 0 as soon as the fans add up to more than "
    "6, so the bound is 0 and every weight is 0. Divide with /: a = sqrt(6 / (fan_in + fan_out)).",
)
def _xu_floor_division(fan_in, fan_out, rng):
    a = math.sqrt(6 // (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@xavier_uniform_mistakes.add(
    "product of the fans instead of their sum",
    "6 / (fan_in · fan_out) divides by the number of weights, so the bound shrinks far too "
    "much on wide layers: Glorot averages the two fans, so the denominator adds fan_in and "
    "fan_out instead of multiplying them.",
)
def _xu_fan_product(fan_in, fan_out, rng):
    a = math.sqrt(6 / (fan_in * fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


_XU_SIZES = [(64, 32), (12, 300), (784, 10), (5, 9)]
#: The hidden cases' fans, drawn from the seed: ``((fan_in from, to), (fan_out from, to))`` for
#: a small layer, a narrowing one, a widening one, a large one and an input-sized fan_out.
_XU_HIDDEN_RANGES = [
    ((3, 12), (8, 32)),
    ((64, 320), (8, 60)),
    ((8, 48), (100, 400)),
    ((128, 520), (32, 160)),
    ((4, 16), (500, 800)),
]


def _xu_cases(seed: int, sizes: list[tuple[int, int]]) -> list[Case]:
    return [
        Case(
            f"fan_in = {fan_in}, fan_out = {fan_out}, rng = np.random.default_rng({seed + i})",
            (fan_in, fan_out, np.random.default_rng(seed + i)),
        )
        for i, (fan_in, fan_out) in enumerate(sizes)
    ]


def _xu_scales(fan_in: int, fan_out: int) -> list[float]:
    """The bound of the reference and of each mistake drawing ``U(-a, a)`` with its own ``a``."""
    n = fan_in + fan_out
    return [math.sqrt(6.0 / n), math.sqrt(2.0 / n), 6.0 / n, 2.0 / n, math.sqrt(3.0 / fan_in)]


def _drawn_fans(
    seed: int,
    ranges: list[tuple[tuple[int, int], tuple[int, int]]],
    scales: Callable[[int, int], list[float]],
) -> list[tuple[int, int]]:
    """One ``(fan_in, fan_out)`` per range, drawn from ``seed``: never square (a transposed
    array would have the right shape), and redrawn until the scales of the reference and of
    every mistake differ by more than 0.1 %, so that each mistake is wrong and told apart from
    the others on every case, whatever the seed."""
    rng = np.random.default_rng([seed, 7])  # not the stream of a case's generator
    sizes = []
    for (in_lo, in_hi), (out_lo, out_hi) in ranges:
        while True:
            fan_in, fan_out = int(rng.integers(in_lo, in_hi)), int(rng.integers(out_lo, out_hi))
            s = np.array(scales(fan_in, fan_out))
            gaps = np.abs(s[:, None] - s[None, :]) > 1e-3 * np.maximum(s[:, None], s[None, :])
            if fan_in != fan_out and gaps[np.triu_indices(len(s), 1)].all():
                break
        sizes.append((fan_in, fan_out))
    return sizes


def _xu_suite(seed: int, hidden: bool) -> list[Case]:
    """The visible cases use the fixed :data:`_XU_SIZES`; the hidden ones draw their fans."""
    sizes = _drawn_fans(seed, _XU_HIDDEN_RANGES, _xu_scales) if hidden else _XU_SIZES
    return _xu_cases(seed, sizes)


register(
    FunctionExercise(
        name="ch07_xavier_uniform",
        chapter="07",
        title="Xavier/Glorot uniform initialization",
        signature="xavier_uniform(fan_in, fan_out, rng) -> array of shape (fan_in, fan_out)",
        hint=(
            "The target variance is 2 / (fan_in + fan_out). U(-a, a) has variance a²/3, so the "
            "bound is a = sqrt(6 / (fan_in + fan_out)). Draw once: "
            "rng.uniform(-a, a, size=(fan_in, fan_out))."
        ),
        solution=xavier_uniform,
        suites=seeded(_xu_suite, visible=7, hidden=70),
        mistakes=xavier_uniform_mistakes.all,
        references=("dlnotes.init:xavier_uniform",),
    )
)


# ============================================================================================
# ch07_kaiming_normal
# ============================================================================================


def kaiming_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """A Kaiming/He-normal weight of shape ``(fan_in, fan_out)`` for a ReLU network.

    ``W ~ N(0, std²)`` with ``std = sqrt(2 / fan_in)``: ReLU zeroes half of a symmetric
    pre-activation, halving its second moment, and the gain ``√2`` undoes that, so
    ``Var[z_l] = fan_in · Var[W] · E[x²] = Var[z_{l-1}]``. Drawn with exactly one call,
    ``rng.normal(0.0, std, size=(fan_in, fan_out))`` (numpy's scale is the std).

    Defined in chapter 07 (Initialization).
    """
    std = math.sqrt(2.0 / fan_in)
    return rng.normal(0.0, std, size=(fan_in, fan_out))


#: The common mistakes of ``ch07_kaiming_normal``, each declared on its wrong code.
kaiming_normal_mistakes = Mistakes()


@kaiming_normal_mistakes.add(
    "variance passed as the std",
    "rng.normal(0, scale) takes the standard deviation; 2 / fan_in is the variance. "
    "Use scale = sqrt(2 / fan_in).",
)
def _kn_variance_as_scale(fan_in, fan_out, rng):
    return rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))


@kaiming_normal_mistakes.add(
    "fan_out instead of fan_in",
    "the forward pass sums fan_in = W.shape[0] products per unit, so the variance "
    "is 2 / fan_in (you used fan_out = W.shape[1]).",
)
def _kn_fan_out(fan_in, fan_out, rng):
    return rng.normal(0.0, math.sqrt(2.0 / fan_out), size=(fan_in, fan_out))


@kaiming_normal_mistakes.add(
    "missing the ReLU gain √2",
    "std = sqrt(1 / fan_in) is LeCun's rule for linear/tanh layers; ReLU zeroes half "
    "of the signal, so He doubles the variance: std = sqrt(2 / fan_in).",
)
def _kn_missing_gain(fan_in, fan_out, rng):
    return rng.normal(0.0, math.sqrt(1.0 / fan_in), size=(fan_in, fan_out))


@kaiming_normal_mistakes.add(
    "2/√fan_in",
    "2 / sqrt(fan_in) doubles the std (variance 4 / fan_in); the gain √2 goes "
    "under the root with the 2: std = sqrt(2 / fan_in).",
)
def _kn_two_over_sqrt(fan_in, fan_out, rng):
    return rng.normal(0.0, 2.0 / math.sqrt(fan_in), size=(fan_in, fan_out))


@kaiming_normal_mistakes.add(
    "Xavier's variance",
    "sqrt(2 / (fan_in + fan_out)) is Glorot's std: after a ReLU it scales the signal's "
    "variance by fan_in / (fan_in + fan_out) per layer (halves it on square layers); He uses "
    "only fan_in: std = sqrt(2 / fan_in).",
)
def _kn_xavier(fan_in, fan_out, rng):
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


@kaiming_normal_mistakes.add(
    "transposed shape",
    "your array has shape (fan_out, fan_in). In this course a layer computes X @ W "
    "with X of shape (N, fan_in), so W has shape (fan_in, fan_out).",
)
def _kn_transposed(fan_in, fan_out, rng):
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in))


@kaiming_normal_mistakes.add(
    "integer division",
    "2 // fan_in is integer division: 0 for every fan_in above 2, so the std is 0 and every "
    "weight is 0. Divide with /: std = sqrt(2 / fan_in).",
)
def _kn_floor_division(fan_in, fan_out, rng):
    return rng.normal(0.0, math.sqrt(2 // fan_in), size=(fan_in, fan_out))


@kaiming_normal_mistakes.add(
    "√2 / fan_in",
    "sqrt(2) / fan_in takes the square root of the 2 only: the std falls like 1 / fan_in, "
    "which is far too small for wide layers. The variance is 2 / fan_in, so the square root "
    "covers the whole fraction, fan_in included.",
)
def _kn_sqrt2_over_fan_in(fan_in, fan_out, rng):
    return rng.normal(0.0, math.sqrt(2) / fan_in, size=(fan_in, fan_out))


@kaiming_normal_mistakes.add(
    "mean and std mixed up",
    "rng.normal(std, size=...) passes std as the first argument, loc, the MEAN: your weights "
    "are centred on std with a standard deviation of 1. Give both: "
    "rng.normal(0.0, std, size=(fan_in, fan_out)).",
)
def _kn_std_as_mean(fan_in, fan_out, rng):
    std = math.sqrt(2.0 / fan_in)
    return rng.normal(std, size=(fan_in, fan_out))  # loc = std, scale = 1


@kaiming_normal_mistakes.add(
    "uniform instead of normal",
    "these are uniform draws, U(-sqrt(6 / fan_in), sqrt(6 / fan_in)): He-uniform, with the "
    "right variance but the wrong law. This exercise asks for He-normal: "
    "rng.normal(0.0, sqrt(2 / fan_in), size=(fan_in, fan_out)).",
)
def _kn_uniform(fan_in, fan_out, rng):
    a = math.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=(fan_in, fan_out))


_KN_SIZES = [(64, 128), (300, 20), (9, 5), (784, 256)]
#: The hidden cases' fans, drawn from the seed (as for ``ch07_xavier_uniform``): a widening
#: layer, a narrowing one, a small one, a large one and a mid-sized one.
_KN_HIDDEN_RANGES = [
    ((24, 80), (120, 300)),
    ((96, 200), (5, 20)),
    ((3, 10), (5, 16)),
    ((300, 600), (40, 100)),
    ((12, 40), (20, 64)),
]


def _kn_cases(seed: int, sizes: list[tuple[int, int]]) -> list[Case]:
    return _xu_cases(seed, sizes)


def _kn_scales(fan_in: int, fan_out: int) -> list[float]:
    """The std of the reference and of each mistake drawing ``N(0, std²)`` with its own std."""
    return [
        math.sqrt(2.0 / fan_in),
        2.0 / fan_in,
        math.sqrt(2.0 / fan_out),
        math.sqrt(1.0 / fan_in),
        2.0 / math.sqrt(fan_in),
        math.sqrt(2.0 / (fan_in + fan_out)),
    ]


def _kn_suite(seed: int, hidden: bool) -> list[Case]:
    """The visible cases use the fixed :data:`_KN_SIZES`; the hidden ones draw their fans."""
    sizes = _drawn_fans(seed, _KN_HIDDEN_RANGES, _kn_scales) if hidden else _KN_SIZES
    return _kn_cases(seed, sizes)


register(
    FunctionExercise(
        name="ch07_kaiming_normal",
        chapter="07",
        title="Kaiming/He normal initialization for ReLU",
        signature="kaiming_normal(fan_in, fan_out, rng) -> array of shape (fan_in, fan_out)",
        hint=(
            "For ReLU the weight variance is 2 / fan_in, so std = sqrt(2 / fan_in); numpy's "
            "normal takes the std as its scale. Draw once: "
            "rng.normal(0.0, std, size=(fan_in, fan_out))."
        ),
        solution=kaiming_normal,
        suites=seeded(_kn_suite, visible=17, hidden=170),
        mistakes=kaiming_normal_mistakes.all,
        references=("dlnotes.init:kaiming_normal",),
    )
)
