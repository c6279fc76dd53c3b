"""Chapters 06, 09 and 11: common wrong answers a careless-learner review met with "wrong values"
and no hint, each now named. Every answer is written out as a learner would write it (not the
registered mistake itself), and must be named on both suites."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check

SUITES = ("visible", "hidden")


def named(name, answer, suite):
    """The mistake names in check's verdict on ``answer``, which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer, suite=suite)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value))


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
