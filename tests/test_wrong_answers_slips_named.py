"""Chapters 09 and 13: slips that check recognised only by their values, each now named.

A learner review ran its wrong answers through check: these were met with "wrong values" and no
hint (or, for a failed run scored 0.95, with the hint about 1.0 alone). Each answer is typed as
a learner types it (other names, a loop, np.nan_to_num), not the registered mistake's own code,
and must be told by its name on the visible and on the hidden checks. The new hints must not
reach a right answer: the reference and the right answers of the same review still pass.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check, get
from tests.mistake_names import SUITES, named

# --- ch09_l2_penalty_and_grad -------------------------------------------------------------------


def l2_square_of_the_sum(params, lam):
    pen = 0.0
    grads = []
    for p in params:
        if p.ndim == 2:
            pen += lam / 2 * np.sum(p) ** 2
            grads.append(lam * p)
        else:
            grads.append(np.zeros_like(p))
    return pen, grads


# --- ch09_sgd_weight_decay_step -----------------------------------------------------------------


def wd_decay_on_the_gradient(w, g, lr, weight_decay):
    grad = g + weight_decay * g
    return w - lr * grad


# --- ch09_early_stopping_epoch ------------------------------------------------------------------


def es_from_the_global_minimum(dev_losses, patience):
    best_ep = int(np.argmin(dev_losses))
    stop = min(best_ep + patience, len(dev_losses))
    return stop, best_ep


# --- ch09_l1_prox_step --------------------------------------------------------------------------


def prox_abs_instead_of_max(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.abs(np.abs(z) - lr * lam)


def prox_clip(w, g, lr, lam):
    z = w - lr * g
    t = lr * lam
    return np.clip(z, -t, t)


def prox_on_w_without_the_gradient_step(w, g, lr, lam):
    return np.sign(w) * np.maximum(np.abs(w) - lr * lam, 0)


def prox_lr_twice(w, g, lr, lam):
    z = w - lr * g
    threshold = lam * lr * lr
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


# --- ch13_log_uniform, ch13_coarse_to_fine_bounds -----------------------------------------------


def lu_log2_then_exp(low, high, n, rng):
    return np.exp(rng.uniform(np.log2(low), np.log2(high), n))


def ctf_k_from_d(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * values.shape[1])
    kept = values[np.argsort(scores)[:k]]
    return np.stack([kept.min(axis=0), kept.max(axis=0)], axis=1)


# --- ch13_halving_survivors: a failed run given a number ----------------------------------------


def hs_failed_as_0_5(trials, scores, eta):
    k = max(1, len(scores) // eta)
    s = np.where(np.isnan(scores), 0.5, scores)
    order = np.argsort(s, kind="stable")
    return np.asarray(trials)[order[:k]]


def hs_failed_as_half_by_nan_to_num(trials, scores, eta):
    k = max(1, len(scores) // eta)
    s = np.nan_to_num(scores, nan=0.5)
    return trials[np.argsort(s, kind="stable")][:k]


def hs_failed_as_0_95(trials, scores, eta):
    k = max(1, len(scores) // eta)
    s = scores.copy()
    s[np.isnan(s)] = 0.95
    return np.asarray(trials)[np.argsort(s, kind="stable")[:k]]


SLIPS = [
    ("ch09_l2_penalty_and_grad", l2_square_of_the_sum, "square of the sum, not sum of the squares"),
    ("ch09_sgd_weight_decay_step", wd_decay_on_the_gradient, "decay applied to g instead of w"),
    (
        "ch09_early_stopping_epoch",
        es_from_the_global_minimum,
        "both epochs from np.argmin over the whole list, counted from 0",
    ),
    ("ch09_l1_prox_step", prox_abs_instead_of_max, "np.abs instead of np.maximum(·, 0)"),
    ("ch09_l1_prox_step", prox_clip, "clipped into [−lr·λ, lr·λ] instead of shrunk"),
    ("ch09_l1_prox_step", prox_on_w_without_the_gradient_step, "gradient step forgotten"),
    ("ch09_l1_prox_step", prox_lr_twice, "lr applied twice to the threshold"),
    ("ch13_log_uniform", lu_log2_then_exp, "log2 then exp"),
    ("ch13_coarse_to_fine_bounds", ctf_k_from_d, "k from the number of hyperparameters"),
    (
        "ch13_halving_survivors",
        hs_failed_as_0_5,
        "failed runs given a score that finished runs exceed",
    ),
    (
        "ch13_halving_survivors",
        hs_failed_as_half_by_nan_to_num,
        "failed runs given a score that finished runs exceed",
    ),
]
NEW = sorted({(exercise, mistake) for exercise, _, mistake in SLIPS})


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("exercise", "answer", "mistake"), SLIPS, ids=[a.__name__ for _, a, _ in SLIPS]
)
def test_the_slip_is_rejected_and_named(exercise, answer, mistake, suite):
    assert named(exercise, answer, suite) == [mistake]


@pytest.mark.parametrize("suite", SUITES)
def test_a_failed_run_scored_0_95_is_told_that_a_number_below_1_does_the_same(suite):
    with pytest.raises(AssertionError) as info:
        check("ch13_halving_survivors", hs_failed_as_0_95, suite=suite)
    msg = str(info.value)
    assert re.findall(r"Likely mistake: (.+?) — ", msg) == ["failed runs replaced by 1.0"]
    assert "0.95" in msg and "whatever its score" in msg


def test_the_new_hints_say_what_to_do_instead():
    fixes = {
        "square of the sum, not sum of the squares": "np.sum(W**2)",
        "decay applied to g instead of w": "weight_decay·w",
        "both epochs from np.argmin over the whole list, counted from 0": "start=1",
        "np.abs instead of np.maximum(·, 0)": "np.maximum(np.abs(z) - lr * lam, 0)",
        "clipped into [−lr·λ, lr·λ] instead of shrunk": "z − np.clip(z",
        "gradient step forgotten": "z = w − lr·g",
        "lr applied twice to the threshold": "lr·lam",
        "log2 then exp": "same base",
        "k from the number of hyperparameters": "len(scores)",
        "failed runs given a score that finished runs exceed": "kind='stable'",
    }
    assert set(fixes) == {mistake for _, mistake in NEW}
    for exercise, mistake in NEW:
        assert fixes[mistake] in get(exercise).mistake(mistake).hint, mistake


# --- right answers keep passing: no new hint for them -------------------------------------------


def l2_right_norm(params, lam):
    total = 0
    out = []
    for arr in params:
        if len(arr.shape) == 2:
            total = total + np.linalg.norm(arr, "fro") ** 2
            out.append(arr * arr.dtype.type(lam))
        else:
            out.append(np.zeros(arr.shape, dtype=arr.dtype))
    return float(lam / 2 * total), out


def l2_right_copy(params, lam):
    pen = 0
    grads = []
    for p in params:
        g = p.copy()
        if p.ndim == 2:
            pen += (p * p).sum() * (lam / 2)
            g *= lam
        else:
            g[:] = 0
        grads.append(g)
    return pen, grads


def wd_right_copy(w, g, lr, weight_decay):
    new = w.copy()
    new *= 1 - lr * weight_decay
    new -= lr * g
    return new


def wd_right_loop(w, g, lr, weight_decay):
    out = np.empty_like(w)
    for i in range(w.size):
        out.flat[i] = w.flat[i] - lr * (g.flat[i] + weight_decay * w.flat[i])
    return out


def es_right_vectorised(dev_losses, patience):
    losses = np.asarray(dev_losses)
    prev_min = np.concatenate([[np.inf], np.minimum.accumulate(losses)[:-1]])
    improved = losses < prev_min
    last_imp = np.maximum.accumulate(np.where(improved, np.arange(len(losses)), -1))
    since = np.arange(len(losses)) - last_imp
    hit = np.flatnonzero(since >= patience)
    stop = hit[0] + 1 if hit.size else len(losses)
    best = last_imp[stop - 1] + 1
    return int(stop), int(best)


def prox_right_minus_clip(w, g, lr, lam):
    z = w - lr * g
    t = lr * lam
    return z - np.clip(z, -t, t)


def prox_right_nested_where(w, g, lr, lam):
    z = w - lr * g
    t = lr * lam
    return np.where(z > t, z - t, np.where(z < -t, z + t, 0)).astype(w.dtype)


def prox_right_loop(w, g, lr, lam):
    out = np.empty_like(w)
    thr = lr * lam
    for idx in np.ndindex(w.shape):
        zi = w[idx] - lr * g[idx]
        if zi > thr:
            out[idx] = zi - thr
        elif zi < -thr:
            out[idx] = zi + thr
        else:
            out[idx] = 0.0
    return out


def prox_right_copysign(w, g, lr, lam):
    z = w.copy()
    z -= lr * g
    mag = np.abs(z)
    mag -= lr * lam
    np.maximum(mag, 0, out=mag)
    return np.copysign(mag, z)


def lu_right_base10(low, high, n, rng):
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), n)


def lu_right_power(low, high, n, rng):
    u = rng.random(n)
    return low * (high / low) ** u


def ctf_right_loop(values, scores, keep_fraction):
    n_keep = int(np.ceil(keep_fraction * scores.shape[0]))
    rows = sorted(range(len(scores)), key=lambda i: scores[i])[:n_keep]
    box = np.zeros((values.shape[1], 2))
    for j in range(values.shape[1]):
        col = [values[i, j] for i in rows]
        box[j, 0] = min(col)
        box[j, 1] = max(col)
    return box


def ctf_right_transpose(values, scores, keep_fraction):
    k = -(-keep_fraction * len(scores) // 1)
    best = values[scores.argsort()[: int(k)]]
    return np.array([best.min(0), best.max(0)]).T


def ctf_right_partition(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    kept = values[np.argpartition(scores, k - 1)[:k]]
    return np.stack([kept.min(axis=0), kept.max(axis=0)], axis=1)


def hs_right_lexsort(trials, scores, eta):
    n = len(trials)
    keep = max(1, n // eta)
    idx = np.lexsort((np.arange(n), scores))
    return np.asarray(trials)[idx[:keep]]


def hs_right_sort_key(trials, scores, eta):
    n = len(scores)
    keep = max(1, n // eta)

    def key(i):
        return (math.isnan(scores[i]), 0.0 if math.isnan(scores[i]) else scores[i], i)

    order = sorted(range(n), key=key)
    return np.array([trials[i] for i in order[:keep]], dtype=np.int64)


def hs_right_mergesort_int32(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.asarray(trials)[np.argsort(scores, kind="mergesort")[:k]].astype(np.int32)


def hs_right_failed_above_every_error(trials, scores, eta):
    k = max(1, len(scores) // eta)
    s = np.where(np.isnan(scores), np.inf, scores)  # after every finished run, ties in order
    return np.asarray(trials)[np.argsort(s, kind="stable")[:k]]


RIGHT = [
    ("ch09_l2_penalty_and_grad", l2_right_norm),
    ("ch09_l2_penalty_and_grad", l2_right_copy),
    ("ch09_sgd_weight_decay_step", wd_right_copy),
    ("ch09_sgd_weight_decay_step", wd_right_loop),
    ("ch09_early_stopping_epoch", es_right_vectorised),
    ("ch09_l1_prox_step", prox_right_minus_clip),
    ("ch09_l1_prox_step", prox_right_nested_where),
    ("ch09_l1_prox_step", prox_right_loop),
    ("ch09_l1_prox_step", prox_right_copysign),
    ("ch13_log_uniform", lu_right_base10),
    ("ch13_log_uniform", lu_right_power),
    ("ch13_coarse_to_fine_bounds", ctf_right_loop),
    ("ch13_coarse_to_fine_bounds", ctf_right_transpose),
    ("ch13_coarse_to_fine_bounds", ctf_right_partition),
    ("ch13_halving_survivors", hs_right_lexsort),
    ("ch13_halving_survivors", hs_right_sort_key),
    ("ch13_halving_survivors", hs_right_mergesort_int32),
    ("ch13_halving_survivors", hs_right_failed_above_every_error),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("exercise", "answer"), RIGHT, ids=[a.__name__ for _, a in RIGHT])
def test_a_right_answer_still_passes(exercise, answer, suite, capsys):
    check(exercise, answer, suite=suite)
    assert capsys.readouterr().out.startswith(f"✓ {exercise}: ")


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("exercise", "mistake"), NEW, ids=[m for _, m in NEW])
def test_no_new_mistake_collides_with_the_reference(exercise, mistake, suite):
    """The new mistake differs from the reference on some check of each suite (else a right
    answer could be told it): the registered wrong code is rejected under its own name."""
    ex = get(exercise)
    wrong = ex.mistake(mistake).wrong
    assert named(exercise, wrong, suite) == [mistake]
    differs = []
    # two builds of the suite: each call draws from its own copy of a case's generator
    for mine, theirs in zip(ex.cases(suite), ex.cases(suite)):
        expected = ex.solution(*mine.args, **mine.kwargs)
        got = wrong(*theirs.args, **theirs.kwargs)
        if exercise == "ch09_l2_penalty_and_grad":
            expected, got = expected[0], got[0]  # the penalty (the gradients are right)
        differs.append(not np.allclose(np.asarray(got), np.asarray(expected), equal_nan=True))
    assert any(differs)
