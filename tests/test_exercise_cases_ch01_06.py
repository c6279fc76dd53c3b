"""Chapters 01–06: the visible cases separate the mistakes learners make, and name them.

The catalogue tests run every *registered* mistake; these tests write the wrong answers out as a
learner would (not the registered functions) and check the verdict on the visible suite, for the
gaps found by trying wrong answers (issue 17, item 4).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check


def named(name, answer):
    """The mistake names in check's verdict on ``answer`` (visible suite), which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value))


# --- chapter 01 --------------------------------------------------------------------------------


def test_dev_set_size_rounded_to_nearest_is_caught_on_a_visible_case():
    def dev_set_size(p, se):
        return round(p * (1 - p) / se**2)

    assert named("ch01_dev_set_size", dev_set_size) == ["rounded to the nearest integer"]


def test_diagnose_with_the_combined_verdict_tested_last_is_named():
    def diagnose(train_err, dev_err, bayes_err, tol=0.02):
        if train_err - bayes_err > tol:
            return "high bias"
        elif dev_err - train_err > tol:
            return "high variance"
        elif train_err - bayes_err > tol and dev_err - train_err > tol:
            return "high bias and high variance"
        return "low bias and low variance"

    assert named("ch01_diagnose", diagnose) == ["both never reported"]


def test_diagnose_hard_coded_threshold_and_ge_are_told_apart():
    def ignores_tol(train_err, dev_err, bayes_err, tol=0.02):
        bias, variance = train_err - bayes_err > 0.02, dev_err - train_err > 0.02
        return {
            (True, True): "high bias and high variance",
            (True, False): "high bias",
            (False, True): "high variance",
            (False, False): "low bias and low variance",
        }[(bias, variance)]

    def at_least(train_err, dev_err, bayes_err, tol=0.02):
        bias, variance = train_err - bayes_err >= tol, dev_err - train_err >= tol
        if bias and variance:
            return "high bias and high variance"
        return "high bias" if bias else "high variance" if variance else "low bias and low variance"

    assert named("ch01_diagnose", ignores_tol) == ["tol ignored"]
    assert named("ch01_diagnose", at_least) == ["a gap equal to tol counted as high"]


def test_standardize_with_eps_added_to_sigma_is_named():
    def standardize(X_train, X_other):
        mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
        return (X_train - mu) / (sigma + 1e-8), (X_other - mu) / (sigma + 1e-8)

    assert named("ch01_standardize", standardize) == ["ε added to σ"]


# --- chapter 03 --------------------------------------------------------------------------------


def test_minibatches_with_np_random_seed_is_named():
    def minibatches(X, y, batch_size, seed):
        np.random.seed(seed)  # noqa: NPY002 (the learner's mistake)
        order = np.random.permutation(len(X))  # noqa: NPY002
        out = []
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            out.append((X[idx], y[idx]))
        return tuple(out)

    state = np.random.get_state()  # noqa: NPY002 (restored below)
    try:
        assert named("ch03_minibatches", minibatches) == ["the legacy global random generator"]
    finally:
        np.random.set_state(state)  # noqa: NPY002


def test_ewa_dividing_v_itself_is_named():
    def ewa(series, beta, bias_correction):
        out, v = [], 0.0
        for t in range(1, len(series) + 1):
            v = beta * v + (1 - beta) * series[t - 1]
            if bias_correction:
                v /= 1 - beta**t
            out.append(v)
        return np.array(out)

    assert named("ch03_ewa", ewa) == ["corrected value fed back into v"]


# --- chapters 04 and 05 -----------------------------------------------------------------------


def test_momentum_step_with_torch_nesterov_update_is_named():
    def momentum_step(x, v, g, lr, rho):
        v = rho * v + g
        return x - lr * (g + rho * v), v

    assert named("ch04_momentum_step", momentum_step) == ["Nesterov's update"]


def test_adam_with_the_corrections_folded_into_the_step_is_named():
    def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        lr_t = lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
        return x - lr_t * m / (np.sqrt(v) + eps), m, v

    assert named("ch05_adam_step", adam_step) == ["ε added before the bias correction"]


def test_rmsprop_without_eps_is_named():
    def rmsprop_step(x, grad_squared, g, lr, alpha, eps):
        s = alpha * grad_squared + (1 - alpha) * g**2
        return x - lr * g / np.sqrt(s), s

    assert named("ch05_rmsprop_step", rmsprop_step) == ["ε left out"]


# --- chapter 06 --------------------------------------------------------------------------------


def test_step_decay_rounding_is_caught_and_not_called_one_step_too_early():
    def step_decay(step, lr0, step_size, gamma):
        return lr0 * gamma ** round(step / step_size)

    assert named("ch06_step_decay", step_decay) == ["rounded instead of floored"]


def test_step_decay_one_step_too_early_keeps_its_name():
    def step_decay(step, lr0, step_size, gamma):
        return lr0 * gamma ** ((step + 1) // step_size)

    assert named("ch06_step_decay", step_decay) == ["one step too early"]


def test_step_decay_floor_of_a_true_division_passes(capsys):
    def step_decay(step, lr0, step_size, gamma):
        return lr0 * gamma ** math.floor(step / step_size)

    check("ch06_step_decay", step_decay)
    assert capsys.readouterr().out.startswith("✓ ch06_step_decay")


def test_cosine_progress_over_the_whole_schedule_is_named():
    def cosine_lr(step, lr_max, lr_min, total_steps, warmup_steps):
        if step < warmup_steps:
            return lr_max * step / warmup_steps
        p = min(step - warmup_steps, total_steps) / total_steps
        return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * p)) / 2

    assert named("ch06_cosine_lr", cosine_lr) == ["progress divided by T instead of T − W"]


# --- chapter 02 --------------------------------------------------------------------------------


def test_gradient_descent_storing_before_the_update_is_named():
    def gradient_descent(grad, x0, lr, steps):
        x, xs = x0.copy(), []
        for _ in range(steps):
            xs.append(x)
            x = x - lr * grad(x)
        return np.array(xs)

    assert named("ch02_gradient_descent", gradient_descent) == ["missing the last iterate"]


def test_clip_returning_the_short_gradient_itself_is_named():
    def clip_by_norm(g, max_norm):
        norm = np.linalg.norm(g)
        return g * float(max_norm / norm) if norm > max_norm else g

    assert named("ch02_clip_by_norm", clip_by_norm) == ["returns g itself when short"]


def test_max_stable_lr_with_the_matrix_norm_is_named():
    def max_stable_lr(H):
        return 2 / np.linalg.norm(H)

    assert named("ch02_max_stable_lr", max_stable_lr) == ["2/‖H‖ with the Frobenius norm"]
