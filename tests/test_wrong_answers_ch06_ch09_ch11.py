"""Chapters 06, 09 and 11: common wrong answers a careless learner writes, once met with "wrong
values" and no hint, each now named. Every answer is written out as a learner would write it
(not the registered mistake itself), and must be named on both suites."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check
from tests.mistake_names import SUITES, named

# --- ch09_early_stopping_epoch -------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_early_stopping_with_enumerate_from_0_is_named(suite):
    def early_stopping_epoch(dev_losses, patience):
        best = float("inf")
        best_epoch = 0
        count = 0
        for i, loss in enumerate(dev_losses):  # i from 0: an index, not an epoch
            if loss < best:
                best = loss
                best_epoch = i
                count = 0
            else:
                count += 1
                if count == patience:
                    return i, best_epoch
        return len(dev_losses), best_epoch

    assert named("ch09_early_stopping_epoch", early_stopping_epoch, suite) == [
        "epochs counted from 0 inside the loop"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_early_stopping_consistently_from_0_keeps_its_name(suite):
    def early_stopping_epoch(dev_losses, patience):
        best, best_epoch, wait = math.inf, 0, 0
        for epoch in range(len(dev_losses)):
            if dev_losses[epoch] < best:
                best, best_epoch, wait = dev_losses[epoch], epoch, 0
            else:
                wait += 1
                if wait >= patience:
                    return epoch, best_epoch
        return len(dev_losses) - 1, best_epoch  # the last index

    assert named("ch09_early_stopping_epoch", early_stopping_epoch, suite) == [
        "epochs counted from 0"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_early_stopping_against_the_previous_epoch_without_a_best_is_named(suite):
    def early_stopping_epoch(dev_losses, patience):
        best_epoch = 1
        bad_epochs = 0
        for epoch in range(2, len(dev_losses) + 1):
            if dev_losses[epoch - 1] < dev_losses[epoch - 2]:  # went down since last epoch
                best_epoch = epoch
                bad_epochs = 0
            else:
                bad_epochs += 1
                if bad_epochs >= patience:
                    return epoch, best_epoch
        return len(dev_losses), best_epoch

    assert named("ch09_early_stopping_epoch", early_stopping_epoch, suite) == [
        "no best loss kept: each epoch compared with the previous one"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_early_stopping_count_reset_against_the_previous_epoch_keeps_its_name(suite):
    def early_stopping_epoch(dev_losses, patience):
        best, best_epoch, wait, prev = math.inf, 0, 0, math.inf
        for epoch, loss in enumerate(dev_losses, start=1):
            wait = 0 if loss < prev else wait + 1
            if loss < best:
                best, best_epoch = loss, epoch
            if wait >= patience:
                return epoch, best_epoch
            prev = loss
        return len(dev_losses), best_epoch

    assert named("ch09_early_stopping_epoch", early_stopping_epoch, suite) == [
        "improvement measured against the previous epoch"
    ]


# --- ch09_l1_prox_step ---------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_prox_step_with_np_max_is_named(suite):
    def l1_prox_step(w, g, lr, lam):
        z = w - lr * g
        shrunk = np.max(np.abs(z) - lr * lam, 0)  # meant: the larger of the two
        return np.sign(z) * shrunk

    assert named("ch09_l1_prox_step", l1_prox_step, suite) == ["np.max instead of np.maximum"]


# --- ch11_batchnorm_forward ----------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_batchnorm_statistics_without_an_axis_are_named(suite):
    def batchnorm_forward(X, gamma, beta, eps):
        mu = np.mean(X)
        var = np.mean((X - mu) ** 2)
        x_hat = (X - mu) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x_hat, mu, var)

    assert named("ch11_batchnorm_forward", batchnorm_forward, suite) == [
        "statistics over the whole batch"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_batchnorm_caching_sigma_is_named(suite):
    def batchnorm_forward(X, gamma, beta, eps):
        mean = X.mean(axis=0)
        sigma = np.sqrt(((X - mean) ** 2).mean(axis=0) + eps)
        x_hat = (X - mean) / sigma
        out = gamma * x_hat + beta
        return out, (x_hat, mean, sigma)

    assert named("ch11_batchnorm_forward", batchnorm_forward, suite) == [
        "σ = sqrt(var + eps) in the cache"
    ]


# --- ch06_newton_step ----------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_newton_returning_the_solved_step_is_named(suite):
    def newton_step(g, H, x):
        p = np.linalg.inv(H) @ g
        return p

    assert named("ch06_newton_step", newton_step, suite) == ["returned H⁻¹g, not the new point"]


@pytest.mark.parametrize("suite", SUITES)
def test_newton_inverse_times_g_with_star_is_named(suite):
    def newton_step(g, H, x):
        H_inv = np.linalg.inv(H)
        return x - g * H_inv

    assert named("ch06_newton_step", newton_step, suite) == ["inverse times g elementwise"]


# --- answers that raise: the registered mistake raising the same error is named -----------


def _std_axis1(X_train, X_other):
    m = X_train.mean(axis=1)
    s = X_train.std(axis=1)
    return (X_train - m) / s, (X_other - m) / s


def _prox_builtin_max(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * max(abs(z) - lr * lam, 0)


def _bn_axis1(X, gamma, beta, eps):
    mu, var = np.mean(X, axis=1), np.var(X, axis=1)
    x_hat = (X - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, mu, var)


def _lse_sum_without_keepdims(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return g[:, None] * e / e.sum(axis=1)


def _lse_g_behind(x, g):  # the task says "mind the broadcasting of g"
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e / e.sum(axis=1, keepdims=True)
    return s * g


def _lse_g_row(x, g):
    s = np.exp(x - np.max(x, axis=1, keepdims=True))
    return g * s / s.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("exercise", "answer", "error", "named"),
    [
        ("ch01_standardize", _std_axis1, "could not be broadcast", "statistics over axis=1"),
        ("ch09_l1_prox_step", _prox_builtin_max, "ambiguous", "Python's max on an array"),
        ("ch11_batchnorm_forward", _bn_axis1, "could not be broadcast", "statistics over axis=1"),
        (
            "ch15_logsumexp_backward",
            _lse_sum_without_keepdims,
            "could not be broadcast",
            "a vector of one value per example",
        ),
        ("ch15_logsumexp_backward", _lse_g_row, "could not be broadcast", "g in front"),
        (
            "ch15_logsumexp_backward",
            _lse_g_behind,
            "could not be broadcast",
            "a vector of one value per example",
        ),
    ],
)
def test_an_answer_that_raises_is_named_by_the_mistake_raising_the_same(
    exercise, answer, error, named
):
    with pytest.raises(CheckFailed) as info:
        check(exercise, answer)
    message = str(info.value)
    assert "your function raised ValueError" in message and error in message
    assert f"Likely mistake: {named}" in message, message


def test_an_error_no_mistake_raises_names_none():
    def standardize(X_train, X_other):
        return X_train.reshape(5, 5), X_other  # a ValueError of another operation

    with pytest.raises(CheckFailed) as info:
        check("ch01_standardize", standardize)
    assert "raised ValueError" in str(info.value) and "Likely mistake" not in str(info.value)


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.9])
def test_a_tiny_learning_rate_is_too_small_not_oscillating(lr):
    """With lr = 0.01 more of f is left along the steep direction than the flat one, and the
    hint said "oscillating: back off from 2/L", the opposite of the fix."""
    with pytest.raises(CheckFailed) as info:
        check("ch02_lr_challenge", lr)
    assert "Likely mistake: too small" in str(info.value), str(info.value)


def test_an_unanswered_challenge_names_the_notebook_variable():
    with pytest.raises(CheckFailed) as info:
        check("ch02_lr_challenge", None)
    assert "lr_challenge = ..." in str(info.value)


def test_x0_aliased_and_appended_gets_both_slips_named():
    """The commonest loop (x = x0, x -= ..., xs.append(x)) got only "modified its input x0",
    and once fixed with a copy, the aliasing hint: two failures for one loop."""

    def gradient_descent(grad, x0, lr, steps):
        x = x0
        xs = [x]
        for _ in range(steps):
            x -= lr * grad(x)
            xs.append(x)
        return np.array(xs)

    with pytest.raises(CheckFailed) as info:
        check("ch02_gradient_descent", gradient_descent)
    assert "Likely mistake: aliasing x0 itself" in str(info.value)


def test_returning_only_the_last_iterate_is_named():
    def gradient_descent(grad, x0, lr, steps):
        x = x0.copy()
        for _ in range(steps):
            x = x - lr * grad(x)
        return x

    for suite in ("visible", "hidden"):
        with pytest.raises(CheckFailed, match="Likely mistake: only the last iterate"):
            check("ch02_gradient_descent", gradient_descent, suite=suite)
