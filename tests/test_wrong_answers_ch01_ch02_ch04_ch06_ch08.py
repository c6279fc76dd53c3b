"""Chapters 01, 02, 04, 06 and 08: wrong answers a careless learner writes that once passed (or
got a misleading message), written out as a learner would; each is now rejected on both suites
and, where the wrong code is a known mistake, named."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check

SUITES = ("visible", "hidden")


def verdict(name, answer, suite):
    """check's message on ``answer``, which must fail."""
    with pytest.raises(AssertionError) as info, np.errstate(all="ignore"):
        check(name, answer, suite=suite)
    return str(info.value)


def named(name, answer, suite):
    return re.findall(r"Likely mistake: (.+?) — ", verdict(name, answer, suite))


@pytest.mark.parametrize("suite", SUITES)
def test_rounding_up_with_round_half_is_caught_on_an_odd_whole_number(suite):
    # round() sends halves to the even number: round(3.5) == 4, round(16.5) == 16
    def dev_set_size(p, se):
        return round(p * (1 - p) / se**2 + 0.5)

    assert named("ch01_dev_set_size", dev_set_size, suite) == ["rounded up with round(x + 0.5)"]


@pytest.mark.parametrize("suite", SUITES)
def test_a_float_is_not_a_dev_set_size(suite):
    def dev_set_size(p, se):
        return np.ceil(p * (1 - p) / se**2)  # 4075.0, a float

    assert "expected an integer, got float64" in verdict("ch01_dev_set_size", dev_set_size, suite)


@pytest.mark.parametrize("suite", SUITES)
def test_epochs_must_be_integers_too(suite):
    def early_stopping_epoch(dev_losses, patience):
        best, best_epoch, wait = math.inf, 0, 0
        for epoch, loss in enumerate(dev_losses, start=1):
            if loss < best:
                best, best_epoch, wait = loss, epoch, 0
            else:
                wait += 1
                if wait >= patience:
                    return float(epoch), float(best_epoch)
        return float(len(dev_losses)), float(best_epoch)

    message = verdict("ch09_early_stopping_epoch", early_stopping_epoch, suite)
    assert "in stop_epoch (result 0): expected an integer, got float" in message


@pytest.mark.parametrize("suite", SUITES)
def test_a_feature_that_varies_a_little_is_scaled_not_only_centred(suite):
    def standardize(X_train, X_other):
        mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
        sigma = sigma.copy()
        sigma[sigma < 1e-3] = 1.0
        return (X_train - mu) / sigma, (X_other - mu) / sigma

    assert named("ch01_standardize", standardize, suite) == [
        "a large threshold for constant features"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_machine_epsilon_is_not_the_guard_of_the_relative_error(suite):
    def relative_error(a, b):
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        return float(np.linalg.norm(a - b) / max(na + nb, np.finfo(float).eps))

    assert named("ch08_relative_error", relative_error, suite) == ["machine epsilon as the guard"]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("name", ["ch02_gradient_descent", "ch04_nesterov"])
def test_a_view_of_x0_for_zero_steps_is_caught_on_both_suites(name, suite):
    def run(grad, x0, lr, *rest):
        *rho, steps = rest
        if steps == 0:
            return x0[None, :]  # a view of the caller's x0
        x, v, xs = np.array(x0, dtype=float), np.zeros(len(x0)), [np.array(x0, dtype=float)]
        for _ in range(steps):
            if rho:  # Nesterov, the look-ahead form
                v = rho[0] * v - lr * grad(x + rho[0] * v)
                x = x + v
            else:
                x = x - lr * grad(x)
            xs.append(x)
        return np.array(xs)

    answer = (
        (lambda grad, x0, lr, steps: run(grad, x0, lr, steps))
        if name == "ch02_gradient_descent"
        else (lambda grad, x0, lr, rho, steps: run(grad, x0, lr, rho, steps))
    )
    assert "returned (a view of) its input array" in verdict(name, answer, suite)


def test_a_tol_default_of_five_points_fails_the_visible_checks():
    def diagnose(train_err, dev_err, bayes_err, tol=0.05):
        bias, variance = train_err - bayes_err > tol, dev_err - train_err > tol
        if bias and variance:
            return "high bias and high variance"
        return "high bias" if bias else "high variance" if variance else "low bias and low variance"

    assert "expected 'high bias and high variance'" in verdict("ch01_diagnose", diagnose, "visible")


@pytest.mark.parametrize("suite", SUITES)
def test_an_off_by_one_step_decay_is_not_called_a_leftover_result(suite):
    """Consecutive hidden checks (steps 24 and 25) make a missed block boundary look like the
    previous check's answer; a function that returns the same result when called again keeps
    no state, so that is not the diagnosis."""

    def step_decay(step, lr0, step_size, gamma):
        lr = lr0
        for k in range(1, step):  # misses the boundary at k = step
            if k % step_size == 0:
                lr *= gamma
        return lr

    message = verdict("ch06_step_decay", step_decay, suite)
    assert "earlier call" not in message and "keep state" not in message
    assert "Likely mistake:" in message


def test_a_function_that_does_keep_the_previous_result_is_still_called_stale():
    previous: list[float] = []

    def step_decay(step, lr0, step_size, gamma):
        right = lr0 * gamma ** (step // step_size)
        out = previous[-1] if previous else right
        previous.append(right)
        return out

    message = verdict("ch06_step_decay", step_decay, "hidden")
    assert "a result from an earlier call" in message


@pytest.mark.parametrize("suite", SUITES)
def test_a_relative_variance_gap_is_not_called_a_hard_coded_argument(suite):
    def diagnose(train_err, dev_err, bayes_err, tol=0.02):
        bias, variance = train_err - bayes_err > tol, dev_err > train_err * (1 + tol)
        if bias and variance:
            return "high bias and high variance"
        return "high bias" if bias else "high variance" if variance else "low bias and low variance"

    assert "hard-coded" not in verdict("ch01_diagnose", diagnose, suite)
