"""Exercises of chapter 01 (Setting up a learning problem).

* ``ch01_standardize``: ``standardize(X_train, X_other)`` scales both sets with the *training*
  set's per-feature mean and standard deviation;
* ``ch01_dev_set_size``: ``dev_set_size(p, se)``, the smallest dev set whose accuracy estimate
  has standard error at most ``se``;
* ``ch01_diagnose``: ``diagnose(train_err, dev_err, bayes_err)`` names the problem (high bias,
  high variance, both, or neither) from the three error rates.

Each exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call.

Defined in chapter 01 (Setting up a learning problem).
"""

from __future__ import annotations

import math

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch01_standardize
# ============================================================================================

#: Training standard deviations below this count as zero (a constant feature).
STD_EPS = 1e-8


def standardize(X_train: np.ndarray, X_other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardize ``X_train (N, D)`` and ``X_other (M, D)`` with the training statistics.

    ``x' = (x − μ) / σ`` with ``μ`` and ``σ`` the per-feature (column) mean and population
    standard deviation (``ddof=0``) of ``X_train``; a feature whose training ``σ`` is below
    ``1e-8`` (constant in the training set) is only centred (``σ`` replaced by 1). Returns the
    two new arrays; the inputs are left untouched.

    Defined in chapter 01 (Setting up a learning problem).
    """
    mu = X_train.mean(axis=0)
    sigma = X_train.std(axis=0)
    sigma = np.where(sigma < STD_EPS, 1.0, sigma)  # constant features: centre only
    return (X_train - mu) / sigma, (X_other - mu) / sigma


#: The common mistakes of ``ch01_standardize``, each declared on its wrong code.
standardize_mistakes = Mistakes()


@standardize_mistakes.add(
    "statistics over axis=1, which cannot broadcast",
    "X_train.mean(axis=1) is one mean per example, of shape (N,), and numpy cannot subtract "
    "it from an (N, D) array: shapes are matched from the right, D against N. The statistics "
    "are per feature, over the examples: X_train.mean(axis=0) and X_train.std(axis=0), each "
    "of shape (D,), broadcast over the rows.",
)
def _std_axis1_raises(X_train, X_other):
    mu, sigma = X_train.mean(axis=1), X_train.std(axis=1)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "statistics per example (axis=1, keepdims=True), which cannot broadcast over X_other",
    "μ and σ are per feature: over the examples, axis=0. Yours were taken along axis=1, one "
    "per training example, of shape (N, 1): that fits X_train's N rows (each example scaled "
    "by its own statistics, not the features') but not X_other's M rows. Per feature they "
    "have shape (D,) and broadcast over the rows of both sets.",
)
def _std_axis1_keepdims_raises(X_train, X_other):
    mu, sigma = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
    sigma = np.where(sigma < STD_EPS, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma  # (M, D) against (N, 1): raises


@standardize_mistakes.add(
    "statistics over axis=1, which cannot broadcast (X_other scaled first)",
    "μ and σ are per feature: over the examples, axis=0. X_train.mean(axis=1) is one mean "
    "per training example, of shape (N,), and numpy cannot subtract it from X_other, an "
    "(M, D) array: shapes are matched from the right, D against N. Per feature the "
    "statistics have shape (D,) and broadcast over the rows of both sets.",
)
def _std_axis1_other_first_raises(X_train, X_other):
    mu, sigma = X_train.mean(axis=1), X_train.std(axis=1)
    X_other_std = (X_other - mu) / sigma  # (M, D) against (N,): raises
    return (X_train - mu) / sigma, X_other_std


@standardize_mistakes.add(
    "the other set centred by its own mean",
    "X_other is divided by the training σ but centred by its own mean: both statistics "
    "come from X_train. A shift of the inputs at test time must stay visible to the model "
    "(and a single test example, centred by its own mean, becomes all zeros): "
    "(X_other − μ_train) / σ_train.",
)
def _std_own_mean(X_train, X_other):
    mu = X_train.mean(axis=0)
    sigma = X_train.std(axis=0)
    sigma = np.where(sigma < STD_EPS, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - X_other.mean(axis=0)) / sigma


@standardize_mistakes.add(
    "statistics of the other set",
    "X_other must be scaled with the *training* μ and σ, not its own: the model was "
    "trained on inputs scaled by the training statistics, and at test time you may "
    "have a single example, which has no statistics of its own.",
)
def _std_own_stats(X_train, X_other):
    def scale(X):
        sigma = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(sigma < STD_EPS, 1.0, sigma)

    return scale(X_train), scale(X_other)


@standardize_mistakes.add(
    "statistics of both sets pooled",
    "μ and σ come from X_train alone. Computing them on training and other data "
    "together lets the dev/test set leak into training.",
)
def _std_pooled_stats(X_train, X_other):
    both = np.concatenate([X_train, X_other])
    mu, sigma = both.mean(axis=0), both.std(axis=0)
    sigma = np.where(sigma < STD_EPS, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "divided by the variance",
    "divide by the standard deviation σ = sqrt(variance), not the variance: "
    "X.std(axis=0), not X.var(axis=0).",
)
def _std_variance(X_train, X_other):
    mu, var = X_train.mean(axis=0), X_train.var(axis=0)
    var = np.where(var < STD_EPS, 1.0, var)
    return (X_train - mu) / var, (X_other - mu) / var


@standardize_mistakes.add(
    "statistics per example (wrong axis)",
    "the mean and σ are taken per feature, over the examples: axis=0 on an (N, D) "
    "array (yours used axis=1, one mean per row).",
)
def _std_wrong_axis(X_train, X_other):
    def scale(X):
        mu, sigma = X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True)
        return (X - mu) / np.where(sigma < STD_EPS, 1.0, sigma)

    return scale(X_train), scale(X_other)


@standardize_mistakes.add(
    "no guard for constant features",
    "a feature that is constant in the training set has σ = 0 and the division gives "
    "nan/inf. Replace σ < 1e-8 by 1 (np.where(sigma < 1e-8, 1.0, sigma)).",
)
def _std_no_zero_guard(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "guard only for σ == 0 exactly",
    "the σ of a constant column is rounding noise, not always exactly 0: a column of 0.1s has "
    "σ ≈ 1e-17, and dividing by it blows the rounding errors up to order 1. Test a small σ, "
    "not a zero one: np.where(sigma < 1e-8, 1.0, sigma).",
)
def _std_exact_zero_guard(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma = np.where(sigma == 0, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "a large threshold for constant features",
    "only a σ that is zero up to rounding (below 1e-8) marks a constant feature; a feature "
    "whose σ is 1e-5 still varies and must be scaled like the others: "
    "np.where(sigma < 1e-8, 1.0, sigma).",
)
def _std_large_threshold(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma = np.where(sigma < 1e-3, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "sample standard deviation (ddof=1)",
    "use the population standard deviation, np.std's default ddof=0 (as "
    "dlnotes.data.Standardizer and scikit-learn's StandardScaler do).",
)
def _std_sample_std(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    sigma = np.where(sigma < STD_EPS, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "modifies the inputs in place",
    "`X -= mu` changes the caller's arrays. Return new arrays: (X_train - mu) / sigma.",
)
def _std_in_place(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma = np.where(sigma < STD_EPS, 1.0, sigma)
    X_train -= mu
    X_train /= sigma
    X_other -= mu
    X_other /= sigma
    return X_train, X_other


@standardize_mistakes.add(
    "one mean for the whole array (no axis)",
    "X_train.mean() without an axis averages every entry of every feature into one "
    "number, so features on different scales stay on different scales. Take the "
    "statistics per feature, over the examples: X_train.mean(axis=0), "
    "X_train.std(axis=0).",
)
def _std_no_axis(X_train, X_other):
    mu, sigma = X_train.mean(), X_train.std()  # one number over the whole array
    sigma = sigma if sigma >= STD_EPS else 1.0
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "ε added to σ",
    "dividing by σ + 1e-8 keeps a constant feature finite in X_train, but in X_other "
    "any value off the training constant is divided by 1e-8 and explodes. Replace a "
    "tiny σ by 1 instead: np.where(sigma < 1e-8, 1.0, sigma).",
)
def _std_eps_added(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mu) / (sigma + STD_EPS), (X_other - mu) / (sigma + STD_EPS)


@standardize_mistakes.add(
    "σ clipped at 1e-8",
    "np.maximum(sigma, 1e-8) keeps a constant feature finite in X_train, but in X_other "
    "any value off the training constant is divided by 1e-8 and explodes. Replace a "
    "tiny σ by 1 instead: np.where(sigma < 1e-8, 1.0, sigma).",
)
def _std_eps_clipped(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), np.maximum(X_train.std(axis=0), STD_EPS)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@standardize_mistakes.add(
    "only centred",
    "you subtracted μ but did not divide by σ: the features are centred but keep their "
    "very different spreads. Divide by the training σ as well.",
)
def _std_centre_only(X_train, X_other):
    mu = X_train.mean(axis=0)
    return X_train - mu, X_other - mu


@standardize_mistakes.add(
    "not centred",
    "you divided by σ but did not subtract the mean μ first: each feature keeps its "
    "offset (a mean of 300 stays 300/σ). Subtract the training μ, then divide.",
)
def _std_not_centred(X_train, X_other):
    sigma = X_train.std(axis=0)
    sigma = np.where(sigma < STD_EPS, 1.0, sigma)
    return X_train / sigma, X_other / sigma


@standardize_mistakes.add(
    "min–max scaling",
    "(x − min)/(max − min) squeezes the training set into [0, 1]: that is min–max "
    "scaling, not standardization. Use the mean and the standard deviation: "
    "(x − μ)/σ.",
)
def _std_min_max(X_train, X_other):
    low, high = X_train.min(axis=0), X_train.max(axis=0)
    span = np.where(high - low < STD_EPS, 1.0, high - low)
    return (X_train - low) / span, (X_other - low) / span


def _features(
    rng: np.random.Generator, n: int, means: np.ndarray, stds: np.ndarray, shift: float
) -> np.ndarray:
    """``n`` rows of features with the given means/stds; ``shift`` moves every mean."""
    return np.round(means + shift * stds + stds * rng.standard_normal((n, len(means))), 4)


def _std_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = [(12, 3, 5), (40, 6, 9), (7, 4, 3)] if not hidden else [(25, 5, 8), (9, 2, 14)]
    cases = []
    for n, d, m in shapes:
        means = rng.uniform(-20.0, 300.0, d)
        stds = rng.uniform(0.05, 40.0, d)
        cases.append(
            Case(
                f"{n} training rows, {d} features on very different scales; {m} other rows",
                (_features(rng, n, means, stds, 0.0), _features(rng, m, means, stds, 0.7)),
            )
        )
    # a constant training feature (an always-dark border pixel): its σ is 0
    n, d = (10, 4) if not hidden else (16, 3)
    means, stds = rng.uniform(0.2, 9.0, d), rng.uniform(0.5, 3.0, d)
    X_train = _features(rng, n, means, stds, 0.0)
    X_other = _features(rng, 5, means, stds, -0.4)
    X_train[:, 1] = 0.0
    X_other[:, 1] = np.round(rng.uniform(0.0, 0.3, 5), 3)
    cases.append(Case(f"feature 1 is constant (0) in the {n} training rows", (X_train, X_other)))
    # a constant that is not 0: its computed σ is rounding noise (about 1e-17), not exactly 0
    c = 0.1 if not hidden else 0.3
    X_train, X_other = X_train.copy(), X_other.copy()
    X_train[:, 1], X_other[:, 1] = c, np.round(rng.uniform(0.0, 0.5, 5), 3)
    cases.append(
        Case(f"feature 1 is constant ({c}) in the {n} training rows: σ ≈ 1e-17", (X_train, X_other))
    )
    # a feature that varies only a little is not constant: it is scaled like the others
    X_train, X_other = X_train.copy(), X_other.copy()
    X_train[:, 1] = c + 1e-5 * np.round(rng.standard_normal(n), 3)
    X_other[:, 1] = c + 1e-5 * np.round(rng.standard_normal(5), 3)
    cases.append(
        Case(f"feature 1 varies by about 1e-5 in the {n} training rows: scaled", (X_train, X_other))
    )
    if hidden:  # one example in the other set only
        means, stds = rng.uniform(1.0, 50.0, 7), rng.uniform(0.1, 5.0, 7)
        cases.append(
            Case(
                "30 training rows, 7 features; a single other row",
                (_features(rng, 30, means, stds, 0.0), _features(rng, 1, means, stds, 1.5)),
            )
        )
    return cases


register(
    FunctionExercise(
        name="ch01_standardize",
        chapter="01",
        title="Standardize with the training statistics",
        signature="standardize(X_train, X_other) -> (X_train_std, X_other_std)",
        hint=(
            "Per feature (column, axis=0) compute μ = mean and σ = std (np.std's default ddof=0) "
            "of X_train only; replace σ < 1e-8 by 1; return ((X_train − μ)/σ, (X_other − μ)/σ) "
            "as new arrays."
        ),
        solution=standardize,
        suites=seeded(_std_cases, visible=1, hidden=11),
        mistakes=standardize_mistakes.all,
        references=("dlnotes.data:Standardizer",),
    )
)


# ============================================================================================
# ch01_dev_set_size
# ============================================================================================


def dev_set_size(p: float, se: float) -> int:
    """The smallest dev-set size ``n`` whose accuracy estimate has standard error ``≤ se``.

    An accuracy measured on ``n`` independent examples, each right with probability ``p``, has
    standard error ``sqrt(p (1 − p) / n)``; it is at most ``se`` iff
    ``n ≥ p (1 − p) / se²``. Returns ``ceil(p (1 − p) / se²)`` as an int. (Where that ratio is
    exactly an integer, float rounding can leave it a hair above, and ``ceil`` then gives one
    more than the smallest ``n``: ``0.9 * 0.1 / 0.03**2`` is 100.00000000000001 in floats, not 100.
    The checks keep the ratio at least 1e-3 away from an integer.)

    Defined in chapter 01 (Setting up a learning problem).
    """
    return math.ceil(p * (1 - p) / se**2)


#: The common mistakes of ``ch01_dev_set_size``, each declared on its wrong code.
dev_set_size_mistakes = Mistakes()


@dev_set_size_mistakes.add(
    "standard error not squared",
    "sqrt(p(1 − p)/n) ≤ se squares to p(1 − p)/n ≤ se², so n ≥ p(1 − p)/se²: "
    "divide by se**2, not se.",
)
def _size_no_square(p, se):
    return math.ceil(p * (1 - p) / se)


@dev_set_size_mistakes.add(
    "rounded down",
    "int() rounds down, which gives a dev set just too small (its standard error is "
    "a little above se). Round up with math.ceil.",
)
def _size_floor(p, se):
    return int(p * (1 - p) / se**2)


@dev_set_size_mistakes.add(
    "one too many when p(1 − p)/se² is a whole number",
    "the standard error must be at most se, not below it: for p = 0.5 and se = 0.125, 16 "
    "examples give a standard error of exactly 0.125, so 16 is enough and 17 is one too many. "
    "Rounding up with int(x) + 1, or a loop that keeps adding examples while the standard "
    "error is still >= se, adds an example even when x is already a whole number; only a "
    "fraction of an example needs one more (math.ceil leaves a whole number as it is).",
)
def _size_floor_plus_one(p, se):
    return int(p * (1 - p) / se**2) + 1


@dev_set_size_mistakes.add(
    "one example too many: ceil already rounds up",
    "math.ceil already rounds any fraction of an example up to the next whole number, and "
    "leaves a whole number as it is; the + 1 after it adds an example the standard error does "
    "not need, so your n is always one more than the smallest. Drop the + 1.",
)
def _size_ceil_plus_one(p, se):
    return math.ceil(p * (1 - p) / se**2) + 1


@dev_set_size_mistakes.add(
    "square root of the variance divided by se",
    "sqrt(p(1 − p))/se is the square root of the answer: n = p(1 − p)/se², without a square root.",
)
def _size_sqrt(p, se):
    return math.ceil(math.sqrt(p * (1 - p)) / se)


@dev_set_size_mistakes.add(
    "worst case p = 0.5",
    "p(1 − p) ≤ 1/4 gives a safe bound, but the exercise asks for the size at the "
    "given accuracy p: a 98%-accurate model needs far fewer examples than a "
    "50% one for the same standard error.",
)
def _size_ignores_p(p, se):
    return math.ceil(0.25 / se**2)


@dev_set_size_mistakes.add(
    "rounded to the nearest integer",
    "round() goes down when the fraction is below one half, and then the standard "
    "error is a little above se. Any fraction of an example needs one more: "
    "math.ceil.",
)
def _size_rounded(p, se):
    return round(p * (1 - p) / se**2)


@dev_set_size_mistakes.add(
    "95% interval instead of the standard error",
    "the factor 1.96² belongs to a 95% confidence interval of half-width se; here se "
    "is the standard error itself: n = p(1 − p)/se², no 1.96.",
)
def _size_confidence_interval(p, se):
    return math.ceil(1.96**2 * p * (1 - p) / se**2)


def _size_cases(seed: int, hidden: bool) -> list[Case]:
    """The visible pairs are fixed (``seed`` is not used for them); the hidden ones are drawn
    from ``seed``.

    Every pair keeps ``p (1 − p) / se²`` at least 1e-3 away from an integer, so that rounding
    errors cannot decide between ``n`` and ``n + 1`` (and int() is caught: it rounds down), but
    a few: p and se exact in binary, whose ratio is exactly a whole number, most of them odd
    (floor + 1 and round(x + 0.5), which rounds halves to even, are caught; so is
    ``(sqrt(p (1 − p)) / se)**2``, which leaves 7 and 15 a hair above and 3 and 39 not)."""
    if not hidden:
        # (0.7, 0.011) gives 1735.54: a fraction above one half, where round() and floor differ
        pairs = [(0.9, 0.0047), (0.75, 0.013), (0.983, 0.0021), (0.62, 0.031), (0.7, 0.011)]
        cases = [Case(f"accuracy p = {p}, standard error se = {se}", (p, se)) for p, se in pairs]
        return [
            *cases,
            Case("p = 0.5, se = 0.125: exactly 16 examples, not 17", (0.5, 0.125)),
            Case("p = 0.75, se = 0.25: exactly 3 examples, not 4", (0.75, 0.25)),
            Case("p = 0.875, se = 0.125: exactly 7 examples", (0.875, 0.125)),
        ]
    rng = np.random.default_rng(seed)
    # accuracies from coin-flip level to almost perfect, one below 0.5 (p (1 − p) is symmetric)
    ranges = [(0.52, 0.7), (0.7, 0.9), (0.9, 0.98), (0.98, 0.999), (0.1, 0.45)]
    cases = []
    for lo, hi in ranges:
        while True:
            p = round(float(rng.uniform(lo, hi)), 3)
            se = round(float(rng.uniform(0.0008, 0.03)), 5)
            n = p * (1 - p) / se**2
            if n >= 10 and abs(n - round(n)) > 1e-3:
                break
        cases.append(Case(f"accuracy p = {p}, standard error se = {se}", (p, se)))
    return [
        *cases,
        Case("p = 0.75, se = 0.0625: exactly 48 examples", (0.75, 0.0625)),
        Case("p = 0.9375, se = 0.0625: exactly 15 examples", (0.9375, 0.0625)),
        Case("p = 0.8125, se = 0.0625: exactly 39 examples", (0.8125, 0.0625)),
    ]


@dev_set_size_mistakes.add(
    "formula upside down",
    "SE = √(p(1 − p)/n) gives n = p(1 − p) / SE²; SE² / (p(1 − p)) is below 1, so the "
    "ceiling is always 1.",
)
def _dss_inverted(p, se):
    return math.ceil(se**2 / (p * (1 - p)))


@dev_set_size_mistakes.add(
    "rounded up with round(x + 0.5)",
    "round() sends halves to the even number: round(3.5) is 4 and round(16.5) is 16, so "
    "round(x + 0.5) is one too many when x is an odd whole number. Round up with math.ceil.",
)
def _dss_round_half(p, se):
    return round(p * (1 - p) / se**2 + 0.5)


@dev_set_size_mistakes.add(
    "square root, then squared: rounding noise",
    "(√(p(1 − p))/se)² is the right number on paper, but the root and the square each round: "
    "for p = 0.875, se = 0.125 it is 7.000000000000001 in floats, and ceil makes that 8. "
    "Compute p * (1 - p) / se**2 with no root, which is exact when p and se are.",
)
def _dss_root_squared(p, se):
    return math.ceil((math.sqrt(p * (1 - p)) / se) ** 2)


register(
    FunctionExercise(
        name="ch01_dev_set_size",
        chapter="01",
        title="How big must the dev set be?",
        signature="dev_set_size(p, se) -> int",
        hint=(
            "The standard error of an accuracy p measured on n examples is sqrt(p(1 − p)/n). "
            "Solve sqrt(p(1 − p)/n) ≤ se for n and round up (math.ceil)."
        ),
        solution=dev_set_size,
        suites=seeded(_size_cases, visible=0, hidden=12),
        mistakes=dev_set_size_mistakes.all,
        rtol=0.0,
        atol=0.0,
    )
)


# ============================================================================================
# ch01_diagnose
# ============================================================================================

#: The four verdicts of :func:`diagnose`.
VERDICTS = (
    "high bias",
    "high variance",
    "high bias and high variance",
    "low bias and low variance",
)
#: The other words learners write for a verdict: told the verdict they name, never accepted.
VERDICT_SYNONYMS = {
    **dict.fromkeys(("underfitting", "underfit", "underfits", "underfitted"), VERDICTS[0]),
    **dict.fromkeys(("overfitting", "overfit", "overfits", "overfitted"), VERDICTS[1]),
    **dict.fromkeys(
        ("both", "underfitting and overfitting", "overfitting and underfitting"), VERDICTS[2]
    ),
    **dict.fromkeys(
        ("good fit", "good", "fine", "ok", "okay", "healthy", "just right", "neither"),
        VERDICTS[3],
    ),
}


def diagnose(train_err: float, dev_err: float, bayes_err: float, tol: float = 0.02) -> str:
    """Name the problem from the training, dev and Bayes (or human-level) error rates.

    ``avoidable bias = train_err − bayes_err`` and ``variance = dev_err − train_err``; each is
    high when it exceeds ``tol`` (default two percentage points; errors are fractions in
    ``[0, 1]``). Returns ``"high bias"``, ``"high variance"``, ``"high bias and high
    variance"`` or ``"low bias and low variance"``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    high_bias = train_err - bayes_err > tol
    high_variance = dev_err - train_err > tol
    if high_bias and high_variance:
        return "high bias and high variance"
    if high_bias:
        return "high bias"
    if high_variance:
        return "high variance"
    return "low bias and low variance"


def _verdict(high_bias: bool, high_variance: bool) -> str:
    return VERDICTS[{(1, 0): 0, (0, 1): 1, (1, 1): 2, (0, 0): 3}[(high_bias, high_variance)]]


#: The common mistakes of ``ch01_diagnose``, each declared on its wrong code.
diagnose_mistakes = Mistakes()


@diagnose_mistakes.add(
    "ignores the Bayes error",
    "bias is measured from the best achievable error, not from 0: on noisy data "
    "(Bayes error 14%) a training error of 15% is excellent. Use "
    "train_err − bayes_err.",
)
def _diag_ignores_bayes(train_err, dev_err, bayes_err, tol=0.02):
    return _verdict(train_err > tol, dev_err - train_err > tol)


@diagnose_mistakes.add(
    "variance measured from the Bayes error",
    "variance is the gap between dev and *training* error (dev_err − train_err): "
    "dev_err − bayes_err mixes bias and variance.",
)
def _diag_variance_from_bayes(train_err, dev_err, bayes_err, tol=0.02):
    return _verdict(train_err - bayes_err > tol, dev_err - bayes_err > tol)


@diagnose_mistakes.add(
    "bias and variance swapped",
    "a large train-to-dev gap is variance (overfitting); a training error far above "
    "the Bayes error is bias (underfitting).",
)
def _diag_swapped(train_err, dev_err, bayes_err, tol=0.02):
    return _verdict(dev_err - train_err > tol, train_err - bayes_err > tol)


@diagnose_mistakes.add(
    "bias measured on the dev set",
    "bias is about how well the model fits the data it was trained on: compare the "
    "*training* error with the Bayes error.",
)
def _diag_dev_for_bias(train_err, dev_err, bayes_err, tol=0.02):
    return _verdict(dev_err - bayes_err > tol, dev_err - train_err > tol)


@diagnose_mistakes.add(
    "a gap equal to tol counted as high",
    "a gap is high when it is *larger* than tol: use >, not >=. A gap of exactly tol "
    "is still acceptable.",
)
def _diag_at_least_tol(train_err, dev_err, bayes_err, tol=0.02):
    return _verdict(train_err - bayes_err >= tol, dev_err - train_err >= tol)


@diagnose_mistakes.add(
    "tol as a percentage",
    "tol is a fraction (0.02 = 2 points), not a percentage: the errors and their gaps are "
    "fractions too, so compare the gaps with tol as they are, without multiplying them by "
    "100 (and keep the default tol=0.02).",
)
def _diag_tol_percent(train_err, dev_err, bayes_err, tol=2):
    return _verdict((train_err - bayes_err) * 100 > tol, (dev_err - train_err) * 100 > tol)


@diagnose_mistakes.add(
    "tol ignored",
    "your function compares the gaps with 0.02 whatever tol it is given: compare "
    "them with the tol argument (an instructor may allow a looser 5 points).",
)
def _diag_ignores_tol(train_err, dev_err, bayes_err, tol=0.02):
    return _verdict(train_err - bayes_err > 0.02, dev_err - train_err > 0.02)


@diagnose_mistakes.add(
    "both never reported",
    "when the bias and the variance are both high you return only the first one you "
    "test. Check the combined case first: if high_bias and high_variance, return "
    "'high bias and high variance'.",
)
def _diag_never_both(train_err, dev_err, bayes_err, tol=0.02):
    if train_err - bayes_err > tol:
        return "high bias"
    if dev_err - train_err > tol:
        return "high variance"
    return "low bias and low variance"


@diagnose_mistakes.add(
    "both never reported (variance tested first)",
    "when the bias and the variance are both high you return only the first one you "
    "test. Check the combined case first: if high_bias and high_variance, return "
    "'high bias and high variance'.",
)
def _diag_never_both_variance_first(train_err, dev_err, bayes_err, tol=0.02):
    if dev_err - train_err > tol:
        return "high variance"
    if train_err - bayes_err > tol:
        return "high bias"
    return "low bias and low variance"


@diagnose_mistakes.add(
    "absolute value of the gaps",
    "a training error below the Bayes error (a model that memorised noisy labels) is no "
    "bias, and a dev error below the training error is no variance: compare the signed gaps "
    "train_err − bayes_err and dev_err − train_err with tol, without abs().",
)
def _diag_abs(train_err, dev_err, bayes_err, tol=0.02):
    return _verdict(abs(train_err - bayes_err) > tol, abs(dev_err - train_err) > tol)


@diagnose_mistakes.add(
    "default tol not 0.02",
    "tol's default is 0.02, two percentage points: def diagnose(train_err, dev_err, "
    "bayes_err, tol=0.02). A gap of 2.2 points is high.",
)
def _diag_default_tol(train_err, dev_err, bayes_err, tol=0.025):
    return _verdict(train_err - bayes_err > tol, dev_err - train_err > tol)


def _signed_rows(rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Hidden rows where a gap is negative or just above the default tol: a training error below
    the Bayes error by more than tol (high variance only), a dev error below the training error
    by more than tol (fine), and a bias gap of 2.1 to 2.4 points (high bias only)."""
    bayes = round(float(rng.uniform(0.1, 0.2)), 3)
    train = round(bayes - float(rng.uniform(0.04, 0.09)), 3)
    memoriser = (train, round(train + float(rng.uniform(0.1, 0.2)), 3), bayes)
    train = round(float(rng.uniform(0.08, 0.15)), 3)
    lucky = (train, round(train - float(rng.uniform(0.03, 0.06)), 3), round(train - 0.005, 3))
    bayes = round(float(rng.uniform(0.02, 0.1)), 3)
    train = round(bayes + float(rng.choice([0.021, 0.022, 0.023, 0.024])), 3)
    just_above = (train, round(train + 0.004, 3), bayes)
    return [memoriser, lucky, just_above]


def _diag_row(rng: np.random.Generator, high_bias: bool, high_var: bool, noisy: bool):
    """(train, dev, Bayes) errors with the given verdict, each gap half a point or more from tol."""
    tol = 0.02
    while True:
        bayes = round(float(rng.uniform(0.05, 0.25)), 3) if noisy else 0.0
        bias = rng.uniform(0.03, 0.3) if high_bias else rng.uniform(0.0, 0.012)
        var = rng.uniform(0.03, 0.2) if high_var else rng.uniform(0.0, 0.012)
        train = round(bayes + float(bias), 3)
        dev = round(train + float(var), 3)
        if all(abs(gap - tol) >= 0.005 for gap in (train - bayes, dev - train)):
            return train, dev, bayes


def _tol_rows(rng: np.random.Generator) -> list[tuple[float, float, float, float]]:
    """Hidden rows with an explicit tol: one gap exactly at tol (binary fractions, so exact: not
    "high"), then the other gap at tol, then a decimal tol above 0.02 with the variance gap between
    0.02 and tol (only ignoring tol calls it high) and a bias gap of about 1 point (only taking
    tol as a percentage calls it high)."""
    tol = float(rng.choice([1 / 32, 1 / 16, 1 / 8]))
    bayes = int(rng.integers(0, 16)) / 64
    above = tol + int(rng.integers(1, 8)) / 64  # clearly high
    rows = [
        (bayes + tol, bayes + tol + above, bayes, tol),  # bias exactly at tol, high variance
        (bayes + above, bayes + above + tol, bayes, tol),  # high bias, variance exactly at tol
    ]
    # a decimal tol above the default 0.02 and a variance gap between the two: only a function
    # that ignores tol calls it high
    decimal = round(float(rng.uniform(0.035, 0.06)), 3)
    # a bias gap of about 1 point: not high (only taking tol as a percentage calls it high)
    train = round(bayes + float(rng.uniform(0.008, 0.012)), 3)
    dev = round(train + float(rng.uniform(0.025, decimal - 0.006)), 3)
    rows.append((train, dev, bayes, decimal))
    return rows


def _diag_cases(seed: int, hidden: bool) -> list[Case]:
    """The visible rows are fixed (``seed`` is not used for them); the hidden ones are drawn
    from ``seed``: every verdict, on
    clean data (Bayes error 0) and on noisy data (Bayes error 5-25%), in a random order."""
    rows = [
        (0.01, 0.11, 0.0),  # high variance
        (0.15, 0.16, 0.0),  # high bias
        (0.15, 0.30, 0.0),  # both
        (0.005, 0.01, 0.0),  # fine
        (0.15, 0.16, 0.14),  # fine: the data are noisy
        (0.08, 0.09, 0.07),  # fine
        (0.09, 0.23, 0.08),  # high variance only
        (0.06, 0.095, 0.03),  # both, by 3 and 3.5 points: above the default tol of 2 points
        (0.0, 0.17, 0.159),  # high variance only: a training error below the Bayes error is no bias
        (0.1, 0.05, 0.095),  # fine: a dev error below the training error is no variance
        (0.052, 0.06, 0.03),  # high bias by 2.2 points
    ]
    if hidden:
        rng = np.random.default_rng(seed)
        plan = [
            (b, v, noisy) for noisy in (False, True) for b in (True, False) for v in (True, False)
        ]
        plan.append((False, False, True))  # a second "fine on noisy data": ignoring Bayes fails it
        rows = [_diag_row(rng, *plan[i]) for i in rng.permutation(len(plan))]
        # the signed rows at the seed's own places (each key's answers differ in order too)
        signed = np.random.default_rng([seed, 2])
        for row in _signed_rows(signed):
            rows.insert(int(signed.integers(0, len(rows) + 1)), row)
    cases = [
        Case(f"train error {t:.1%}, dev error {d:.1%}, Bayes error {b:.1%}", (t, d, b))
        for t, d, b in rows
    ]
    # an explicit tol; gaps exactly at tol (binary fractions, so exact) are not "high"
    # (the second: gaps of 1 and 3 points under a tol of 5, fine; ignoring tol calls the 3
    # points high, taking tol as a percentage both)
    with_tol = [(0.375, 0.5, 0.25, 0.125), (0.06, 0.09, 0.05, 0.05)]
    if hidden:
        with_tol = _tol_rows(np.random.default_rng([seed, 1]))
    cases += [
        Case(
            f"train error {t:.2%}, dev error {d:.2%}, Bayes error {b:.2%}, tol = {tol}",
            (t, d, b),
            {"tol": tol},
        )
        for t, d, b, tol in with_tol
    ]
    return cases


register(
    FunctionExercise(
        name="ch01_diagnose",
        chapter="01",
        title="Bias or variance?",
        signature="diagnose(train_err, dev_err, bayes_err, tol=0.02) -> str",
        hint=(
            "avoidable bias = train_err − bayes_err, variance = dev_err − train_err; each is high "
            "when above tol. Return one of 'high bias', 'high variance', 'high bias and high "
            "variance', 'low bias and low variance'."
        ),
        solution=diagnose,
        suites=seeded(_diag_cases, visible=0, hidden=13),
        mistakes=diagnose_mistakes.all,
        labels=VERDICTS,
        label_synonyms=VERDICT_SYNONYMS,
    )
)
