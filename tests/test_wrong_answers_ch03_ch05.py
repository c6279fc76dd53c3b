"""Chapters 03 and 05: wrong answers written as a careless learner writes them are named.

Each answer below is typed the way a learner types it (not the registered mistake's own code),
so the tests hold the matching, not only the catalogue: a mistake written another way (a
scalar ``m = 0`` for a reset, ``series.tolist()`` or a store-first loop for a 0-based ``t``)
must still be told by its name, on the visible and on the hidden checks.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.exercises import get
from tests.mistake_names import SUITES, named

# --- ch03_ewa: t counted from 0 ----------------------------------------------------------------


def ewa_index_from_zero(series, beta, bias_correction):
    out = np.zeros(len(series))
    v = 0
    for i in range(len(series)):
        v = beta * v + (1 - beta) * series[i]
        out[i] = v / (1 - beta**i) if bias_correction else v
    return out


def ewa_index_from_zero_fed_back(series, beta, bias_correction):
    out = np.zeros(len(series))
    v = 0.0
    for t in range(len(series)):
        v = beta * v + (1 - beta) * series[t]
        if bias_correction:
            v = v / (1 - beta**t)  # inf at the first step, carried into every later one
        out[t] = v
    return out


def ewa_python_floats_from_zero(series, beta, bias_correction):
    out, v = [], 0.0
    for t, x in enumerate(series.tolist()):
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta**t) if bias_correction else v)
    return np.array(out)


def ewa_float_of_each_reading_from_zero(series, beta, bias_correction):
    out = np.zeros(len(series))
    v = 0.0
    for t in range(len(series)):
        v = beta * v + (1 - beta) * float(series[t])
        out[t] = v / (1 - beta**t) if bias_correction else v
    return out


def ewa_stored_first_from_zero(series, beta, bias_correction):
    out = np.zeros(len(series))
    v = 0.0
    for t in range(len(series)):
        out[t] = v / (1 - beta**t) if bias_correction else v  # 0.0 / 0.0 at t = 0
        v = beta * v + (1 - beta) * series[t]
    return out


def ewa_zeros_like_from_zero(series, beta, bias_correction):
    out = np.zeros_like(series)
    v = 0.0
    for t in range(len(series)):
        v = beta * v + (1 - beta) * series[t]
        out[t] = v / (1 - beta**t) if bias_correction else v
    return out


def ewa_power_of_one_minus_beta(series, beta, bias_correction):
    out = np.zeros(len(series))
    v = 0.0
    for t in range(1, len(series) + 1):
        v = beta * v + (1 - beta) * series[t - 1]
        out[t - 1] = v / (1 - beta) ** t if bias_correction else v
    return out


EWA = [
    (ewa_index_from_zero, "t starts at 0 in the bias correction"),
    (ewa_index_from_zero_fed_back, "t from 0, and the corrected value fed back into v"),
    (ewa_python_floats_from_zero, "t starts at 0: ZeroDivisionError"),
    (ewa_float_of_each_reading_from_zero, "t starts at 0: ZeroDivisionError"),
    (ewa_stored_first_from_zero, "t starts at 0: ZeroDivisionError"),
    (ewa_zeros_like_from_zero, "t from 0, in an array of the series' dtype"),
    (ewa_power_of_one_minus_beta, "(1 − β)**t instead of 1 − β**t"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("answer", "mistake"), EWA, ids=[a.__name__ for a, _ in EWA])
def test_ewa_mistakes_are_named(answer, mistake, suite):
    assert named("ch03_ewa", answer, suite) == [mistake]


def test_the_t_from_zero_hint_speaks_of_the_loop_variable_not_of_i():
    hint = get("ch03_ewa").mistake("t starts at 0 in the bias correction").hint
    assert "(i + 1)" not in hint
    assert "loop variable" in hint and "index + 1" in hint


# --- ch03_minibatches ---------------------------------------------------------------------------


def mb_slice_one_short(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    batches = []
    for i in range(0, len(X), batch_size):
        idx = order[i : i + batch_size - 1]  # "the last index is i + batch_size - 1"
        batches.append((X[idx], y[idx]))
    return tuple(batches)


def mb_slice_one_long(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    batches = []
    for i in range(0, len(X), batch_size):
        idx = order[i : i + batch_size + 1]
        batches.append((X[idx], y[idx]))
    return tuple(batches)


def mb_choice(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    order = rng.choice(len(X), size=len(X))
    return tuple(
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    )


def mb_choice_no_replacement(X, y, batch_size, seed):
    rng = np.random.default_rng(seed)
    order = rng.choice(len(X), size=len(X), replace=False)
    return tuple(
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    )


def mb_list_of_batches(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return [
        (X[order[i : i + batch_size]], y[order[i : i + batch_size]])
        for i in range(0, len(X), batch_size)
    ]


MINIBATCHES = [
    (mb_slice_one_short, "slices one short"),
    (mb_slice_one_long, "slices one too long"),
    (mb_choice, "rng.choice draws with replacement"),
    (mb_choice_no_replacement, "rng.choice instead of rng.permutation"),
    # not a registered mistake: the generic diagnosis already names it (nothing to add)
    (mb_list_of_batches, "a list instead of a tuple"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("answer", "mistake"), MINIBATCHES, ids=[a.__name__ for a, _ in MINIBATCHES]
)
def test_minibatches_mistakes_are_named(answer, mistake, suite):
    assert named("ch03_minibatches", answer, suite) == [mistake]


# --- ch05: Adam, RMSProp, AdaGrad, AdamW --------------------------------------------------------


def adam_reset_with_zeros(x, m, v, g, t, lr, beta1, beta2, eps):
    if t == 1:
        m = np.zeros_like(m)
        v = np.zeros_like(v)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_reset_with_scalars(x, m, v, g, t, lr, beta1, beta2, eps):
    if t == 1:
        m = 0
        v = 0
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_betas_swapped(x, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * g + (1 - beta1) * m
    v = beta2 * g**2 + (1 - beta2) * v
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_power_of_one_minus_beta(x, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1) ** t
    v_hat = v / (1 - beta2) ** t
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def rmsprop_with_adam_correction(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g**2
    v_hat = grad_squared / (1 - alpha)
    return x - lr * g / (np.sqrt(v_hat) + eps), grad_squared


def rmsprop_returns_the_step(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g**2
    step = lr * g / (np.sqrt(grad_squared) + eps)
    return step, grad_squared


def adagrad_returns_the_step(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g**2
    step = lr * g / (np.sqrt(grad_sum) + eps)
    return step, grad_sum


def adamw_reset(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    if t == 1:
        m, v = 0 * m, 0 * v
    x = x - lr * weight_decay * x
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


CH05 = [
    ("ch05_adam_step", adam_reset_with_zeros, "moments reset at t = 1"),
    ("ch05_adam_step", adam_reset_with_scalars, "moments reset at t = 1"),
    ("ch05_adam_step", adam_betas_swapped, "β and 1 − β swapped"),
    ("ch05_adam_step", adam_power_of_one_minus_beta, "(1 − β)**t instead of 1 − β**t"),
    ("ch05_rmsprop_step", rmsprop_with_adam_correction, "Adam's bias correction carried over"),
    ("ch05_rmsprop_step", rmsprop_returns_the_step, "returned the step, not the new x"),
    ("ch05_adagrad_step", adagrad_returns_the_step, "returned the step, not the new x"),
    ("ch05_adamw_step", adamw_reset, "moments reset at t = 1"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("exercise", "answer", "mistake"), CH05, ids=[a.__name__ for _, a, _ in CH05]
)
def test_ch05_mistakes_are_named(exercise, answer, mistake, suite):
    assert named(exercise, answer, suite) == [mistake]
