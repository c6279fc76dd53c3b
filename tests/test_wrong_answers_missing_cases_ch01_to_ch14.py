"""Chapters 01, 02, 03, 05, 06, 08, 10, 11 and 14: wrong answers a careless learner writes that
passed for want of a case (or failed with a misleading message) are rejected and named.

* ch10_dropout_forward: ``mode is "train"`` passed (every case's mode was the interned literal);
  a mode built at run time, as one read from a config file would be, now fails and is named;
* ch02_clip_by_norm: no case had a zero gradient; ``max_norm / float(norm)`` raised on one and
  ``g / norm * min(norm, max_norm)`` returned NaN (named). The task says what a zero gradient
  gives;
* ch14_ema_update: the promise "each result in the dtype of its pair" had no mixed list;
* ch01_diagnose: abs() of the gaps and a default tol of 0.025 passed (no negative gap, no gap
  between 2 and 2.5 points), a verdict as ``np.str_`` was refused;
* ch01_dev_set_size: ``(√(p(1 − p))/se)²`` was blamed on round(x + 0.5); ch01_standardize: a
  guard for σ == 0 only is named;
* ch02_gradient_descent: stopping early (at the minimum, or on a blow-up) passed;
* ch03_minibatches: no hidden case had a batch size that divides N;
* ch05_adagrad_step: a hard-coded ε passed the visible suite (1e-8) or was called "ε left out"
  (1e-10);
* ch06_cosine_lr: 0 after the end was blamed on state, // in the progress on "returned the
  input"; ch06_step_decay: ``lr0 * gamma ** step // step_size`` was blamed on int();
* ch08_numerical_gradient: h = 1e-3 written in passed the hidden suite;
* ch11_batchnorm_forward as layer norm of X.T passed (dlnotes' own solution);
  ch15_torch_port's optimizer created in the loop is named (tests/test_ch15.py).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from verdicts import feedback, mistake_names

from dlnotes.exercises import check

SUITES = ("visible", "hidden")


def _learner(source: str, name: str):
    """The function ``name`` a learner's cell ``source`` defines (compiled as a notebook would,
    its SyntaxWarnings silenced)."""
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        exec(compile(source, "<learner's cell>", "exec"), namespace)
    return namespace[name]


_MODE_IS = """
import numpy as np

def dropout_forward(X, p, mode, u):
    if mode is "train":
        return X * (u >= p) / (1 - p)
    return X.copy()
"""


@pytest.mark.parametrize("suite", SUITES)
def test_mode_compared_with_is_is_named(suite):
    message = feedback("ch10_dropout_forward", _learner(_MODE_IS, "dropout_forward"), suite)
    assert mistake_names(message) == ["mode compared with is"]
    assert 'mode == "train"' in message


def _clip_with_float(g, max_norm):
    return g * min(1.0, max_norm / float(np.linalg.norm(g)))  # 0.0 is a Python float: 1/0 raises


def _clip_normalized_first(g, max_norm):
    norm = np.linalg.norm(g)
    return g / norm * min(norm, max_norm)


def _clip_numpy_division(g, max_norm):
    with np.errstate(divide="ignore"):
        return g * min(1.0, max_norm / np.linalg.norm(g))  # numpy: c/0 = inf, min(1, inf) = 1


@pytest.mark.parametrize("suite", SUITES)
def test_a_zero_gradient_is_checked(suite):
    """A zero gradient (every unit dead) comes back as zeros: ``float(norm)`` division raises and
    g/‖g‖ first gives NaN (named); numpy's inf, clamped by min, is right."""
    message = feedback("ch02_clip_by_norm", _clip_with_float, suite)
    assert "ZeroDivisionError" in message and "zero" in message
    message = feedback("ch02_clip_by_norm", _clip_normalized_first, suite)
    assert mistake_names(message) == ["divides by a zero norm"]
    check("ch02_clip_by_norm", _clip_numpy_division, suite=suite)


def _ema_one_dtype(avg_params, params, decay):
    dtype = avg_params[0].dtype  # "the model's dtype"
    return [(decay * a + (1 - decay) * p).astype(dtype) for a, p in zip(avg_params, params)]


def test_each_ema_pair_keeps_its_own_dtype():
    """A list mixing a float32 weight and a float64 bias: one dtype for the whole list fails the
    hidden suite, with the dtype diagnosis."""
    check("ch14_ema_update", _ema_one_dtype)  # every visible list has one dtype
    message = feedback("ch14_ema_update", _ema_one_dtype, "hidden")
    assert "a float32 weight and a float64 bias" in message
    assert "expected float64, got float32" in message


def _diagnose(bias_gap, variance_gap, default_tol=0.02):
    def diagnose(train_err, dev_err, bayes_err, tol=default_tol):
        b = bias_gap(train_err, bayes_err) > tol
        v = variance_gap(dev_err, train_err) > tol
        if b and v:
            return "high bias and high variance"
        return "high bias" if b else "high variance" if v else "low bias and low variance"

    return diagnose


def _signed(a, b):
    return a - b


def _absolute(a, b):
    return abs(a - b)


@pytest.mark.parametrize("suite", SUITES)
def test_diagnose_gaps_are_signed_and_the_default_tol_is_checked(suite):
    """A training error below the Bayes error, a dev error below the training error (abs() of
    the gaps passed) and a gap of 2.1-2.4 points at the default tol (tol=0.025 passed)."""
    message = feedback("ch01_diagnose", _diagnose(_absolute, _absolute), suite)
    assert mistake_names(message) == ["absolute value of the gaps"]
    message = feedback("ch01_diagnose", _diagnose(_signed, _signed, 0.025), suite)
    assert mistake_names(message) == ["default tol not 0.02"]
    feedback("ch01_diagnose", _diagnose(_signed, _signed, 0.03), suite)


@pytest.mark.parametrize("suite", SUITES)
def test_a_verdict_as_numpy_string_is_a_string(suite):
    right = _diagnose(_signed, _signed)
    labels = np.array(["high bias", "high variance", "high bias and high variance",
                       "low bias and low variance"])  # fmt: skip
    check("ch01_diagnose", lambda *a, **k: labels[list(labels).index(right(*a, **k))], suite=suite)


def _dev_set_size_root_squared(p, se):
    return math.ceil((math.sqrt(p * (1 - p)) / se) ** 2)


def _dev_set_size_round_half(p, se):
    return round(p * (1 - p) / se**2 + 0.5)


@pytest.mark.parametrize("suite", SUITES)
def test_dev_set_size_by_root_and_square_is_told_its_rounding(suite):
    """(√(p(1 − p))/se)² lands a hair above 7 and 15: it is named for that, not for round()."""
    message = feedback("ch01_dev_set_size", _dev_set_size_root_squared, suite)
    assert mistake_names(message) == ["square root, then squared: rounding noise"]
    message = feedback("ch01_dev_set_size", _dev_set_size_round_half, suite)
    assert mistake_names(message) == ["rounded up with round(x + 0.5)"]


def _standardize_exact_zero(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma[sigma == 0] = 1
    return (X_train - mu) / sigma, (X_other - mu) / sigma


@pytest.mark.parametrize("suite", SUITES)
def test_a_guard_for_an_exact_zero_sigma_is_named(suite):
    message = feedback("ch01_standardize", _standardize_exact_zero, suite)
    assert mistake_names(message) == ["guard only for σ == 0 exactly"]


def _gd_stopping(stop_on_gradient: bool):
    def gradient_descent(grad, x0, lr, steps):
        x, xs = x0.copy(), [x0.copy()]
        for _ in range(steps):
            g = grad(x)
            if stop_on_gradient and np.linalg.norm(g) < 1e-6:
                break
            x = x - lr * g
            if not stop_on_gradient and np.abs(x).max() > 1e6:
                break
            xs.append(x)
        return np.array(xs)

    return gradient_descent


def test_gradient_descent_returns_every_iterate_at_a_minimum_and_in_a_blow_up():
    """A run from the minimum and a growing run keep steps + 1 rows (an early stop passed)."""
    for suite in SUITES:
        message = feedback("ch02_gradient_descent", _gd_stopping(True), suite)
        assert mistake_names(message) == ["stops at a small gradient"]
    message = feedback("ch02_gradient_descent", _gd_stopping(False), "hidden")
    assert mistake_names(message) == ["stops when the iterates blow up"]


def _minibatches_one_too_many(X, y, batch_size, seed):
    idx = np.random.default_rng(seed).permutation(len(X))
    count = len(X) // batch_size + 1  # an empty last batch when batch_size divides N
    return tuple(
        (
            X[idx[i * batch_size : (i + 1) * batch_size]],
            y[idx[i * batch_size : (i + 1) * batch_size]],
        )
        for i in range(count)
    )


@pytest.mark.parametrize("suite", SUITES)
def test_minibatches_are_checked_where_the_batch_size_divides_n(suite):
    assert "extra items" in mistake_names(
        feedback("ch03_minibatches", _minibatches_one_too_many, suite)
    )


_ADAGRAD_EPS_WRITTEN_IN = """
import numpy as np

def adagrad_step(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g * g
    return x - lr * g / (np.sqrt(grad_sum) + {eps}), grad_sum
"""


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("eps", ["1e-8", "1e-10"])
def test_adagrad_eps_written_in_fails_and_is_named(suite, eps):
    """torch's Adagrad ε (1e-10) or Adam's (1e-8) written in: both fail the visible suite too
    and are named as numbers written in (1e-10 was called 'ε left out'); a coordinate that
    never had a gradient tells a missing ε from a tiny one."""
    answer = _learner(_ADAGRAD_EPS_WRITTEN_IN.format(eps=eps), "adagrad_step")
    message = feedback("ch05_adagrad_step", answer, suite)
    assert mistake_names(message) == [f"as if eps were {float(eps):g}"]


def _cosine(progress_floor: bool = False, zero_after_end: bool = False):
    def cosine_lr(step, lr_max, lr_min, total_steps, warmup_steps):
        W, T = warmup_steps, total_steps
        if zero_after_end and step > T:
            return 0.0
        if step < W:
            return lr_max * step / W
        span = min(step - W, T - W)
        p = span // (T - W) if progress_floor else span / (T - W)
        return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * p)) / 2

    return cosine_lr


@pytest.mark.parametrize("suite", SUITES)
def test_cosine_schedule_slips_are_named_not_blamed_on_state(suite):
    """0 after the end was told "a result from an earlier call" (the first check's lr(0) = 0);
    // in the progress was told "returned the input lr_max"."""
    message = feedback("ch06_cosine_lr", _cosine(zero_after_end=True), suite)
    assert mistake_names(message) == ["0 after the end instead of lr_min"]
    assert "earlier call" not in message
    message = feedback("ch06_cosine_lr", _cosine(progress_floor=True), suite)
    assert mistake_names(message) == ["integer division in the progress"]


def _step_decay_unparenthesized(step, lr0, step_size, gamma):
    return lr0 * gamma**step // step_size


@pytest.mark.parametrize("suite", SUITES)
def test_step_decay_floor_of_the_rate_is_not_blamed_on_int(suite):
    message = feedback("ch06_step_decay", _step_decay_unparenthesized, suite)
    assert mistake_names(message) == ["the rate cut to a whole number"]
    assert "lr0 * gamma ** step // step_size is floor(lr0 · gamma^step / step_size)" in message


_NUMERICAL_GRADIENT_H_WRITTEN_IN = """
import numpy as np

def numerical_gradient(f, x, h):
    h = 1e-3
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
"""


@pytest.mark.parametrize("suite", SUITES)
def test_a_step_written_in_fails_the_hidden_numerical_gradient_too(suite):
    """Three hidden cases used h = 1e-3 and the two others were not sensitive to h."""
    answer = _learner(_NUMERICAL_GRADIENT_H_WRITTEN_IN, "numerical_gradient")
    assert mistake_names(feedback("ch08_numerical_gradient", answer, suite)) == [
        "as if h were 0.001"
    ]


def test_layer_norm_of_the_transpose_is_the_reference_it_is():
    """ch11's batch norm as layer norm of X.T passed both suites: it is dlnotes' own solution.
    (ch15's backward rule through dlnotes.autograd is left alone, as torch's autograd is: the
    grader's static check reads reference names, and ``logsumexp`` is also scipy's and torch's,
    so a right answer with ``scipy.special.logsumexp`` was flagged.)"""
    from dlnotes import layers

    def batchnorm_forward(X, gamma, beta, eps):
        out, _ = layers.layernorm_forward(X.T, np.ones(len(X)), np.zeros(len(X)), eps=eps)
        x_hat = out.T.copy()
        return gamma * x_hat + beta, (x_hat, X.mean(axis=0), X.var(axis=0))

    with pytest.raises(AssertionError, match="calls dlnotes' own solution"):
        check("ch11_batchnorm_forward", batchnorm_forward)
