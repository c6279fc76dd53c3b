"""Exercises of chapter 14 (Ensembles and weight averaging).

* ``ch14_ema_update``: ``ema_update(avg_params, params, decay)``, one step of an exponential
  moving average of a model's weights, returned as new arrays;
* ``ch14_ensemble_predict``: ``ensemble_predict(logit_list)``, the class an ensemble predicts
  by averaging its members' softmax probabilities;
* ``ch14_polyak_average``: ``polyak_average(iterates, start)``, the mean of the iterates from
  step ``start`` on.

Each exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call.

Defined in chapter 14 (Ensembles and weight averaging).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch14_ema_update
# ============================================================================================


def ema_update(
    avg_params: list[np.ndarray], params: list[np.ndarray], decay: float
) -> list[np.ndarray]:
    """One step of an exponential moving average of weights, as new arrays.

    ``avg_params`` and ``params`` are lists of arrays of matching shapes (one per parameter);
    returns a new list with, for each pair::

        new_avg = decay * avg + (1 - decay) * param

    Neither input list nor any of its arrays is modified. Each result has the dtype of its
    pair of arrays: float32 weights give a float32 average, float64 weights a float64 one (with
    ``decay`` a Python float, ``decay * avg + (1 - decay) * p`` does this by itself).

    Defined in chapter 14 (Ensembles and weight averaging).
    """
    return [decay * avg + (1 - decay) * p for avg, p in zip(avg_params, params)]


#: The common mistakes of ``ch14_ema_update``, each declared on its wrong code.
ema_update_mistakes = Mistakes()


@ema_update_mistakes.add(
    "decay and 1 − decay swapped",
    "your average follows the current weights almost exactly: the old average must "
    "keep the weight `decay` (close to 1) and the new weights get 1 − decay.",
)
def _ema_swapped(avg_params, params, decay):
    return [(1 - decay) * avg + decay * p for avg, p in zip(avg_params, params)]


@ema_update_mistakes.add(
    "assigned to the loop variable",
    "your result equals avg_params unchanged: the current weights p never reach the result. "
    "Either a typo in the formula (decay * avg + (1 - decay) * avg, with avg where p belongs), "
    "or `for o, p in zip(out, params): o = decay * o + ...`, which only rebinds the name o to "
    "a new array while the list out still holds the old ones. Check that p is in the formula, "
    "and append each new array to a list (or build the list in a comprehension).",
)
def _ema_loop_variable(avg_params, params, decay):
    out = [a.copy() for a in avg_params]
    for o, p in zip(out, params):
        o = decay * o + (1 - decay) * p  # the mistake: o is only rebound
    return out


@ema_update_mistakes.add(
    "updated in place",
    "`avg *= decay; avg += ...` wrote into the caller's arrays, and `avg_params[i] = ...` "
    "into the caller's list: either way the caller's old average is gone. Build a new list "
    "holding a new array for each parameter, and leave avg_params and its arrays as they were.",
)
def _ema_in_place(avg_params, params, decay):
    for avg, p in zip(avg_params, params):
        avg *= decay
        avg += (1 - decay) * p
    return avg_params


@ema_update_mistakes.add(
    "aliasing the params",
    "your function changed the caller's params: `out = params` is the same list and "
    "`[p for p in params]` a new list of the same arrays, so writing into it "
    "overwrote the model's weights with the average. Compute a new array per "
    "parameter instead.",
)
def _ema_aliasing_params(avg_params, params, decay):
    out = [p for p in params]  # a new list, but the very same arrays as params
    for o, avg in zip(out, avg_params):
        o *= 1 - decay
        o += decay * avg
    return out


@ema_update_mistakes.add(
    "only the first array",
    "return one averaged array per parameter: loop over all pairs of zip(avg_params, params).",
)
def _ema_only_first(avg_params, params, decay):
    return [decay * avg_params[0] + (1 - decay) * params[0]]


@ema_update_mistakes.add(
    "forgot the (1 − decay) factor",
    "decay·avg + p gives the current weights the full weight 1, so the 'average' "
    "grows past every weight it has seen: the weights of an average sum to 1, "
    "decay·avg + (1 − decay)·p.",
)
def _ema_no_one_minus(avg_params, params, decay):
    return [decay * avg + p for avg, p in zip(avg_params, params)]


@ema_update_mistakes.add(
    "the plain mean of the two, decay ignored",
    "(avg + p)/2 is the EMA with decay 0.5 whatever decay is: weight the old average "
    "by decay and the current weights by 1 − decay.",
)
def _ema_plain_mean(avg_params, params, decay):
    return [(avg + p) / 2 for avg, p in zip(avg_params, params)]


def _param_list(rng: np.random.Generator, shapes: list[tuple[int, ...]], dtype: type):
    return [rng.normal(0.0, 0.7, shape).astype(dtype) for shape in shapes]


def _ema_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    specs: list[tuple[str, list[tuple[int, ...]], float, type]] = [
        ("a weight matrix (4, 3) and a bias (3,), decay 0.9", [(4, 3), (3,)], 0.9, np.float64),
        (
            "a two-layer net's four arrays, decay 0.99",
            [(5, 6), (6,), (6, 2), (2,)],
            0.99,
            np.float64,
        ),
        ("float32 weights, decay 0.75", [(3, 3), (3,)], 0.75, np.float32),
    ]
    if hidden:
        specs = [
            ("one (7, 2) array, decay 0.5", [(7, 2)], 0.5, np.float64),
            ("a (2, 3, 4) tensor and a (4,) bias, decay 0.95", [(2, 3, 4), (4,)], 0.95, np.float64),
            ("float32, three arrays, decay 0.999", [(8, 4), (4,), (4, 3)], 0.999, np.float32),
            ("decay 0.3: the new weights dominate", [(3, 5), (5,)], 0.3, np.float64),
        ]
    cases = [
        Case(label, (_param_list(rng, shapes, dtype), _param_list(rng, shapes, dtype), decay))
        for label, shapes, decay, dtype in specs
    ]
    if hidden:  # one dtype per pair, not one for the list
        avg_params = [
            *_param_list(rng, [(4, 2)], np.float32),
            *_param_list(rng, [(2,)], np.float64),
        ]
        params = [*_param_list(rng, [(4, 2)], np.float32), *_param_list(rng, [(2,)], np.float64)]
        cases.append(
            Case("a float32 weight and a float64 bias, decay 0.8", (avg_params, params, 0.8))
        )
    return cases


register(
    FunctionExercise(
        name="ch14_ema_update",
        chapter="14",
        title="One step of an EMA of weights",
        signature=(
            "ema_update(avg_params, params, decay) -> list of new arrays, each in the dtype "
            "of its pair of arrays"
        ),
        hint=(
            "For each pair (avg, p) return decay·avg + (1 − decay)·p: the old average keeps the "
            "large weight `decay`, the current weights get 1 − decay. Build new arrays (a list "
            "comprehension does); never write into avg_params or params."
        ),
        solution=ema_update,
        suites=seeded(_ema_cases, visible=14, hidden=140),
        mistakes=ema_update_mistakes.all,
        references=("dlnotes.averages:EMA",),
        diagnoses={
            "dtype": "each average keeps its weights' dtype (float32 weights, a float32 average): "
            "decay * avg + (1 - decay) * p with decay a Python float does; a np.float64(decay), "
            "an np.array(decay) or .astype(float) turns the result into float64"
        },
        rtol=1e-6,
        atol=1e-7,
    )
)


# ============================================================================================
# ch14_ensemble_predict
# ============================================================================================


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def ensemble_predict(logit_list: list[np.ndarray]) -> np.ndarray:
    """Classes predicted by an ensemble that averages its members' probabilities.

    ``logit_list`` holds K arrays of logits, each of shape ``(N, C)`` (member k's scores for N
    examples and C classes). Each member's logits go through a softmax over classes, the K
    probability arrays are averaged, and the result is the most probable class of each
    example: an int array of shape ``(N,)`` (any integer dtype)::

        p̄ = (1/K) Σ_k softmax(z_k),     ŷ_n = argmax_c p̄[n, c]

    Defined in chapter 14 (Ensembles and weight averaging).
    """
    probs = [_softmax(np.asarray(z, dtype=np.float64)) for z in logit_list]
    return np.mean(probs, axis=0).argmax(axis=1)


def _ensemble_predict_with(
    logit_list: list[np.ndarray], softmax: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """:func:`ensemble_predict` with each member's probabilities computed by ``softmax(z)``
    (shared by the mistakes in the softmax)."""
    probs = [softmax(z) for z in logit_list]
    return np.mean(probs, axis=0).argmax(axis=1)


#: The common mistakes of ``ch14_ensemble_predict``, each declared on its wrong code.
ensemble_predict_mistakes = Mistakes()


@ensemble_predict_mistakes.add(
    "averaged logits instead of probabilities",
    "the inputs are logits: a member with huge logits on an example outvotes all the "
    "others when logits are averaged. Apply the softmax to each member first, then "
    "average the probabilities. (Averaging log-probabilities, log_softmax, picks the same "
    "classes as averaging logits: the two differ by one constant per example.)",
)
def _ens_average_logits(logit_list):
    return np.mean(np.asarray(logit_list), axis=0).argmax(axis=1)


@ensemble_predict_mistakes.add(
    "majority vote",
    "you counted each member's top class; the ensemble of this chapter averages the "
    "members' probabilities (a vote throws away how sure each member is).",
)
def _ens_majority_vote(logit_list):
    votes = np.array([np.asarray(z).argmax(axis=1) for z in logit_list])  # (K, N)
    n_classes = np.asarray(logit_list[0]).shape[1]
    return np.array([np.bincount(v, minlength=n_classes).argmax() for v in votes.T])


@ensemble_predict_mistakes.add(
    "argmax over the wrong axis",
    "the averaged probabilities have shape (N, C): the predicted class of each "
    "example is the argmax over classes, axis=1 (yours has one entry per class).",
)
def _ens_wrong_axis(logit_list):
    probs = [_softmax(np.asarray(z, dtype=np.float64)) for z in logit_list]
    return np.mean(probs, axis=0).argmax(axis=0)


@ensemble_predict_mistakes.add(
    "averaged probabilities returned, not classes",
    "your result has one row of C averaged probabilities per example, shape (N, C); the "
    "prediction is one class per example, an integer array of shape (N,): take the argmax "
    "over the classes (axis=1) of the averaged probabilities.",
)
def _ens_probabilities(logit_list):
    probs = [_softmax(np.asarray(z, dtype=np.float64)) for z in logit_list]
    return np.mean(probs, axis=0)  # (N, C): no argmax


@ensemble_predict_mistakes.add(
    "averaged the predicted class numbers",
    "you averaged the members' predicted labels: class numbers are names, not "
    "quantities (the mean of class 1 and class 3 is not class 2). Average the "
    "probabilities, then take the argmax.",
)
def _ens_average_labels(logit_list):
    labels = np.array([np.asarray(z).argmax(axis=1) for z in logit_list])  # (K, N)
    return np.round(labels.mean(axis=0)).astype(np.int64)


@ensemble_predict_mistakes.add(
    "softmax over the wrong axis",
    "the softmax must normalise each example's scores over the classes (axis=1, "
    "each row sums to 1), not each class over the examples.",
)
def _ens_softmax_wrong_axis(logit_list):
    def softmax(z):
        e = np.exp(z - z.max(axis=0, keepdims=True))  # axis 0: over the examples
        return e / e.sum(axis=0, keepdims=True)

    return _ensemble_predict_with(logit_list, softmax)


@ensemble_predict_mistakes.add(
    "softmax normalised over the examples",
    "you subtract each row's maximum, but divide by e.sum(axis=0), a sum over the examples: "
    "each class's column then sums to 1, not each example's row, and an example's "
    "probabilities depend on the other examples in the batch. A softmax normalises each "
    "example over the classes: divide by the sum over axis=1 (keepdims=True, as for the max).",
)
def _ens_softmax_rows_shift_columns_sum(logit_list):
    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))  # the right shift
        return e / e.sum(axis=0, keepdims=True)  # axis 0: over the examples

    return _ensemble_predict_with(logit_list, softmax)


@ensemble_predict_mistakes.add(
    "softmax over the examples, without the max shift",
    "two slips: e.sum(axis=0) sums over the examples, so each class's column sums to 1, not "
    "each example's row; and with no shift, exp of a logit above ~709 overflows to inf in "
    "float64 (inf/inf is nan). A softmax normalises each example over the classes: subtract "
    "each row's maximum, z.max(axis=1, keepdims=True), then divide by the sum over axis=1 "
    "(keepdims=True).",
)
def _ens_softmax_columns_unshifted(logit_list):
    def softmax(z):
        e = np.exp(np.asarray(z, dtype=np.float64))  # no shift: inf for logits above ~709
        return e / e.sum(axis=0, keepdims=True)  # axis 0: over the examples

    return _ensemble_predict_with(logit_list, softmax)


@ensemble_predict_mistakes.add(
    "softmax without the max shift",
    "exp of a logit above ~709 overflows to inf in float64 (above ~88.7 in float32), and "
    "inf/inf is nan: subtract each row's largest logit before the exponential (z − max(z) "
    "gives the same probabilities and never overflows).",
)
def _ens_softmax_unshifted(logit_list):
    def softmax(z):
        e = np.exp(np.asarray(z, dtype=np.float64))  # float64: inf for logits above ~709
        return e / e.sum(axis=1, keepdims=True)

    return _ensemble_predict_with(logit_list, softmax)


@ensemble_predict_mistakes.add(
    "softmax shifted by the batch's maximum",
    "z - z.max() subtracts one maximum for the whole batch: on a row whose logits are "
    "all far below it every exp is 0, the row's probabilities are 0/0 = NaN, and "
    "np.argmax returns class 0 for it. Subtract each row's own maximum, "
    "z.max(axis=1, keepdims=True).",
)
def _ens_softmax_batch_max(logit_list):
    def softmax(z):
        z = np.asarray(z, dtype=np.float64)
        e = np.exp(z - z.max())  # one max for all rows: rows far below it underflow to 0
        return e / e.sum(axis=1, keepdims=True)

    return _ensemble_predict_with(logit_list, softmax)


@ensemble_predict_mistakes.add(
    "softmax over the members",
    "you normalised across the K models (axis 0 of the stacked (K, N, C) array), so each "
    "entry is a share among the members, not a probability over classes. Each model's "
    "softmax normalises over classes, its own last axis: subtract each row's maximum and "
    "divide by each row's sum with axis=-1 (or axis=1 on one model's (N, C) logits).",
)
def _ens_softmax_over_members(logit_list):
    Z = np.stack([np.asarray(z, dtype=np.float64) for z in logit_list])  # (K, N, C)
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return (E / E.sum(axis=0, keepdims=True)).mean(axis=0).argmax(axis=1)


#: What a learner whose exponentials are not divided by each row's sum is told (two ways).
_NOT_NORMALISED_HINT = (
    "each member's probabilities must sum to 1 on every row (every example): divide the "
    "exponentials by their sum over the classes, e.sum(axis=1, keepdims=True). With no "
    "division, or e.sum() over the whole array, a member's total on a row depends on its "
    "logits (and with e.sum(), on its other rows), so the members carry unequal weights in "
    "the average."
)


@ensemble_predict_mistakes.add("probabilities not normalised per row", _NOT_NORMALISED_HINT)
def _ens_sum_over_batch(logit_list):
    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum()  # one sum for the whole array, not one per row

    return _ensemble_predict_with(logit_list, softmax)


@ensemble_predict_mistakes.add("exponentials not normalised", _NOT_NORMALISED_HINT)
def _ens_no_division(logit_list):
    exps = [np.exp(z - z.max(axis=1, keepdims=True)) for z in logit_list]  # never divided
    return np.mean(exps, axis=0).argmax(axis=1)


def _member_logits(rng: np.random.Generator, n: int, c: int, k: int) -> list[np.ndarray]:
    """K members that agree on a shared signal, with per-example confidence that varies a lot.

    Some members are very sure (large logits) on some examples: averaging logits lets them
    dominate, averaging probabilities caps each vote at 1; both differ from a majority vote.
    """
    shared = rng.normal(0.0, 1.0, (n, c))
    out = []
    for _ in range(k):
        scale = np.exp(rng.normal(0.0, 1.2, (n, 1)))  # confidence per example and member
        out.append(np.round(scale * (shared + rng.normal(0.0, 1.3, (n, c))), 4))
    return out


def _ens_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    sizes = [(40, 4, 3), (60, 10, 5), (25, 3, 4)]
    if hidden:
        sizes = [(80, 5, 5), (30, 10, 2), (50, 6, 7), (45, 3, 3)]
    cases = [
        Case(
            f"K = {k} members, N = {n} examples, C = {c} classes",
            (_clear_members(rng, n, c, k, scale=1.0),),
        )
        for n, c, k in sizes
    ]
    # very sure members: logits in the hundreds, where exp overflows without the max shift
    sure = _clear_members(np.random.default_rng([seed, 2]), 30, 4, 3, scale=400.0)
    cases.append(Case("K = 3 very sure members: logits in the thousands", (sure,)))
    return cases


#: The smallest gap between the two largest averaged probabilities of an example in a case.
_ENS_MARGIN = 1e-6


def _clear_members(
    rng: np.random.Generator, n: int, c: int, k: int, scale: float
) -> list[np.ndarray]:
    """``scale`` times :func:`_member_logits`, keeping only examples whose ensemble prediction
    is clear: the two largest averaged probabilities at least ``_ENS_MARGIN`` apart.

    Very sure members that each pick another class average to an exact tie (1/3, 1/3, 1/3),
    broken only by rounding at the last bit: any of the tied classes is a right answer, and a
    correct solution that sums in another order (or works in log space) picks another one.
    Such examples are drawn again until ``n`` clear ones are found.
    """
    kept: list[list[np.ndarray]] = [[] for _ in range(k)]
    found = 0
    while found < n:
        members = [scale * z for z in _member_logits(rng, n, c, k)]
        mean = np.mean([_softmax(z) for z in members], axis=0)
        top = np.sort(mean, axis=1)
        clear = np.flatnonzero(top[:, -1] - top[:, -2] >= _ENS_MARGIN)[: n - found]
        for rows, z in zip(kept, members):
            rows.append(z[clear])
        found += len(clear)
    return [np.concatenate(rows) for rows in kept]


register(
    FunctionExercise(
        name="ch14_ensemble_predict",
        chapter="14",
        title="Ensemble prediction by averaging probabilities",
        signature="ensemble_predict(logit_list) -> int array of shape (N,)",
        hint=(
            "Turn each member's logits (N, C) into probabilities with a softmax over the class "
            "axis (axis=1), average the K probability arrays, then take argmax over classes "
            "(axis=1) for each example. Write the softmax yourself, as the exercise asks "
            "(dlnotes.losses.softmax, from chapter 01, counts as the reference here): "
            "subtract each row's own maximum before np.exp."
        ),
        solution=ensemble_predict,
        suites=seeded(_ens_cases, visible=14, hidden=141),
        mistakes=ensemble_predict_mistakes.all,
        references=(
            "dlnotes.losses:softmax",
            "dlnotes.losses:log_softmax",
            "dlnotes.losses:softmax_cross_entropy",  # its gradient is (softmax - onehot) / N
            "scipy.special:softmax",  # installed with scikit-learn: the prompt names it
            "scipy.special:log_softmax",
        ),
        references_say="this exercise asks you to write the softmax yourself, in numpy, as "
        "its prompt says, and the check refuses a library's softmax code (dlnotes' or "
        "SciPy's): subtract each row's maximum, exponentiate, divide by the row's sum",
        diagnoses={
            "dtype": "class labels are integers (any integer dtype): return argmax's result "
            "as it is, not converted to floats",
            "zeros": "np.argmax gives class 0 for a row of NaN probabilities. Look for a "
            "softmax that made NaN: exp of a logit above ~709 is inf in float64 (above ~88.7 "
            "in float32; inf/inf is NaN), and one max for the whole batch, z - z.max(), leaves "
            "rows whose every exp is 0 (0/0 is NaN). Subtract each row's own maximum, "
            "z.max(axis=1, keepdims=True) (and if there is no NaN: is the result computed and "
            "returned, not left as zeros?)",
        },
    )
)


# ============================================================================================
# ch14_polyak_average
# ============================================================================================


def polyak_average(iterates: np.ndarray, start: int) -> np.ndarray:
    """The Polyak average of the iterates from step ``start`` on.

    ``iterates`` has shape ``(T, d)`` (row t is x_t); returns the mean of rows
    ``start, ..., T - 1``, an array of shape ``(d,)``::

        x̄ = (1 / (T - start)) Σ_{t = start}^{T - 1} x_t

    Defined in chapter 14 (Ensembles and weight averaging).
    """
    return np.mean(iterates[start:], axis=0)


#: The common mistakes of ``ch14_polyak_average``, each declared on its wrong code.
polyak_average_mistakes = Mistakes()


@polyak_average_mistakes.add(
    "ignores start",
    "the early iterates, far from the minimum, drag the mean back: average only the "
    "rows from `start` on (row `start` included).",
)
def _polyak_ignores_start(iterates, start):
    return np.mean(iterates, axis=0)


@polyak_average_mistakes.add(
    "off by one",
    "row `start` itself belongs to the average: iterates[start:], not iterates[start + 1:].",
)
def _polyak_off_by_one(iterates, start):
    return np.mean(iterates[start + 1 :], axis=0)


@polyak_average_mistakes.add(
    "averaged over the wrong axis",
    "rows are steps and columns are coordinates: average over steps (axis=0) to get "
    "one point of shape (d,).",
)
def _polyak_wrong_axis(iterates, start):
    return np.mean(iterates[start:], axis=1)


@polyak_average_mistakes.add(
    "returned the last iterate",
    "the Polyak average is the mean of the iterates from `start` on, not the final iterate.",
)
def _polyak_last_iterate(iterates, start):
    return iterates[-1].copy()


@polyak_average_mistakes.add(
    "divided by T instead of T − start",
    "you summed the rows from `start` on but divided by all T rows: a mean divides "
    "by the number of rows it adds, T − start.",
)
def _polyak_divides_by_t(iterates, start):
    return iterates[start:].sum(axis=0) / len(iterates)


@polyak_average_mistakes.add(
    "the last iterate left out",
    "the sum runs to t = T − 1 included: iterates[start:], not iterates[start:-1] "
    "(or range(start, T - 1)).",
)
def _polyak_drops_last(iterates, start):
    return np.mean(iterates[start:-1], axis=0)


def _noisy_iterates(rng: np.random.Generator, steps: int, dim: int) -> np.ndarray:
    """SGD-like iterates: a decay towards a minimum plus noise, so every row differs."""
    target = rng.normal(0.0, 1.0, dim)
    x = rng.normal(0.0, 3.0, dim)
    rows = []
    for _ in range(steps):
        x = target + 0.8 * (x - target) + rng.normal(0.0, 0.3, dim)
        rows.append(x)
    return np.array(rows)


def _polyak_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    sizes = [(30, 2, 10), (50, 3, 20), (12, 4, 0)]
    if hidden:
        sizes = [(80, 5, 40), (20, 2, 1), (64, 6, 32), (15, 3, 12), (9, 3, 8)]
    return [
        Case(f"T = {t} iterates in d = {d}, start = {s}", (_noisy_iterates(rng, t, d), s))
        for t, d, s in sizes
    ]


register(
    FunctionExercise(
        name="ch14_polyak_average",
        chapter="14",
        title="Polyak averaging of the iterates",
        signature="polyak_average(iterates, start) -> array of shape (d,)",
        hint=(
            "Keep the rows from `start` on (iterates[start:], the row `start` included) and "
            "average them over time, the first axis (axis=0)."
        ),
        solution=polyak_average,
        suites=seeded(_polyak_cases, visible=14, hidden=142),
        mistakes=polyak_average_mistakes.all,
        references=("dlnotes.averages:PolyakAverage",),
    )
)
