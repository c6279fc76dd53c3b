"""Exercises of chapter 03 (Mini-batches and moving averages).

* ``ch03_ewa``: ``ewa(series, beta, bias_correction)``, the exponentially weighted average of a
  series, with or without bias correction;
* ``ch03_minibatches``: ``minibatches(X, y, batch_size, seed)``, one epoch of shuffled
  mini-batches.

Each exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call.

Defined in chapter 03 (Mini-batches and moving averages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch03_ewa
# ============================================================================================


def ewa(series: np.ndarray, beta: float, bias_correction: bool) -> np.ndarray:
    """Exponentially weighted average of a 1-D ``series`` of length n; returns n float64 values.

    With ``v_0 = 0`` and ``t = 1 .. n`` (entry ``t - 1`` of the result holds step ``t``)::

        v_t = beta * v_{t-1} + (1 - beta) * x_t
        result_t = v_t / (1 - beta**t)   if bias_correction else v_t

    The caller's ``series`` is left untouched.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    out = np.empty(len(series), dtype=np.float64)
    v = 0.0
    for t in range(1, len(series) + 1):
        v = beta * v + (1 - beta) * series[t - 1]
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out


def _bias_corrected(v: Any, t: int, beta: float) -> Any:
    """The bias correction of :func:`ewa` at step ``t``: ``v_t / (1 − β**t)``."""
    return v / (1 - beta**t)


def _ewa_values(
    series: np.ndarray,
    beta: float,
    bias_correction: bool,
    *,
    corrected: Callable[[Any, int, float], Any] = _bias_corrected,
    v: Any = 0.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The loop of :func:`ewa` with its parts as arguments: ``v ← β·v + (1 − β)·x_t`` from
    ``v_0 = v`` for ``t = 1 .. n``, storing ``corrected(v, t, beta)`` when ``bias_correction``
    is true, else ``v``, in ``out[t − 1]`` (by default a new float64 array); returns ``out``."""
    out = np.empty(len(series)) if out is None else out
    for t in range(1, len(series) + 1):
        v = beta * v + (1 - beta) * series[t - 1]
        out[t - 1] = corrected(v, t, beta) if bias_correction else v
    return out


#: The common mistakes of ``ch03_ewa``, each declared on its wrong code.
ewa_mistakes = Mistakes()


@ewa_mistakes.add(
    "no bias correction",
    "with bias_correction=True each v_t must be divided by 1 − β**t, the total "
    "weight of the t values averaged so far; without it the first values are pulled "
    "towards v_0 = 0 (at t = 1 you return (1 − β)·x_1 instead of x_1).",
)
def _ewa_no_correction(series, beta, bias_correction):
    return _ewa_values(series, beta, False)  # never corrected, whatever bias_correction says


@ewa_mistakes.add(
    "β and 1 − β swapped",
    "the old average keeps the weight β and the new value gets 1 − β: "
    "v ← β·v + (1 − β)·x_t. Yours gives the new value the large weight β, so the "
    "result follows the noise instead of smoothing it.",
)
def _ewa_swapped(series, beta, bias_correction):
    out = np.empty(len(series))
    v = 0.0
    for t in range(1, len(series) + 1):
        v = (1 - beta) * v + beta * series[t - 1]
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out


@ewa_mistakes.add(
    "t starts at 0 in the bias correction",
    "after the first update t = 1, so the first value is divided by 1 − β**1 = 1 − β. "
    "A loop variable that counts from 0 (range(len(series)), enumerate) is one less than "
    "the step number: used as the power, it divides the first value by 1 − β**0 = 0 (inf) "
    "and every later value by the previous step's weight. Raise β to the step number, your "
    "index + 1, or count t from 1.",
)
def _ewa_t_from_zero(series, beta, bias_correction):
    return _ewa_index_as_t(series, beta, bias_correction, np.empty(len(series)), np.float64(0))


@ewa_mistakes.add(
    "t starts at 0: ZeroDivisionError",
    "with a loop variable that counts from 0 (range(len(series)), enumerate), the first "
    "bias correction divides by 1 − β**0 = 0, which Python floats refuse. t is the step "
    "number, 1 for the first value: raise β to your index + 1, or count t from 1.",
)
def _ewa_t_from_zero_python_floats(series, beta, bias_correction):
    # Python floats (series.tolist()): 1 − β**0 = 0 raises instead of giving inf
    return _ewa_index_as_t(series.tolist(), beta, bias_correction, np.empty(len(series)), 0.0)


@ewa_mistakes.add(
    "t from 0, in an array of the series' dtype",
    "two slips together: a loop variable that counts from 0 divides the first value by "
    "1 − β**0 = 0, and np.zeros_like(series) (or np.empty_like) is an integer array for "
    "integer readings, which cannot hold that inf (OverflowError) and cuts every other "
    "average. Correct with the step number (your index + 1, or count t from 1), and make "
    "a float64 result: np.zeros(len(series)).",
)
def _ewa_t_from_zero_like_series(series, beta, bias_correction):
    # int64 for integer readings: inf cannot be stored, the other averages are cut
    return _ewa_index_as_t(series, beta, bias_correction, np.zeros_like(series), 0.0)


def _ewa_index_as_t(series, beta, bias_correction, out, v):
    """The loop of :func:`ewa` with the 0-based index as the ``t`` of the correction, from
    ``v_0 = v`` into ``out``: its first correction divides by ``1 − β**0 = 0``."""
    for t in range(len(series)):
        v = beta * v + (1 - beta) * series[t]
        out[t] = v / (1 - beta**t) if bias_correction else v  # beta**0 = 1: divides by 0
    return out


@ewa_mistakes.add(
    "v starts at x_1 instead of 0",
    "the recursion starts from v_0 = 0; bias correction is what removes the pull "
    "towards 0. Starting from v_0 = x_1 changes every value (and with the correction "
    "divides an average that was never pulled towards 0).",
)
def _ewa_starts_at_x1(series, beta, bias_correction):
    return _ewa_values(series, beta, bias_correction, v=series[0])  # v_0 = x_1, not 0


@ewa_mistakes.add(
    "writes into series",
    "your function wrote the averages into the caller's series. Store them in a new "
    "array, e.g. out = np.empty(len(series)).",
)
def _ewa_in_place(series, beta, bias_correction):
    # out=series: the averages overwrite the caller's series
    return _ewa_values(series, beta, bias_correction, out=series).copy()


@ewa_mistakes.add(
    "bias_correction ignored",
    "with bias_correction=False the result is the raw average v_t; you divided by "
    "1 − β**t anyway. Divide only when the flag is True.",
)
def _ewa_always_corrects(series, beta, bias_correction):
    return _ewa_values(series, beta, True)  # corrected even when bias_correction is False


def _ewa_feeding_back(series, beta, bias_correction, first_t):
    """The loop of the mistakes that store the corrected value in ``v`` itself: with ``t``
    counted from ``first_t``, ``v ← β·v + (1 − β)·x``, then ``v ← v / (1 − β**t)`` when
    ``bias_correction`` is true, and ``v`` stored."""
    out = np.empty(len(series))
    v = np.float64(0.0)  # a numpy number: a division by 0 gives inf, as with the learner's
    for k, t in enumerate(range(first_t, first_t + len(series))):
        v = beta * v + (1 - beta) * series[k]
        if bias_correction:
            v = v / (1 - beta**t)  # the corrected value becomes the next step's v
        out[k] = v
    return out


@ewa_mistakes.add(
    "corrected value fed back into v",
    "the correction is for the output only: keep the raw v_t for the next update and "
    "store v_t / (1 − β**t) in the result. Dividing v itself corrects it again at "
    "every step.",
)
def _ewa_corrected_fed_back(series, beta, bias_correction):
    return _ewa_feeding_back(series, beta, bias_correction, first_t=1)


@ewa_mistakes.add(
    "t from 0, and the corrected value fed back into v",
    "two slips together: a loop variable that counts from 0 divides the first value by "
    "1 − β**0 = 0, and writing the corrected value back into v carries that inf (or nan) "
    "into every later step. Correct with the step number (your index + 1, or count t from "
    "1), and keep the raw v for the next update: only the result gets v / (1 − β**t).",
)
def _ewa_t_from_zero_fed_back(series, beta, bias_correction):
    return _ewa_feeding_back(series, beta, bias_correction, first_t=0)  # 1 − β**0 = 0 first


def _series(rng: np.random.Generator, n: int, integers: bool = False) -> np.ndarray:
    """A noisy, drifting series far from 0 (so the pull towards v_0 = 0 shows); ``integers``:
    whole readings in an int64 array (a float64 result must not truncate them)."""
    level = rng.uniform(1.5, 4.0) * rng.choice([-1.0, 1.0])
    drift = np.cumsum(rng.normal(0.0, 0.15, n))
    x = level + drift + rng.normal(0.0, 0.6, n)
    return np.round(3 * x).astype(np.int64) if integers else np.round(x, 4)


def _ewa_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    settings = [
        ("β = 0.9, bias correction on", 25, 0.9, True),
        ("β = 0.9, no bias correction", 25, 0.9, False),
        ("β = 0.5, bias correction on, a short series", 6, 0.5, True),
        ("β = 0.98, bias correction on, a long series", 120, 0.98, True),
        ("β = 0.75, no bias correction", 12, 0.75, False),
        ("β = 0.8, bias correction on, integer readings", 10, 0.8, True),
    ]
    if hidden:
        settings = [
            ("β = 0.95, bias correction on", 60, 0.95, True),
            ("β = 0.3, no bias correction", 9, 0.3, False),
            ("β = 0.99, bias correction on, a long series", 200, 0.99, True),
            ("β = 0.8, bias correction on, one value", 1, 0.8, True),
            ("β = 0.6, no bias correction", 15, 0.6, False),
            ("β = 0.0 (no averaging), bias correction on", 7, 0.0, True),
            ("β = 0.7, no bias correction, integer readings", 11, 0.7, False),
        ]
    return [
        Case(f"{label}, n = {n}", (_series(rng, n, integers="integer" in label), beta, flag))
        for label, n, beta, flag in settings
    ]


@ewa_mistakes.add(
    "result array of the series' dtype",
    "np.zeros_like(series) (or np.empty_like) has the series' dtype: for integer readings "
    "every average is cut to an integer. Make a float64 array: np.zeros(len(series)).",
)
def _ewa_like_series(series, beta, bias_correction):
    # the result has the series' dtype: int64 for integer readings, which cuts every average
    return _ewa_values(series, beta, bias_correction, out=np.zeros_like(series))


@ewa_mistakes.add(
    "corrected with 1 − β instead of 1 − β**t",
    "the bias correction divides v_t by 1 − β**t, which tends to 1 as t grows; dividing by "
    "1 − β is right only at t = 1 and inflates every later average by 1/(1 − β).",
)
def _ewa_beta_not_power(series, beta, bias_correction):
    # divided by 1 − β, not 1 − β**t
    return _ewa_values(series, beta, bias_correction, corrected=lambda v, t, beta: v / (1 - beta))


@ewa_mistakes.add(
    "(1 − β)**t instead of 1 − β**t",
    "the correction is 1 minus β**t: ** binds tighter than −, so β is raised to the power t "
    "first and the result taken from 1. (1 − β)**t agrees at t = 1 only, then shrinks "
    "towards 0 and blows every later average up.",
)
def _ewa_power_of_one_minus_beta(series, beta, bias_correction):
    # divided by (1 − β)**t, not 1 − β**t
    return _ewa_values(
        series, beta, bias_correction, corrected=lambda v, t, beta: v / (1 - beta) ** t
    )


@ewa_mistakes.add(
    "stored before the update",
    "entry t − 1 of the result holds v_t, the average *after* x_t came in: update v first, "
    "then store it. Storing first shifts the result by one step (and starts with v_0 = 0).",
)
def _ewa_store_first(series, beta, bias_correction):
    out = np.empty(len(series), dtype=np.float64)
    v = 0.0
    for t in range(1, len(series) + 1):
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
        v = beta * v + (1 - beta) * series[t - 1]
    return out


@ewa_mistakes.add(
    "corrected with 1 − β**(t + 1)",
    "the bias correction divides v_t by 1 − β**t, with t the number of values averaged so "
    "far: at t = 1, v_1 = (1 − β)·x_1 divided by 1 − β gives x_1 back. 1 − β**(t + 1) "
    "corrects for one value more than came in, so the early averages stay pulled towards 0 "
    "(at t = 1 you return x_1/(1 + β)). If your t already counts from 1 (range(1, n + 1), or "
    "index + 1), raise β to t itself.",
)
def _ewa_one_step_too_far(series, beta, bias_correction):
    # divided by 1 − β**(t + 1), one step more than 1 − β**t
    return _ewa_values(
        series, beta, bias_correction, corrected=lambda v, t, beta: v / (1 - beta ** (t + 1))
    )


@ewa_mistakes.add(
    "multiplied by the correction",
    "the bias correction *divides* by 1 − β**t (a number below 1), which lifts the early "
    "averages towards the data; multiplying pulls them further towards 0.",
)
def _ewa_multiplied(series, beta, bias_correction):
    # multiplied by 1 − β**t instead of divided
    return _ewa_values(
        series, beta, bias_correction, corrected=lambda v, t, beta: v * (1 - beta**t)
    )


register(
    FunctionExercise(
        name="ch03_ewa",
        chapter="03",
        title="Exponentially weighted average with bias correction",
        signature="ewa(series, beta, bias_correction) -> float64 array of shape (n,)",
        hint=(
            "Start from v = 0; for t = 1, ..., n update v ← β·v + (1 − β)·x_t and store v, or "
            "v / (1 − β**t) when bias_correction is True. t counts from 1: series[t - 1] is x_t."
        ),
        solution=ewa,
        suites=seeded(_ewa_cases, visible=3, hidden=33),
        mistakes=ewa_mistakes.all,
        references=(
            "dlnotes.averages:ewa",
            "dlnotes.averages:EMA",  # chapter 14's average of weights: the same recurrence
        ),
    )
)


# ============================================================================================
# ch03_minibatches
# ============================================================================================


def minibatches(
    X: np.ndarray, y: np.ndarray, batch_size: int, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """One epoch of shuffled mini-batches of ``X`` (shape ``(N, ...)``) and ``y`` (shape ``(N,)``).

    Draws one permutation ``order = np.random.default_rng(seed).permutation(N)``, then cuts it
    into consecutive slices of ``batch_size`` (the last one smaller when ``batch_size`` does not
    divide ``N``) and returns ``((X[idx], y[idx]), ...)``, ``ceil(N / batch_size)`` pairs. Every
    example appears exactly once; ``X`` and ``y`` stay untouched.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    batches = []
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        batches.append((X[idx], y[idx]))
    return tuple(batches)


def _batches(
    X: np.ndarray,
    y: np.ndarray,
    starts: range,
    indices: Callable[[int], np.ndarray],
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The loop of :func:`minibatches` with its parts as arguments: one pair
    ``(X[idx], y[idx])`` for each ``start`` in ``starts``, with ``idx = indices(start)``."""
    batches = []
    for start in starts:
        idx = indices(start)
        batches.append((X[idx], y[idx]))
    return tuple(batches)


#: The common mistakes of ``ch03_minibatches``, each declared on its wrong code.
minibatches_mistakes = Mistakes()


@minibatches_mistakes.add(
    "drops the last partial batch",
    "when batch_size does not divide N the last batch is smaller, and it must be "
    "kept: otherwise the same examples are skipped in every epoch with this seed. "
    "Loop with range(0, N, batch_size) and slice order[start:start + batch_size].",
)
def _mb_drop_last(X, y, batch_size, seed):
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    starts = range(0, n - batch_size + 1, batch_size)  # no start for a last, shorter batch
    return _batches(X, y, starts, lambda start: order[start : start + batch_size])


@minibatches_mistakes.add(
    "no shuffling",
    "your batches follow the order of the data set. Draw a permutation "
    "np.random.default_rng(seed).permutation(len(X)) and index with its slices: a "
    "data set sorted by class would otherwise give batches of a single class.",
)
def _mb_no_shuffle(X, y, batch_size, seed):
    return tuple(
        (X[start : start + batch_size], y[start : start + batch_size])
        for start in range(0, len(X), batch_size)
    )


@minibatches_mistakes.add(
    "X and y shuffled with different permutations",
    "X and y were shuffled separately, so each X_batch row no longer has its own "
    "label. Draw one permutation and index both X and y with the same slice.",
)
def _mb_two_permutations(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    X_shuffled = rng.permutation(X)
    y_shuffled = rng.permutation(y)
    return tuple(
        (X_shuffled[start : start + batch_size], y_shuffled[start : start + batch_size])
        for start in range(0, len(X), batch_size)
    )


@minibatches_mistakes.add(
    "batches sampled independently",
    "each batch was drawn on its own, so within the epoch some examples come twice "
    "and others never. An epoch visits every example once: draw one permutation of "
    "all N indices and cut it into consecutive slices.",
)
def _mb_independent_batches(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    n = len(X)

    def drawn(start):  # each batch drawn on its own, not a slice of one permutation
        return rng.choice(n, size=min(batch_size, n - start), replace=False)

    return _batches(X, y, range(0, n, batch_size), drawn)


@minibatches_mistakes.add(
    "the legacy global random generator",
    "np.random.seed(seed) with np.random.permutation (or RandomState) is numpy's old "
    "generator and draws another permutation. Use the Generator the exercise names: "
    "np.random.default_rng(seed).permutation(len(X)).",
)
def _mb_legacy_seed(X, y, batch_size, seed):
    order = np.random.RandomState(seed).permutation(len(X))  # as np.random.seed(seed) would
    return tuple(
        (X[order[start : start + batch_size]], y[order[start : start + batch_size]])
        for start in range(0, len(X), batch_size)
    )


@minibatches_mistakes.add(
    "shuffles X and y in place",
    "rng.shuffle(X) reorders the caller's data set itself. Leave X and y as they are "
    "and index them with a permutation of the indices: X[order[start:stop]].",
)
def _mb_shuffles_in_place(X, y, batch_size, seed):
    np.random.default_rng(seed).shuffle(X)  # the same permutation for X and y, but it
    np.random.default_rng(seed).shuffle(y)  # reorders the caller's arrays
    return tuple(
        (X[start : start + batch_size].copy(), y[start : start + batch_size].copy())
        for start in range(0, len(X), batch_size)
    )


@minibatches_mistakes.add(
    "slices one short",
    "a Python slice stops before its end, so order[a:b] already holds b − a indices: "
    "ending each slice at start + batch_size − 1 gives batches of batch_size − 1 and skips "
    "one example per batch. End the slice where the next batch starts.",
)
def _mb_slices_short(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    starts = range(0, len(X), batch_size)
    return _batches(X, y, starts, lambda start: order[start : start + batch_size - 1])


@minibatches_mistakes.add(
    "slices one too long",
    "a Python slice stops before its end, so order[a:b] already holds b − a indices: "
    "ending each slice at start + batch_size + 1 gives batches of batch_size + 1 whose last "
    "example is also the first of the next batch. End the slice where the next batch starts.",
)
def _mb_slices_long(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    starts = range(0, len(X), batch_size)
    return _batches(X, y, starts, lambda start: order[start : start + batch_size + 1])


@minibatches_mistakes.add(
    "rng.choice draws with replacement",
    "rng.choice(N, N) draws N indices *with* replacement (its default): some examples come "
    "twice in the epoch and others never. An epoch needs a permutation of the N indices, "
    "drawn with rng.permutation.",
)
def _mb_choice_with_replacement(X, y, batch_size, seed):
    order = np.random.default_rng(seed).choice(len(X), len(X))  # replace=True by default
    starts = range(0, len(X), batch_size)
    return _batches(X, y, starts, lambda start: order[start : start + batch_size])


@minibatches_mistakes.add(
    "rng.choice instead of rng.permutation",
    "rng.choice(N, N, replace=False) is a fine shuffle too, but it uses the generator's "
    "random numbers differently from rng.permutation(N), so the same seed gives another "
    "order than the one checked. Draw the order with rng.permutation, as the exercise says.",
)
def _mb_choice_without_replacement(X, y, batch_size, seed):
    order = np.random.default_rng(seed).choice(len(X), len(X), replace=False)
    starts = range(0, len(X), batch_size)
    return _batches(X, y, starts, lambda start: order[start : start + batch_size])


def _mb_data(
    rng: np.random.Generator, n: int, d: int, dtype: type = np.float64, classes: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    X: np.ndarray = np.round(rng.normal(0.0, 1.0, (n, d)), 3).astype(dtype)
    X[:, 0] = np.arange(n)  # column 0 numbers the examples: easy to follow in the feedback
    y = rng.integers(0, classes, n)
    return X, y


def _mb_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    settings = [
        ("N = 10, batch_size = 4: the last batch holds 2", 10, 3, 4, np.float64),
        ("N = 23, batch_size = 5, float32 images flattened", 23, 6, 5, np.float32),
        ("N = 12, batch_size = 3: it divides N", 12, 2, 3, np.float64),
        ("N = 17, batch_size = 8", 17, 4, 8, np.float64),
    ]
    if hidden:
        settings = [
            ("N = 31, batch_size = 8", 31, 5, 8, np.float64),
            ("N = 9, batch_size = 2", 9, 3, 2, np.float32),
            ("N = 40, batch_size = 16", 40, 7, 16, np.float64),
            ("N = 14, batch_size = 5", 14, 2, 5, np.float64),
            ("N = 18, batch_size = 6", 18, 3, 6, np.float64),
        ]
    cases = []
    for k, (label, n, d, b, dtype) in enumerate(settings):
        X, y = _mb_data(rng, n, d, dtype)
        cases.append(Case(label, (X, y, b, seed * 100 + k)))
    return cases


@minibatches_mistakes.add(
    "a new permutation for every batch",
    "draw ONE permutation per call and cut it into consecutive slices. A fresh permutation "
    "for each batch lets batches overlap and misses examples: the epoch no longer sees every "
    "example exactly once.",
)
def _mb_permutation_per_batch(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    starts = range(0, len(X), batch_size)
    # a fresh permutation for each batch, not slices of one
    return _batches(X, y, starts, lambda start: rng.permutation(len(X))[start : start + batch_size])


@minibatches_mistakes.add(
    "np.array_split into batch_size batches",
    "np.array_split(order, k) cuts order into k batches, not into batches of k examples: "
    "you made batch_size batches. Cut consecutive slices of batch_size, "
    "order[start:start + batch_size], stepping start by batch_size.",
)
def _mb_array_split(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return tuple((X[idx], y[idx]) for idx in np.array_split(order, batch_size))


@minibatches_mistakes.add(
    "last partial batch merged into the one before",
    "with N // batch_size batches, the last one taking the rest of the order, the examples "
    "left over are appended to the last full batch, which becomes larger than batch_size. "
    "They form a batch of their own, smaller than batch_size: ceil(N / batch_size) batches "
    "in all. Loop with range(0, N, batch_size) and slice order[start:start + batch_size].",
)
def _mb_last_merged(X, y, batch_size, seed):
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    k = max(n // batch_size, 1)  # the leftover examples go into the last of k batches

    def indices(start):
        last = start == (k - 1) * batch_size
        return order[start:] if last else order[start : start + batch_size]

    return _batches(X, y, range(0, k * batch_size, batch_size), indices)


@minibatches_mistakes.add(
    "indices sorted inside each batch",
    "np.sort(order[start:start + batch_size]) puts each batch's examples back in the data "
    "set's order: the batches hold the right examples, but not in the order of the "
    "permutation. Index X and y with the slice of order as it is.",
)
def _mb_sorted_in_batch(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    starts = range(0, len(X), batch_size)
    return _batches(X, y, starts, lambda start: np.sort(order[start : start + batch_size]))


@minibatches_mistakes.add(
    "pairs in the order (y_batch, X_batch)",
    "each pair is (X_batch, y_batch): the inputs first, the labels second, as in the signature.",
)
def _mb_labels_first(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return tuple(
        (y[order[s : s + batch_size]], X[order[s : s + batch_size]])
        for s in range(0, len(X), batch_size)
    )


@minibatches_mistakes.add(
    "labels not shuffled",
    "your X batches follow the permutation, but your y batches are y[start:start + "
    "batch_size], the labels in the data set's order: each row of X_batch gets another "
    "example's label (a .copy() of that slice changes nothing). Index y with the same "
    "order[start:start + batch_size] as X.",
)
def _mb_labels_not_shuffled(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return tuple(
        (X[order[start : start + batch_size]], y[start : start + batch_size])
        for start in range(0, len(X), batch_size)
    )


register(
    FunctionExercise(
        name="ch03_minibatches",
        chapter="03",
        title="One epoch of shuffled mini-batches",
        signature="minibatches(X, y, batch_size, seed) -> tuple of (X_batch, y_batch) pairs",
        hint=(
            "Draw ONE permutation, order = np.random.default_rng(seed).permutation(len(X)), cut "
            "it into consecutive slices order[start:start + batch_size] for start = 0, "
            "batch_size, 2·batch_size, ... (the last slice may be shorter) and index X and y "
            "with the same slice. Return tuple(list_of_pairs)."
        ),
        solution=minibatches,
        suites=seeded(_mb_cases, visible=4, hidden=44),
        mistakes=minibatches_mistakes.all,
        references=("dlnotes.data.preprocessing:minibatches",),
    )
)
