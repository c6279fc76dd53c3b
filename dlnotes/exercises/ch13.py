"""Exercises of chapter 13 (Hyperparameter tuning).

* ``ch13_log_uniform``: ``log_uniform(low, high, n, rng)`` draws ``n`` values whose logarithm
  is uniform, every decade equally likely;
* ``ch13_coarse_to_fine_bounds``: ``coarse_to_fine_bounds(values, scores, keep_fraction)``, the
  box around the best trials of a coarse search, where the fine search looks next;
* ``ch13_halving_survivors``: ``halving_survivors(trials, scores, eta)``, the trials successive
  halving promotes to the next rung.

Each exercise is laid out as in chapter 02: the reference solution, the common wrong versions
(``_name_of_the_mistake``), the visible and hidden cases, then one :func:`register` call.

Defined in chapter 13 (Hyperparameter tuning).
"""

from __future__ import annotations

import math

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch13_log_uniform
# ============================================================================================


def log_uniform(low: float, high: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` log-uniform draws on ``[low, high]`` (``0 < low < high``), shape ``(n,)``, float64.

    ``u = rng.uniform(ln low, ln high, n)``, returned as ``exp(u)``: the logarithm is uniform, so
    each decade of ``[low, high]`` gets the same share of the draws. (``10 ** u`` with
    ``u = rng.uniform(log10 low, log10 high, n)`` gives the same numbers.)

    Defined in chapter 13 (Hyperparameter tuning).
    """
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


#: The common mistakes of ``ch13_log_uniform``, each declared on its wrong code.
log_uniform_mistakes = Mistakes()


@log_uniform_mistakes.add(
    "uniform in linear space",
    "rng.uniform(low, high, n) puts 90% of the draws in the top decade of "
    "[1e-4, 1]. Sample the exponent, not the value: draw log(value) uniformly between "
    "log(low) and log(high), then exponentiate.",
)
def _lu_linear(low, high, n, rng):
    return rng.uniform(low, high, n)


@log_uniform_mistakes.add(
    "log10 then exp",
    "np.log10 and np.exp are not inverses: exp(log10(x)) is not x, so your range is "
    "wrong. Use np.log with np.exp (or np.log10 with 10 ** u).",
)
def _lu_log10_then_exp(low, high, n, rng):
    return np.exp(rng.uniform(np.log10(low), np.log10(high), n))


@log_uniform_mistakes.add(
    "ln then 10 **",
    "np.log and 10 ** u are not inverses: 10 ** ln(x) is not x, so your range is "
    "wrong. Use np.log with np.exp (or np.log10 with 10 ** u).",
)
def _lu_ln_then_power10(low, high, n, rng):
    return 10.0 ** rng.uniform(np.log(low), np.log(high), n)


@log_uniform_mistakes.add(
    "log2 then exp",
    "np.log2 and np.exp are not inverses: exp(log2(x)) is not x, so your range is wrong "
    "(for [1e-4, 1], about [1.7e-6, 1]). The logs and the inverse need the same base: np.log "
    "with np.exp (or np.log2 with 2 ** u, np.log10 with 10 ** u).",
)
def _lu_log2_then_exp(low, high, n, rng):
    return np.exp(rng.uniform(np.log2(low), np.log2(high), n))


@log_uniform_mistakes.add(
    "bounds used as exponents",
    "low and high are the values themselves (e.g. 1e-4 and 1), not their exponents: "
    "take their logarithms first, u ~ U(ln low, ln high), and return exp(u).",
)
def _lu_bounds_as_exponents(low, high, n, rng):
    return 10.0 ** rng.uniform(low, high, n)


@log_uniform_mistakes.add(
    "bounds used as exponents of e",
    "rng.uniform(low, high, n) draws between the values themselves, so np.exp of it lies "
    "between e^low and e^high (about 1 and 2.7 for [1e-4, 1]), not between low and high. "
    "Draw between the logarithms of the bounds, np.log(low) and np.log(high), then "
    "exponentiate.",
)
def _lu_exp_of_values(low, high, n, rng):
    return np.exp(rng.uniform(low, high, n))


@log_uniform_mistakes.add(
    "exp and log the wrong way round",
    "you drew between np.exp(low) and np.exp(high) and took the log: the draws do lie in "
    "[low, high], but for small bounds e^x ≈ 1 + x, so they are spread almost evenly, not "
    "log-uniformly (over [1e-4, 1], 94% land in the top decade). Go the other way: take the "
    "logs of the bounds, draw uniformly between them, and apply np.exp to the draws.",
)
def _lu_log_of_exp_bounds(low, high, n, rng):
    return np.log(rng.uniform(np.exp(low), np.exp(high), n))


@log_uniform_mistakes.add(
    "log of uniform draws",
    "np.log(rng.uniform(low, high, n)) returns the logarithms of draws spread evenly over "
    "[low, high], not values in [low, high] (negative numbers when the bounds are below 1). "
    "The uniform draw is the exponent: draw it between np.log(low) and np.log(high), then "
    "return np.exp of it.",
)
def _lu_log_of_linear(low, high, n, rng):
    return np.log(rng.uniform(low, high, n))


@log_uniform_mistakes.add(
    "log of one bound only",
    "the exponent must run from ln(low) to ln(high): you took the log of one bound "
    "but not of the other, so the upper end of your range is exp(high), not high.",
)
def _lu_log_of_one_bound(low, high, n, rng):
    return np.exp(rng.uniform(np.log(low), high, n))


@log_uniform_mistakes.add(
    "samples sorted",
    "the draws must come back in the order rng drew them: np.sort (or sorted) reorders "
    "them, so they are no longer independent draws in sequence (a search would try its "
    "smallest learning rates first). Return np.exp(u) as drawn.",
)
def _lu_sorted(low, high, n, rng):
    return np.sort(np.exp(rng.uniform(np.log(low), np.log(high), n)))


#: The hidden cases' ranges, drawn from the seed: ``(log10 low from, to)``, ``(decades from,
#: to)`` between low and high: tiny values over many decades, a range across 1, a learning-rate
#: range, a weight-decay range.
_LU_HIDDEN_RANGES = [
    ((-6.0, -4.0), (2.0, 4.0)),
    ((-1.0, 0.3), (1.0, 2.0)),
    ((-4.0, -2.5), (1.0, 3.0)),
    ((-3.0, -1.5), (2.0, 3.0)),
]


def _lu_hidden_bounds(seed: int) -> list[tuple[float, float, int]]:
    """``(low, high, n)`` per range: two significant digits, at least ten times apart."""
    rng = np.random.default_rng([seed, 13])  # not the stream of a case's generator
    bounds = []
    for (e_lo, e_hi), (d_lo, d_hi) in _LU_HIDDEN_RANGES:
        low = float(f"{10.0 ** rng.uniform(e_lo, e_hi):.2g}")
        high = float(f"{low * 10.0 ** rng.uniform(d_lo, d_hi):.2g}")
        bounds.append((low, max(high, 10.0 * low), int(rng.integers(4, 12))))
    return bounds


#: A case of :data:`_LU_MANY` draws over one decade: enough numbers for the generic "other
#: random draws" diagnosis to judge their spread, so that a learner who draws from the global
#: ``np.random`` (or a new generator) instead of ``rng`` is told to use ``rng``.
_LU_MANY = 200


def _lu_cases(seed: int, hidden: bool) -> list[Case]:
    bounds = [(1e-4, 1.0, 8), (1e-3, 0.3, 6), (2.0, 500.0, 5), (1e-6, 1e-2, 7)]
    if hidden:
        bounds = _lu_hidden_bounds(seed)
    bounds = [*bounds, (0.01, 0.1, _LU_MANY) if not hidden else (0.002, 0.02, _LU_MANY)]
    cases = []
    for i, (low, high, n) in enumerate(bounds):
        rng = np.random.default_rng(seed + i)
        cases.append(Case(f"low = {low:g}, high = {high:g}, n = {n}", (low, high, n, rng)))
    return cases


@log_uniform_mistakes.add(
    "evenly spaced, not random",
    "np.logspace (or np.geomspace) puts the n values on a fixed grid; a random search draws "
    "them: draw the logarithm uniformly with rng, then exponentiate.",
)
def _lu_grid(low, high, n, rng):
    return np.geomspace(low, high, n)


@log_uniform_mistakes.add(
    "one value too many drawn",
    "your values are right, but your function draws n + 1 values from rng "
    "(rng.uniform(..., n + 1)[:n], or one more draw after the n you return), so rng is left "
    "one draw further on than it should be and the next trial of a search (the next draw from "
    "rng) is not the one its seed gives. Draw exactly n values, in one call: "
    "rng.uniform(np.log(low), np.log(high), n).",
)
def _lu_one_too_many(low, high, n, rng):
    return np.exp(rng.uniform(np.log(low), np.log(high), n + 1))[:n]


@log_uniform_mistakes.add(
    "the logs returned",
    "rng.uniform(np.log(low), np.log(high), n) draws the *logarithms* of the values; "
    "return np.exp of them.",
)
def _lu_no_exp(low, high, n, rng):
    return rng.uniform(np.log(low), np.log(high), n)


register(
    FunctionExercise(
        name="ch13_log_uniform",
        chapter="13",
        title="Sampling on a log scale",
        signature="log_uniform(low, high, n, rng) -> array of shape (n,)",
        hint=(
            "Draw the exponent, not the value: u = rng.uniform(np.log(low), np.log(high), n), "
            "then return np.exp(u). Both logs and the inverse must use the same base."
        ),
        solution=log_uniform,
        suites=seeded(_lu_cases, visible=13, hidden=130),
        mistakes=log_uniform_mistakes.all,
        references=("dlnotes.tuning:LogUniform.sample",),
        diagnoses={
            "draws": "draw from the rng you are given, in one call rng.uniform(..., n): "
            "np.random.uniform (the global generator) or a new np.random.default_rng() gives "
            "other numbers, and a search could not be reproduced from its seed"
        },
    )
)


# ============================================================================================
# ch13_coarse_to_fine_bounds
# ============================================================================================


def coarse_to_fine_bounds(
    values: np.ndarray, scores: np.ndarray, keep_fraction: float
) -> np.ndarray:
    """The box around the best trials of a coarse search, shape ``(d, 2)``: ``[low, high]`` per
    hyperparameter.

    ``values`` is ``(n, d)`` (trial ``i``'s hyperparameters in row ``i``), ``scores`` ``(n,)``
    (lower is better). Keep the ``k = ceil(keep_fraction · n)`` trials with the lowest scores;
    row ``j`` of the result is the smallest and the largest kept value of hyperparameter ``j``.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    k = math.ceil(keep_fraction * len(scores))
    best = np.argsort(scores)[:k]
    kept = values[best]
    return np.stack([kept.min(axis=0), kept.max(axis=0)], axis=1)


def _best_rows(values, scores, k):
    """The rows of ``values`` of the ``k`` lowest scores, best first."""
    return values[np.argsort(scores)[:k]]


def _box(kept):
    """The ``[low, high]`` of each column of ``kept``, shape ``(d, 2)``."""
    return np.stack([kept.min(axis=0), kept.max(axis=0)], axis=1)


#: The common mistakes of ``ch13_coarse_to_fine_bounds``, each declared on its wrong code.
coarse_to_fine_bounds_mistakes = Mistakes()


@coarse_to_fine_bounds_mistakes.add(
    "kept the worst trials",
    "lower scores are better: np.argsort sorts ascending, so the best trials are "
    "np.argsort(scores)[:k], not the last k.",
)
def _ctf_worst(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    kept = values[np.argsort(scores)[::-1][:k]]  # the k highest scores
    return _box(kept)


@coarse_to_fine_bounds_mistakes.add(
    "rounded k down",
    "keep k = ceil(keep_fraction · n) trials (math.ceil), not int(...), which rounds "
    "down and drops a trial when keep_fraction · n is not whole.",
)
def _ctf_floor(values, scores, keep_fraction):
    k = max(1, int(keep_fraction * len(scores)))  # rounds down
    return _box(_best_rows(values, scores, k))


@coarse_to_fine_bounds_mistakes.add(
    "round() instead of ceil",
    "keep k = ceil(keep_fraction · n) trials (math.ceil): round(...) rounds down whenever "
    "the fractional part is below one half (and at exactly one half, to the even number: "
    "round(4.5) is 4), dropping a trial the task keeps.",
)
def _ctf_round(values, scores, keep_fraction):
    k = max(1, round(keep_fraction * len(scores)))
    return _box(_best_rows(values, scores, k))


@coarse_to_fine_bounds_mistakes.add(
    "bounds of all trials",
    "your box covers every trial, so the fine search would look everywhere again: "
    "keep only the best k rows before taking min and max.",
)
def _ctf_all_trials(values, scores, keep_fraction):
    return _box(values)  # every trial, not the best k


@coarse_to_fine_bounds_mistakes.add(
    "shape (2, d) instead of (d, 2)",
    "one row per hyperparameter, [low, high] in it: stack with axis=1 "
    "(np.stack([lo, hi], axis=1)), not axis=0.",
)
def _ctf_transposed(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    kept = _best_rows(values, scores, k)
    return np.stack([kept.min(axis=0), kept.max(axis=0)], axis=0)  # axis=0: (2, d)


@coarse_to_fine_bounds_mistakes.add(
    "kept the scores below a quantile",
    "np.quantile interpolates between scores, so 'scores <= quantile' can keep fewer "
    "than k = ceil(keep_fraction · n) trials (with 3 trials and 0.4, one instead of "
    "two). Sort and take the first k: np.argsort(scores)[:k].",
)
def _ctf_quantile(values, scores, keep_fraction):
    kept = values[scores <= np.quantile(scores, keep_fraction)]
    return _box(kept)


@coarse_to_fine_bounds_mistakes.add(
    "first k trials, not the best",
    "the first k rows are the first k trials run, not the best ones: sort by score "
    "with np.argsort(scores) first.",
)
def _ctf_first_rows(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    kept = values[:k]  # the first k trials run
    return _box(kept)


@coarse_to_fine_bounds_mistakes.add(
    "k from the number of hyperparameters",
    "values has one row per trial and one column per hyperparameter, so values.shape[1] is "
    "d, the number of hyperparameters: k counts trials, k = ceil(keep_fraction · n) with "
    "n = len(scores) (or values.shape[0]).",
)
def _ctf_k_of_d(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * values.shape[1])  # d, not n
    return _box(_best_rows(values, scores, k))


@coarse_to_fine_bounds_mistakes.add(
    "[high, low] in each row",
    "each row is [low, high]: the smallest kept value first, then the largest "
    "(np.stack([kept.min(axis=0), kept.max(axis=0)], axis=1)).",
)
def _ctf_high_low(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    kept = _best_rows(values, scores, k)
    return np.stack([kept.max(axis=0), kept.min(axis=0)], axis=1)  # max first


@coarse_to_fine_bounds_mistakes.add(
    "min and max of each trial, not of each hyperparameter",
    "the kept rows are trials and the columns hyperparameters, so kept.min(axis=1) is the "
    "smallest hyperparameter value of each trial (k numbers mixing, say, a learning rate with "
    "a weight decay). The box needs, for each hyperparameter j, the smallest and the largest "
    "value over the kept trials: reduce over the trials, axis=0, which gives d lows and "
    "d highs.",
)
def _ctf_per_trial(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    kept = _best_rows(values, scores, k)
    return np.stack([kept.min(axis=1), kept.max(axis=1)], axis=1)  # one row per kept trial


@coarse_to_fine_bounds_mistakes.add(
    "min and max over all the kept values",
    "kept.min() without an axis is the smallest number in the whole array, over every "
    "hyperparameter at once, so each row of your box got the same [low, high]. Each "
    "hyperparameter needs its own range: reduce over the kept trials only, axis=0.",
)
def _ctf_one_range_for_all(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    kept = _best_rows(values, scores, k)
    return np.array([[kept.min(), kept.max()]] * values.shape[1])  # no axis: one range


def _ctf_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    # (3, 2, 0.4) and (4, 2, 0.3): k = 2, where a score quantile would keep only 1 trial.
    # No (n, fraction) whose float product lands just above a whole number (0.07 * 100 is
    # 7.000000000000001): the learner's natural math.ceil(fraction * n) must stay right
    # (tests/test_ch13_feedback.py scans every case).
    # (20, 4, 0.1) and (20, 3, 0.25): keep_fraction · n is whole (2 and 5 exactly), where
    # int(keep_fraction · n) + 1 keeps one trial too many.
    shapes = [(10, 2, 0.25), (12, 3, 0.2), (7, 2, 0.5), (20, 4, 0.1), (3, 2, 0.4)]
    if hidden:
        shapes = [(15, 3, 0.3), (9, 2, 0.25), (30, 2, 0.15), (11, 5, 0.4), (4, 2, 0.3)]
        shapes.append((20, 3, 0.25))  # appended: the cases above keep their inputs
        # 3.6 trials: round() gives ceil's 4 and int() 3, so the two slips differ here too
        shapes.append((8, 2, 0.45))
    cases = []
    for n, d, frac in shapes:
        values = rng.uniform(-4.0, 1.0, (n, d)).round(3)
        # the score depends on the first hyperparameter mostly, plus noise: a realistic search
        scores = (values[:, 0] + 2.0) ** 2 + 0.3 * rng.standard_normal(n)
        cases.append(
            Case(f"n = {n} trials, d = {d}, keep_fraction = {frac}", (values, scores, frac))
        )
    return cases


@coarse_to_fine_bounds_mistakes.add(
    "one trial too many",
    "np.argsort(scores)[:k + 1] keeps k + 1 trials; the best k are np.argsort(scores)[:k], "
    "with k = ceil(keep_fraction · n).",
)
def _ctf_one_more(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    return _box(_best_rows(values, scores, k + 1))  # k + 1 rows


@coarse_to_fine_bounds_mistakes.add(
    "int(keep_fraction · n) + 1 for the ceiling",
    "int(keep_fraction * n) + 1 is the ceiling only when keep_fraction · n is not whole: "
    "with n = 20 and keep_fraction = 0.25 it keeps 6 trials instead of 5. Use "
    "k = math.ceil(keep_fraction * n).",
)
def _ctf_int_plus_one(values, scores, keep_fraction):
    k = int(keep_fraction * len(scores)) + 1  # one too many when keep_fraction · n is whole
    return _box(_best_rows(values, scores, k))


register(
    FunctionExercise(
        name="ch13_coarse_to_fine_bounds",
        chapter="13",
        title="Coarse to fine: where to search next",
        signature="coarse_to_fine_bounds(values, scores, keep_fraction) -> array of shape (d, 2)",
        hint=(
            "k = math.ceil(keep_fraction * n); np.argsort(scores)[:k] are the k lowest scores; "
            "take those rows of values and stack their column minima and maxima side by side, "
            "np.stack([lo, hi], axis=1)."
        ),
        solution=coarse_to_fine_bounds,
        suites=seeded(_ctf_cases, visible=131, hidden=1313),
        mistakes=coarse_to_fine_bounds_mistakes.all,
        references=("dlnotes.tuning:narrow_space", "dlnotes.tuning:Results.top"),
    )
)


# ============================================================================================
# ch13_halving_survivors
# ============================================================================================


def halving_survivors(trials: np.ndarray, scores: np.ndarray, eta: int) -> np.ndarray:
    """The trials one rung of successive halving promotes, best first, shape ``(k,)``.

    ``trials`` holds the ids of the ``n`` trials of the rung and ``scores`` their scores (lower
    is better; NaN for a failed run). Keep ``k = max(1, floor(n / eta))`` trials: those with the
    lowest scores, best first, ties in rung order, failed runs last (``np.argsort`` with
    ``kind="stable"`` does all three). Returns their ids.

    Defined in chapter 13 (Hyperparameter tuning).
    """
    k = max(1, len(scores) // eta)
    order = np.argsort(scores, kind="stable")
    return np.asarray(trials)[order[:k]]


def _survivors(trials, scores, k):
    """The ids of the ``k`` trials of lowest ``scores``, best first (a stable sort)."""
    return np.asarray(trials)[np.argsort(scores, kind="stable")[:k]]


#: The common mistakes of ``ch13_halving_survivors``, each declared on its wrong code.
halving_survivors_mistakes = Mistakes()


@halving_survivors_mistakes.add(
    "rounded k up",
    "successive halving keeps floor(n / eta) trials (n // eta), so the rung sizes "
    "shrink by eta each time; math.ceil keeps one too many when eta does not divide n.",
)
def _hs_ceil(trials, scores, eta):
    k = math.ceil(len(scores) / eta)  # rounds up
    return _survivors(trials, scores, k)


@halving_survivors_mistakes.add(
    "no survivor when n < eta",
    "with fewer trials than eta, n // eta is 0 and the search would end with nobody: "
    "keep at least one, max(1, n // eta).",
)
def _hs_no_minimum(trials, scores, eta):
    k = len(scores) // eta  # 0 when n < eta
    return _survivors(trials, scores, k)


@halving_survivors_mistakes.add(
    "kept the worst trials",
    "lower scores are better: np.argsort sorts ascending, so the survivors are the "
    "first k of the order, not the last k.",
)
def _hs_worst(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.asarray(trials)[np.argsort(scores)[::-1][:k]]  # numpy's default sort, as written


@halving_survivors_mistakes.add(
    "returned positions, not trial ids",
    "np.argsort gives positions in this rung (0, 1, ...), but the next rung needs the "
    "trials' own ids: index trials with them, trials[order[:k]].",
)
def _hs_positions(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.argsort(scores, kind="stable")[:k]


@halving_survivors_mistakes.add(
    "survivors in id order, not best first",
    "you kept the right trials but sorted them by id; return them in score order, "
    "best first, so the last rung's winner is element 0.",
)
def _hs_trial_order(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.sort(_survivors(trials, scores, k))  # re-sorted by id


@halving_survivors_mistakes.add(
    "highest scores kept",
    "the scores are losses or error rates: lower is better, so keep the k smallest (an "
    "ascending sort), not the largest.",
)
def _hs_descending(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return _survivors(trials, -np.asarray(scores), k)


@halving_survivors_mistakes.add(
    "failed runs promoted first",
    "a NaN score is a failed (diverged) run and must never go on ahead of a finished "
    "one; np.argsort already sorts NaN last, so leave it NaN: replacing it by any number "
    "(-inf, or 0 with np.nan_to_num) can promote it.",
)
def _hs_nan_first(trials, scores, eta):
    k = max(1, len(scores) // eta)
    filled = np.where(np.isnan(scores), -np.inf, scores)  # NaN sorts first
    return _survivors(trials, filled, k)


@halving_survivors_mistakes.add(
    "failed runs replaced by 0.9",
    "the chapter's objective scores a diverged run as 0.9 (90% dev error), but here a failed "
    "run must sort after every finished one, whatever its score: a finished run can end at "
    "0.9 or worse (1.0), and then the failed run ties with it (or beats it) and goes on ahead "
    "of it. Leave NaN as it is: np.argsort(scores, kind='stable') already sorts it last.",
)
def _hs_nan_as_0_9(trials, scores, eta):
    k = max(1, len(scores) // eta)
    filled = np.where(np.isnan(scores), 0.9, scores)  # the objective's "diverged" score
    return _survivors(trials, filled, k)


@halving_survivors_mistakes.add(
    "failed runs replaced by 0.9, then an unstable sort",
    "two slips. The chapter's objective scores a diverged run as 0.9, but here a failed run "
    "must sort after every finished one, whatever its score, and a finished run can end at "
    "0.9 or 1.0: the failed run then ties with it (or beats it). And np.argsort sorts with "
    "quicksort by default, which is not stable: tied trials (the failed runs all at 0.9) can "
    "come out in any order, not the rung's. Leave NaN as it is and ask for a stable sort: "
    "np.argsort(scores, kind='stable') sorts NaN last and keeps ties in rung order.",
)
def _hs_nan_as_0_9_unstable(trials, scores, eta):
    k = max(1, len(scores) // eta)
    filled = np.nan_to_num(scores, nan=0.9)  # the objective's "diverged" score
    return np.asarray(trials)[np.argsort(filled)[:k]]  # quicksort: ties in any order


@halving_survivors_mistakes.add(
    "failed runs replaced by 1.0",
    "1.0 is the worst dev error a finished run can get, and a finished run can get it: the "
    "failed run then ties with it and, earlier in the rung, goes on ahead of it (a number "
    "just below 1.0, such as 0.95 or 0.99, puts it ahead of that run too). A failed run "
    "must sort after every finished one, whatever its score; no number does that for every "
    "rung (the chapter's objective uses 0.9 for a diverged run), so leave NaN as it is: "
    "np.argsort(scores, kind='stable') already sorts it last.",
)
def _hs_nan_as_1(trials, scores, eta):
    k = max(1, len(scores) // eta)
    filled = np.where(np.isnan(scores), 1.0, scores)  # the worst error rate
    return _survivors(trials, filled, k)


@halving_survivors_mistakes.add(
    "failed runs replaced by the worst finished score",
    "np.nanmax(scores) gives a failed run the score of the worst finished run, so the two "
    "tie, and the failed run goes on ahead of it when it comes earlier in the rung. A failed "
    "run must sort after every finished one, whatever its score (the chapter's objective "
    "scores a diverged run 0.9, a number a finished run can reach too): leave NaN as it is, "
    "np.argsort(scores, kind='stable') already sorts it last.",
)
def _hs_nan_as_worst(trials, scores, eta):
    k = max(1, len(scores) // eta)
    filled = np.where(np.isnan(scores), np.nanmax(scores), scores)  # ties the worst run
    return _survivors(trials, filled, k)


@halving_survivors_mistakes.add(
    "failed runs given a score that finished runs exceed",
    "you gave a failed run (NaN) a number, such as 0.5, that some finished runs score above: "
    "it then sorts ahead of all of them and can go on in place of a run that finished. The "
    "number you chose does not matter: a finished run can score anything up to the worst "
    "error, 1.0, so a failed run must sort after every finished one, whatever their scores. "
    "Leave NaN as it is: np.argsort(scores, kind='stable') already sorts it last.",
)
def _hs_nan_as_middle(trials, scores, eta):
    k = max(1, len(scores) // eta)
    filled = np.where(np.isnan(scores), 0.5, scores)  # a number inside the finished runs' range
    return _survivors(trials, filled, k)


@halving_survivors_mistakes.add(
    "dropped 1/eta instead of keeping it",
    "successive halving keeps the best 1/eta of the trials (n // eta of them), not all but 1/eta.",
)
def _hs_kept_a_fraction_of_eta(trials, scores, eta):
    k = max(1, int(len(scores) * (1 - 1 / eta)))  # all but 1/eta
    return _survivors(trials, scores, k)


@halving_survivors_mistakes.add(
    "ties broken by trial id",
    "two trials with the same score (or two failed runs) go on in the rung's order: the "
    "one that comes first in trials goes first. Yours put the smaller id (or the later "
    "trial) first: sort by score only, with a stable sort, np.argsort(scores, "
    "kind='stable'), and do not add the ids (or reversed positions) as a second key.",
)
def _hs_ties_by_id(trials, scores, eta):
    k = max(1, len(scores) // eta)
    trials = np.asarray(trials)
    return trials[np.lexsort((trials, scores))[:k]]


@halving_survivors_mistakes.add(
    "failed runs dropped",
    "keep exactly k = max(1, n // eta) trials even when fewer than k runs finished: the "
    "failed runs (NaN) then fill the last places, in rung order. np.argsort(scores, "
    "kind='stable') already puts them there; do not filter them out first.",
)
def _hs_failed_dropped(trials, scores, eta):
    k = max(1, len(scores) // eta)
    order = np.argsort(scores, kind="stable")
    finished = order[~np.isnan(scores[order])]
    return np.asarray(trials)[finished[:k]]


@halving_survivors_mistakes.add(
    "failed runs left out of n",
    "n is the number of trials in the rung, failed runs included: k = max(1, n // eta) with "
    "n = len(scores). You counted only the finished runs, so you keep too few trials when a "
    "run failed. Sort all the scores (NaN goes last by itself) and keep the first k.",
)
def _hs_k_of_finished(trials, scores, eta):
    finished = ~np.isnan(scores)
    k = max(1, int(np.sum(finished)) // eta)  # n without the failed runs
    return _survivors(np.asarray(trials)[finished], scores[finished], k)


@halving_survivors_mistakes.add(
    "Python's sorted with NaN scores",
    "sorted(..., key=lambda i: scores[i]) compares NaN with the other scores, and every "
    "comparison with NaN is False, so a failed run (NaN) can end up anywhere in the order, "
    "even ahead of finished runs, and the runs around it may be left unsorted. Use "
    "np.argsort(scores, kind='stable'), which puts NaN last and keeps ties in rung order.",
)
def _hs_python_sorted(trials, scores, eta):
    k = max(1, len(scores) // eta)
    order = sorted(range(len(scores)), key=lambda i: scores[i])  # NaN: no order
    return np.asarray(trials)[order[:k]]


@halving_survivors_mistakes.add(
    "sorted (score, id) pairs",
    "sorting the pairs (score, trial id) breaks ties by id, not by the rung's order, and "
    "every comparison with a NaN score is False, so the failed runs are not put last. Sort "
    "the scores alone with np.argsort(scores, kind='stable') (NaN last, ties in rung order) "
    "and index trials with the result.",
)
def _hs_sorted_pairs(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.array([t for _, t in sorted(zip(scores, trials))][:k])


@halving_survivors_mistakes.add(
    "np.argpartition does not sort",
    "np.argpartition(scores, k)[:k] finds the k lowest scores but in no particular order, "
    "and the survivors go on best first (ties in rung order, failed runs last). Sort with "
    "np.argsort(scores, kind='stable') and take the first k.",
)
def _hs_argpartition(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.asarray(trials)[np.argpartition(scores, k)[:k]]


def _ids_against_rung_order(trials: np.ndarray, scores: np.ndarray) -> None:
    """Give each group of equal scores (the failed runs, NaN, are one group) decreasing ids
    along the rung, in place: the rung's order and the ids' order then disagree on every tie,
    so a tie broken by id (or later trial first) shows on the tie cases, always in the same
    way, whatever the seed."""
    key = np.where(np.isnan(scores), np.inf, scores)
    for value in np.unique(key):
        where = np.flatnonzero(key == value)
        if len(where) > 1:
            trials[where] = np.sort(trials[where])[::-1]


def _hs_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    # (n, eta, ids, n_failed, with a tie)
    plans = [
        (9, 3, "shuffled", 0, False),
        (10, 3, "shuffled", 0, False),  # floor(10/3) = 3, ceil = 4
        (2, 3, "shuffled", 0, False),  # fewer trials than eta: one survives
        (8, 2, "shuffled", 2, False),  # two failed runs (NaN)
        (6, 2, "shuffled", 0, True),  # a tie: the earlier trial first
        (7, 2, "shuffled", 5, False),  # k = 3 but 2 runs finished: a failed run goes on
        (20, 2, "shuffled", 0, "many"),  # scores on a coarse grid: a stable sort is needed
    ]
    if hidden:
        plans = [
            (27, 3, "shuffled", 3, False),
            (11, 4, "shuffled", 0, True),
            (3, 4, "shuffled", 1, False),
            (16, 2, "shuffled", 0, False),
            (7, 3, "shuffled", 2, True),
            (9, 3, "shuffled", 8, False),  # k = 3, only 1 finished
            (24, 3, "shuffled", 0, "many"),
        ]
    cases = []
    for n, eta, _, failed, tie in plans:
        trials = rng.permutation(np.arange(3, 3 + 2 * n, 2))  # ids are not positions
        scores = rng.uniform(0.05, 0.9, n).round(4)
        if failed:
            scores[rng.choice(n, failed, replace=False)] = np.nan
        if tie == "many":  # numpy's default sort is not stable from 17 entries on
            scores = rng.choice(np.array([0.2, 0.35, 0.5, 0.65]), n)
        elif tie:
            i, j = np.argsort(scores)[:2]
            scores[max(i, j)] = scores[min(i, j)]  # the two best share a score
        _ids_against_rung_order(trials, scores)
        label = f"n = {n}, eta = {eta}" + (f", {failed} failed runs" if failed else "")
        label += {True: ", a tie", "many": ", many ties"}.get(tie, "")
        cases.append(Case(label, (trials, scores, eta)))
    # finished runs at exactly 0.9 (the chapter's objective's score for a diverged run) and
    # 1.0 (the worst dev error), after a failed run in the rung and among the survivors: a
    # failed run given either score (or the worst finished one) goes on ahead of them
    if hidden:
        scores = np.array([0.47, np.nan, 0.9, 1.0, np.nan, np.nan, np.nan, np.nan, np.nan])
        eta = 3
    else:
        scores = np.array([0.3, np.nan, 0.9, 1.0, np.nan, np.nan, 0.6, np.nan])
        eta = 2
    n, failed = len(scores), int(np.sum(np.isnan(scores)))
    trials = rng.permutation(np.arange(3, 3 + 2 * n, 2))
    _ids_against_rung_order(trials, scores)
    label = f"n = {n}, eta = {eta}, {failed} failed runs, finished runs at 0.9 and 1.0"
    cases.append(Case(label, (trials, scores, eta)))
    return cases


@halving_survivors_mistakes.add(
    "k rounded to the nearest",
    "successive halving keeps floor(n / eta) trials, n // eta; round(n / eta) keeps one "
    "too many whenever the remainder is more than half of eta (and at exactly half when "
    "Python's round, which sends halves to the even number, rounds up).",
)
def _hs_round(trials, scores, eta):
    k = max(1, round(len(scores) / eta))  # rounds to the nearest
    return _survivors(trials, scores, k)


@halving_survivors_mistakes.add(
    "unstable sort",
    "np.argsort(scores) sorts with quicksort by default, which is not stable: from about 17 "
    "scores on, trials with the same score can come out in any order, not the rung's. Ask "
    "for a stable sort, np.argsort(scores, kind='stable'): equal scores then keep the rung's "
    "order (and NaN still goes last).",
)
def _hs_unstable(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.asarray(trials)[np.argsort(scores)[:k]]


@halving_survivors_mistakes.add(
    "failed runs as inf, then an unstable sort",
    "replacing NaN by inf does put the failed runs last, but then they all share one score, "
    "and the rule for equal scores is the rung's order: of two trials with the same score (two "
    "failed runs, or two finished ones), the one that comes first in trials goes on first. "
    "np.argsort sorts with quicksort by default, which is not stable: tied trials can come out "
    "in any order. Ask for a stable sort, np.argsort(scores, kind='stable'), which also sorts "
    "NaN last by itself (no inf needed).",
)
def _hs_inf_unstable(trials, scores, eta):
    k = max(1, len(scores) // eta)
    filled = np.where(np.isnan(scores), np.inf, scores)  # every failed run ties at inf
    return np.asarray(trials)[np.argsort(filled)[:k]]  # quicksort: ties in any order


register(
    FunctionExercise(
        name="ch13_halving_survivors",
        chapter="13",
        title="Successive halving: who goes on",
        signature="halving_survivors(trials, scores, eta) -> array of trial ids, best first",
        hint=(
            "k = max(1, len(scores) // eta); order = np.argsort(scores, kind='stable') puts the "
            "lowest scores first, ties in rung order and NaN last; return trials[order[:k]]."
        ),
        solution=halving_survivors,
        suites=seeded(_hs_cases, visible=137, hidden=1337),
        mistakes=halving_survivors_mistakes.all,
        references=("dlnotes.tuning:successive_halving",),
        diagnoses={  # wording for generic diagnoses (dlnotes.exercises.diagnose): no loop here
            "shifted": "there is no loop here: the survivors are moved by one place, so did a "
            "failed run (NaN), given a score, take the place of a finished one, or was the best "
            "trial skipped? A failed run must sort after every finished run, whatever its "
            "score: leave NaN as it is, np.argsort(scores, kind='stable') puts it last"
        },
    )
)
