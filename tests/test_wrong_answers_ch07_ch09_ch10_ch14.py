"""Chapters 07, 09, 10 and 14: wrong answers a careless learner writes, each written out as
a learner would, rejected and named on both suites; and the cases that make them wrong."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check, get

SUITES = ("visible", "hidden")


def named(name, answer, suite):
    """The mistake names in check's verdict on ``answer``, which must fail."""
    with pytest.raises(AssertionError) as info, np.errstate(all="ignore"):
        check(name, answer, suite=suite)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value))


# --- chapter 07 ---------------------------------------------------------------------------------


def kaiming_std_as_mean(fan_in, fan_out, rng):
    std = math.sqrt(2 / fan_in)
    return rng.normal(std, size=(fan_in, fan_out))


def kaiming_he_uniform(fan_in, fan_out, rng):
    a = math.sqrt(6 / fan_in)
    return rng.uniform(-a, a, size=(fan_in, fan_out))


# --- chapter 09 ---------------------------------------------------------------------------------


def prox_sign_by_division(w, g, lr, lam):
    z = w - lr * g
    return z / np.abs(z) * np.maximum(np.abs(z) - lr * lam, 0)


def l2_by_position(params, lam):
    pen, grads = 0.0, []
    for i, p in enumerate(params):
        if i % 2 == 0:
            pen += lam / 2 * float(np.sum(p**2))
            grads.append(lam * p)
        else:
            grads.append(np.zeros_like(p))
    return pen, grads


def l2_by_columns(params, lam):
    pen, grads = 0.0, []
    for p in params:
        if p.ndim == 2 and p.shape[1] > 1:
            pen += lam / 2 * float(np.sum(p**2))
            grads.append(lam * p)
        else:
            grads.append(np.zeros_like(p))
    return pen, grads


def l2_biases_in_penalty(params, lam):
    pen = sum(lam / 2 * np.sum(p**2) for p in params)
    return pen, [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


def es_argmin_without_one(dev_losses, patience):
    best, wait, stop = np.inf, 0, len(dev_losses)
    for e, loss in enumerate(dev_losses, 1):
        if loss < best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                stop = e
                break
    return stop, int(np.argmin(dev_losses[:stop]))


def es_last_of_ties(dev_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for e, loss in enumerate(dev_losses, 1):
        if loss <= best:
            best_epoch = e
        if loss < best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                return e, best_epoch
    return len(dev_losses), best_epoch


# --- chapter 10 ---------------------------------------------------------------------------------


def dropout_strict(X, p, mode, u):
    if mode == "eval":
        return X.copy()
    return X * (u > p) / (1 - p)


def dropout_keep_prob_mask(X, p, mode, u):
    if mode == "eval":
        return X.copy()
    keep = 1 - p
    return X * (u < keep) / keep


def dropout_times_keep(X, p, mode, u):
    if mode == "eval":
        return X.copy()
    return X * (u >= p) * (1 - p)


def dropout_backward_times_keep(dout, cache):
    mask, p = cache
    return dout * mask * (1 - p)


def dropout_backward_swapped_cache(dout, cache):
    p, mask = cache
    return dout * mask / (1 - p)


# --- chapter 14 ---------------------------------------------------------------------------------


def ema_typo(avg_params, params, decay):
    return [decay * a + (1 - decay) * a for a, p in zip(avg_params, params)]


def ensemble_softmax_over_members(logit_list):
    Z = np.stack(logit_list)
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    P = E / E.sum(axis=0, keepdims=True)
    return P.mean(axis=0).argmax(axis=1)


def ensemble_one_sum(logit_list):
    probs = []
    for z in logit_list:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        probs.append(e / e.sum())
    return np.mean(probs, axis=0).argmax(axis=1)


def ensemble_no_division(logit_list):
    return np.mean([np.exp(z - z.max(1, keepdims=True)) for z in logit_list], axis=0).argmax(1)


ANSWERS = [
    ("ch07_kaiming_normal", kaiming_std_as_mean, "mean and std mixed up"),
    ("ch07_kaiming_normal", kaiming_he_uniform, "uniform instead of normal"),
    ("ch09_l1_prox_step", prox_sign_by_division, "z/|z| for the sign"),
    ("ch09_l2_penalty_and_grad", l2_by_position, "weights picked by position"),
    ("ch09_l2_penalty_and_grad", l2_by_columns, "a one-column weight taken for a bias"),
    ("ch09_l2_penalty_and_grad", l2_biases_in_penalty, "biases in the penalty"),
    ("ch09_early_stopping_epoch", es_argmin_without_one, "best epoch counted from 0"),
    ("ch09_early_stopping_epoch", es_last_of_ties, "last of equal losses"),
    ("ch10_dropout_forward", dropout_strict, "u > p instead of u >= p"),
    ("ch10_dropout_forward", dropout_keep_prob_mask, "mask from the keep probability"),
    ("ch10_dropout_forward", dropout_times_keep, "multiplied by 1 − p"),
    ("ch10_dropout_backward", dropout_backward_times_keep, "multiplied by 1 − p"),
    ("ch10_dropout_backward", dropout_backward_swapped_cache, "cache unpacked in the wrong order"),
    ("ch14_ema_update", ema_typo, "assigned to the loop variable"),
    ("ch14_ensemble_predict", ensemble_softmax_over_members, "softmax over the members"),
    ("ch14_ensemble_predict", ensemble_one_sum, "probabilities not normalised per row"),
    ("ch14_ensemble_predict", ensemble_no_division, "exponentials not normalised"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("name", "answer", "mistake"), ANSWERS, ids=[f"{n}-{a.__name__}" for n, a, _ in ANSWERS]
)
def test_the_reviewed_wrong_answer_is_named(name, answer, mistake, suite):
    assert named(name, answer, suite) == [mistake]


@pytest.mark.parametrize("suite", SUITES)
def test_every_prox_case_has_a_weight_at_zero_with_a_zero_gradient(suite):
    for case in get("ch09_l1_prox_step").cases(suite):
        w, g = case.args[0], case.args[1]
        assert np.any((w == 0) & (g == 0)), case.label


@pytest.mark.parametrize("suite", SUITES)
def test_l2_cases_have_a_single_output_layer_and_a_list_that_does_not_alternate(suite):
    cases = get("ch09_l2_penalty_and_grad").cases(suite)
    assert any(p.ndim == 2 and p.shape[1] == 1 for c in cases for p in c.args[0])
    # an even position that holds a 1-D array: W, b, W, b ... does not describe the list
    assert any(p.ndim == 1 for c in cases for p in c.args[0][::2])


@pytest.mark.parametrize("suite", SUITES)
def test_dropout_train_cases_have_draws_exactly_at_p(suite):
    for case in get("ch10_dropout_forward").cases(suite):
        X, p, mode, u = case.args
        if mode == "train":
            assert np.any((u == p) & (X != 0)), case.label


def test_the_ema_loop_variable_hint_also_fits_a_typo():
    hint = get("ch14_ema_update").mistake("assigned to the loop variable").hint
    assert "avg_params unchanged" in hint and "typo" in hint
