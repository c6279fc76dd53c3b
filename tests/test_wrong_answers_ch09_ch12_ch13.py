"""Chapters 09, 12 and 13: wrong answers written as a careless learner writes them are named.

A learner's run of the three chapters in JupyterLab met these answers with "wrong values" and
no hint (or with a hint about something else: "extra items" for a norm layer trained, "all
zeros" for a penalty that picked no weight matrix). Each answer below is typed the way a
learner types it (a loop, other names, not the registered mistake's own code), so the tests
hold the matching, not only the catalogue: each must be told by its name on the visible and on
the hidden checks.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check
from dlnotes.layers import Linear
from tests.mistake_names import SUITES, named

# --- ch09_l1_prox_step ------------------------------------------------------------------------


def prox_step_uphill(w, g, lr, lam):
    z = w + lr * g
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0)


def prox_half_threshold(w, g, lr, lam):
    threshold = lr * lam / 2
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def prox_size_grown(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) + lr * lam, 0)


def prox_step_without_lr(w, g, lr, lam):
    z = w - g
    shrunk = np.abs(z) - lr * lam
    return np.sign(z) * np.where(shrunk > 0, shrunk, 0)


def prox_subtract_threshold(w, g, lr, lam):
    z = w - lr * g
    t = lr * lam
    return np.where(np.abs(z) > t, z - t, 0)


PROX = [
    (prox_step_uphill, "gradient step uphill"),
    (prox_half_threshold, "half the threshold"),
    (prox_size_grown, "size grown instead of shrunk"),
    (prox_step_without_lr, "gradient step without the learning rate"),
    (prox_subtract_threshold, "negative entries shrunk away from zero"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), PROX, ids=[m for _, m in PROX])
def test_l1_prox_slips_are_named(answer, mistake, suite):
    assert named("ch09_l1_prox_step", answer, suite) == [mistake]


# --- ch09_sgd_weight_decay_step ---------------------------------------------------------------


def wd_returns_update(w, g, lr, weight_decay):
    grad = g + weight_decay * w
    update = -lr * grad
    return update


def wd_no_parentheses(w, g, lr, weight_decay):
    return 1 - lr * weight_decay * w - lr * g


def wd_decay_without_w(w, g, lr, weight_decay):
    total_grad = g + weight_decay
    return w - lr * total_grad


WD = [
    (wd_returns_update, "returned the step, not the new w"),
    (wd_no_parentheses, "parentheses missing around (1 − lr·weight_decay)"),
    (wd_decay_without_w, "decay not multiplied by w"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), WD, ids=[m for _, m in WD])
def test_weight_decay_slips_are_named(answer, mistake, suite):
    assert named("ch09_sgd_weight_decay_step", answer, suite) == [mistake]


# --- ch09_l2_penalty_and_grad ----------------------------------------------------------------


def l2_loop(params, lam, is_weight):
    """A learner's loop, with the test for a weight matrix as written."""
    penalty = 0.0
    grads = []
    for p in params:
        if is_weight(p):
            penalty += lam / 2 * np.sum(p * p)
            grads.append(lam * p)
        else:
            grads.append(np.zeros_like(p))
    return float(penalty), grads


def l2_mean_in_penalty(params, lam):
    penalty, grads = 0.0, []
    for p in params:
        if p.ndim == 2:
            penalty += lam / 2 * np.mean(p**2)
            grads.append(lam * p)
        else:
            grads.append(np.zeros_like(p))
    return float(penalty), grads


def l2_biases_not_weights(params, lam):
    return l2_loop(params, lam, lambda p: p.ndim < 2)


def l2_first_only(params, lam):
    W = params[0]
    return float(0.5 * lam * (W**2).sum()), [lam * W] + [np.zeros_like(p) for p in params[1:]]


def l2_len_for_ndim(params, lam):
    return l2_loop(params, lam, lambda p: len(p) == 2)


def l2_size_above_one(params, lam):
    return l2_loop(params, lam, lambda p: p.size != 1)


L2 = [
    (l2_mean_in_penalty, "mean of the squares in the penalty"),
    (l2_biases_not_weights, "the biases penalised instead of the weights"),
    (l2_first_only, "only the first weight matrix penalised"),
    (l2_len_for_ndim, "len(p) taken for the number of dimensions"),
    (l2_size_above_one, "a bias taken for a single number"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), L2, ids=[m for _, m in L2])
def test_l2_slips_are_named(answer, mistake, suite):
    assert named("ch09_l2_penalty_and_grad", answer, suite) == [mistake]


def test_l2_rule_that_recognises_no_weight_is_told_how_to_tell_weights_from_biases():
    """``len(p) > 10`` takes no array of the visible checks for a weight matrix: the penalty is
    0 everywhere, and the feedback says which arrays are weights, not "np.zeros_like(...)
    left as it was?"."""
    with pytest.raises(AssertionError) as info:
        check("ch09_l2_penalty_and_grad", lambda ps, lam: l2_loop(ps, lam, lambda p: len(p) > 10))
    msg = " ".join(str(info.value).split())  # check folds its lines
    line = re.search(r"Likely mistake: .*?\(result 0\).*?: (.*?) in penalty", msg)
    assert line, msg
    assert "p.ndim == 2" in line[1] and "whatever its length, size or place" in line[1]
    assert "np.zeros_like(...) left as it was" not in msg


# --- ch09_early_stopping_epoch ---------------------------------------------------------------


def es_last_index_when_never_stops(dev_losses, patience):
    best = float("inf")
    best_epoch = 0
    bad = 0
    for i in range(len(dev_losses)):
        if dev_losses[i] < best:
            best = dev_losses[i]
            best_epoch = i + 1
            bad = 0
        else:
            bad += 1
            if bad == patience:
                return i + 1, best_epoch
    return len(dev_losses) - 1, best_epoch


def es_best_plus_patience(dev_losses, patience):
    best, best_epoch, bad = math.inf, 0, 0
    for epoch, loss in enumerate(dev_losses, 1):
        if loss < best:
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
        if bad == patience:
            break
    return best_epoch + patience, best_epoch


ES = [
    (es_last_index_when_never_stops, "the last epoch counted from 0 when training never stops"),
    (es_best_plus_patience, "stop epoch taken as best epoch + patience"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), ES, ids=[m for _, m in ES])
def test_early_stopping_slips_are_named(answer, mistake, suite):
    assert named("ch09_early_stopping_epoch", answer, suite) == [mistake]


# --- ch12_freeze and ch12_finetune_lrs -------------------------------------------------------


def freeze_after_last_frozen(model, n_frozen):
    if n_frozen == 0:
        return model.params
    count = 0
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            count += 1
            if count == n_frozen:
                start = i + 1  # the layer after the last frozen Linear layer
    trainable = []
    for layer in model.layers[start:]:
        trainable.extend(layer.params)
    return trainable


def freeze_after_last_frozen_no_guard(model, n_frozen):
    where = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    return [p for layer in model.layers[where[n_frozen - 1] + 1 :] for p in layer.params]


def freeze_head_only(model, n_frozen):
    head = [layer for layer in model.layers if isinstance(layer, Linear)][-1]
    return [head.W, head.b]


FREEZE = [
    (freeze_after_last_frozen, "training started right after the last frozen Linear layer"),
    (
        freeze_after_last_frozen_no_guard,
        "started after the last frozen Linear layer, and after the head when none is frozen",
    ),
    (freeze_head_only, "the head alone, whatever n_frozen"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), FREEZE, ids=[m for _, m in FREEZE])
def test_freeze_slips_are_named(answer, mistake, suite):
    assert named("ch12_freeze", answer, suite) == [mistake]


def test_a_norm_layer_after_the_last_frozen_linear_is_not_called_extra_items():
    with pytest.raises(AssertionError) as info:
        check("ch12_freeze", freeze_after_last_frozen)
    msg = str(info.value)
    assert "extra items" not in msg
    assert "before the (n_frozen + 1)-th Linear layer is frozen" in " ".join(msg.split())


def lrs_times_not_power(base_lr, n_layers, factor):
    lrs = []
    for k in range(n_layers):
        lrs.append(base_lr * factor * (n_layers - 1 - k))
    return lrs


@pytest.mark.parametrize("suite", SUITES)
def test_finetune_lrs_product_for_power_is_named(suite):
    assert named("ch12_finetune_lrs", lrs_times_not_power, suite) == [
        "factor times the exponent, not to its power"
    ]


# --- ch13_log_uniform, ch13_coarse_to_fine_bounds, ch13_halving_survivors ---------------------


def lu_exp_of_values(low, high, n, rng):
    exponents = rng.uniform(low, high, size=n)
    return np.exp(exponents)


def lu_log_of_exp_bounds(low, high, n, rng):
    a, b = np.exp(low), np.exp(high)
    return np.log(rng.uniform(a, b, n))


def lu_log_of_linear(low, high, n, rng):
    samples = rng.uniform(low, high, size=n)
    return np.log(samples)


LU = [
    (lu_exp_of_values, "bounds used as exponents of e"),
    (lu_log_of_exp_bounds, "exp and log the wrong way round"),
    (lu_log_of_linear, "log of uniform draws"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), LU, ids=[m for _, m in LU])
def test_log_uniform_slips_are_named(answer, mistake, suite):
    assert named("ch13_log_uniform", answer, suite) == [mistake]


def ctf_one_range(values, scores, keep_fraction):
    k = math.ceil(keep_fraction * len(scores))
    best = values[np.argsort(scores)[:k]]
    lo, hi = best.min(), best.max()
    return np.tile([lo, hi], (values.shape[1], 1))


@pytest.mark.parametrize("suite", SUITES)
def test_coarse_to_fine_min_max_without_axis_is_named(suite):
    assert named("ch13_coarse_to_fine_bounds", ctf_one_range, suite) == [
        "min and max over all the kept values"
    ]


def hs_python_sorted(trials, scores, eta):
    n = len(trials)
    k = max(1, n // eta)
    order = sorted(range(n), key=lambda i: scores[i])
    return np.array([trials[i] for i in order[:k]])


def hs_k_of_finished(trials, scores, eta):
    ok = ~np.isnan(scores)
    trials, scores = trials[ok], scores[ok]
    k = max(1, len(scores) // eta)
    return trials[np.argsort(scores, kind="stable")[:k]]


def hs_sorted_pairs(trials, scores, eta):
    k = max(1, len(scores) // eta)
    pairs = sorted(zip(scores, trials))
    return np.array([trial for score, trial in pairs[:k]])


def hs_argpartition(trials, scores, eta):
    k = max(1, len(scores) // eta)
    best = np.argpartition(scores, k)[:k]
    return trials[best]


HS = [
    (hs_python_sorted, "Python's sorted with NaN scores"),
    (hs_k_of_finished, "failed runs left out of n"),
    (hs_sorted_pairs, "sorted (score, id) pairs"),
    (hs_argpartition, "np.argpartition does not sort"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), HS, ids=[m for _, m in HS])
def test_halving_slips_are_named(answer, mistake, suite):
    assert named("ch13_halving_survivors", answer, suite) == [mistake]
