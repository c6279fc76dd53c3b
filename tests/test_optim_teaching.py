"""The seed formulations of the chapters against the library classes: when they agree, when not."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.optim import SGD, Adagrad, Adam, RMSprop
from dlnotes.optim.teaching import (
    adagrad_step,
    adam_step,
    momentum_step_add,
    momentum_step_velocity,
    nesterov_step,
    rmsprop_step,
    sgd_step,
)

CONSTANT = [0.05] * 8
CHANGED = [0.05] * 4 + [0.01] * 4  # learning rate divided by 5 after four steps


def grad(x):
    """Gradient of a rotated, ill-conditioned quadratic plus a constant tilt (never all zeros)."""
    a = np.array([[3.0, 1.0], [1.0, 0.5]])
    return a @ x + np.array([0.3, -0.2])


def run_library(opt_cls, lrs, **hyper):
    x = np.array([1.5, -0.5])
    opt = opt_cls(x, lr=lrs[0], **hyper)
    path = []
    for lr in lrs:
        opt.lr = lr
        opt.step(grad(x))
        path.append(x.copy())
    return np.array(path)


def run_teaching(step, lrs, n_state=1, **hyper):
    x = np.array([1.5, -0.5])
    state = [np.zeros(2) for _ in range(n_state)]
    path = []
    for lr in lrs:
        x, *state = step(x, *state, grad(x), lr=lr, **hyper)
        path.append(x)
    return np.array(path)


def test_sgd_step():
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(sgd_step(x, np.array([0.5, 0.5]), 0.2), [0.9, -2.1])
    for lrs in (CONSTANT, CHANGED):
        np.testing.assert_allclose(
            run_teaching(lambda x, g, lr: (sgd_step(x, g, lr),), lrs, n_state=0),
            run_library(SGD, lrs),
            rtol=1e-14,
        )


@pytest.mark.parametrize("lrs", [CONSTANT, CHANGED], ids=["constant-lr", "lr-changed"])
def test_running_sum_momentum_always_equals_torch_form(lrs):
    np.testing.assert_allclose(
        run_teaching(momentum_step_add, lrs, rho=0.9),
        run_library(SGD, lrs, momentum=0.9),
        rtol=1e-13,
    )


def test_velocity_momentum_equals_torch_form_only_while_lr_is_constant():
    lib = run_library(SGD, CONSTANT, momentum=0.9)
    np.testing.assert_allclose(
        run_teaching(momentum_step_velocity, CONSTANT, rho=0.9), lib, rtol=1e-13
    )
    lib = run_library(SGD, CHANGED, momentum=0.9)
    seed = run_teaching(momentum_step_velocity, CHANGED, rho=0.9)
    np.testing.assert_allclose(seed[:4], lib[:4], rtol=1e-13)  # identical before the change
    # right after the change the velocity form still carries momentum built with lr = 0.05
    assert np.max(np.abs(seed[4] - lib[4])) > 1e-3


def test_velocity_is_minus_lr_times_torch_buffer():
    x = np.array([1.5, -0.5])
    opt = SGD(x.copy(), lr=0.05, momentum=0.9)
    v = np.zeros(2)
    for _ in range(3):
        g = grad(opt.params[0])
        opt.step(g)
        x, v = momentum_step_velocity(x, v, g, lr=0.05, rho=0.9)
    np.testing.assert_allclose(v, -0.05 * opt.state[0]["velocity"], rtol=1e-13)


def test_nesterov_lookahead_form_equals_torch_only_while_lr_is_constant():
    lib = run_library(SGD, CONSTANT, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(run_teaching(nesterov_step, CONSTANT, rho=0.9), lib, rtol=1e-12)
    lib = run_library(SGD, CHANGED, momentum=0.9, nesterov=True)
    seed = run_teaching(nesterov_step, CHANGED, rho=0.9)
    np.testing.assert_allclose(seed[:4], lib[:4], rtol=1e-12)
    assert np.max(np.abs(seed[4] - lib[4])) > 1e-3


def test_nesterov_differs_from_plain_momentum():
    plain = run_teaching(momentum_step_velocity, CONSTANT, rho=0.9)
    nesterov = run_teaching(nesterov_step, CONSTANT, rho=0.9)
    np.testing.assert_allclose(plain[0], nesterov[0] + 0.9 * 0.05 * grad(np.array([1.5, -0.5])))
    assert np.max(np.abs(plain - nesterov)) > 1e-2


@pytest.mark.parametrize("lrs", [CONSTANT, CHANGED], ids=["constant-lr", "lr-changed"])
def test_adagrad_seed_equals_library_with_the_same_eps(lrs):
    np.testing.assert_allclose(
        run_teaching(adagrad_step, lrs, eps=1e-7), run_library(Adagrad, lrs, eps=1e-7), rtol=1e-13
    )


@pytest.mark.parametrize("lrs", [CONSTANT, CHANGED], ids=["constant-lr", "lr-changed"])
def test_rmsprop_seed_equals_library_with_the_same_eps(lrs):
    np.testing.assert_allclose(
        run_teaching(rmsprop_step, lrs, alpha=0.9, eps=1e-7),
        run_library(RMSprop, lrs, alpha=0.9, eps=1e-7),
        rtol=1e-13,
    )


def test_course_eps_differs_from_library_default_only_for_tiny_gradients():
    x, dx = np.array([1.0, 1.0]), np.array([1e-7, 1.0])
    course, _ = rmsprop_step(x, np.zeros(2), dx, lr=0.01, alpha=0.9)  # eps = 1e-7
    lib = x.copy()
    RMSprop(lib, lr=0.01, alpha=0.9).step(dx)  # torch default eps = 1e-8
    # sqrt(0.1) * 1e-7 = 3.2e-8 is comparable with eps: the tiny coordinate moves differently
    step_course, step_lib = course - x, lib - x
    assert step_lib[0] / step_course[0] > 3.0  # 1e-7/(3.2e-8 + 1e-8) vs 1e-7/(3.2e-8 + 1e-7)
    assert step_course[1] == pytest.approx(step_lib[1], rel=1e-6)  # sqrt(0.1) >> eps


def test_eps_inside_the_root():
    x, dx = np.array([0.0]), np.array([1e-4])
    outside, _ = adagrad_step(x, np.zeros(1), dx, lr=1.0, eps=1e-7)
    inside, _ = adagrad_step(x, np.zeros(1), dx, lr=1.0, eps=1e-7, eps_inside_sqrt=True)
    # outside: 1e-4 / (1e-4 + 1e-7); inside: 1e-4 / sqrt(1e-8 + 1e-7)
    assert outside[0] == pytest.approx(-1e-4 / (1e-4 + 1e-7), rel=1e-12)
    assert inside[0] == pytest.approx(-1e-4 / np.sqrt(1.1e-7), rel=1e-12)
    x2, _ = rmsprop_step(x, np.zeros(1), dx, lr=1.0, alpha=0.5, eps=1e-7, eps_inside_sqrt=True)
    assert x2[0] == pytest.approx(-1e-4 / np.sqrt(0.5e-8 + 1e-7), rel=1e-12)


def adam_teaching(x, m, v, dx, lr, t, **kw):
    return adam_step(x, m, v, dx, t, lr=lr, **kw)


@pytest.mark.parametrize("lrs", [CONSTANT, CHANGED], ids=["constant-lr", "lr-changed"])
def test_adam_with_bias_correction_equals_library(lrs):
    x = np.array([1.5, -0.5])
    m, v = np.zeros(2), np.zeros(2)
    path = []
    for t, lr in enumerate(lrs, start=1):
        x, m, v = adam_step(x, m, v, grad(x), t, lr=lr, beta1=0.8, beta2=0.9)
        path.append(x)
    np.testing.assert_allclose(path, run_library(Adam, lrs, betas=(0.8, 0.9)), rtol=1e-13)


def test_adam_without_bias_correction_starts_too_slowly():
    x, dx = np.array([1.0, -1.0]), np.array([0.3, -2.0])
    corrected, _, _ = adam_step(x, np.zeros(2), np.zeros(2), dx, 1, lr=0.01, eps=0.0)
    raw, _, _ = adam_step(
        x, np.zeros(2), np.zeros(2), dx, 1, lr=0.01, eps=0.0, bias_correction=False
    )
    # corrected first step: lr * sign(dx); raw: lr * (1 - beta1) / sqrt(1 - beta2) * sign(dx)
    np.testing.assert_allclose(corrected - x, -0.01 * np.sign(dx), rtol=1e-12)
    np.testing.assert_allclose(raw - x, -0.01 * 0.1 / np.sqrt(0.001) * np.sign(dx), rtol=1e-12)


def test_teaching_functions_do_not_modify_inputs():
    x, v, dx = np.array([1.0, 2.0]), np.array([0.5, -0.5]), np.array([0.1, 0.2])
    saved = [a.copy() for a in (x, v, dx)]
    momentum_step_add(x, v, dx, 0.1)
    momentum_step_velocity(x, v, dx, 0.1)
    nesterov_step(x, v, dx, 0.1)
    adagrad_step(x, np.abs(v), dx, 0.1)
    rmsprop_step(x, np.abs(v), dx, 0.1)
    adam_step(x, v, np.abs(v), dx, 3)
    for a, b in zip((x, v, dx), saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (
            lambda: momentum_step_add(np.zeros(2), np.zeros(3), np.zeros(2), 0.1),
            ValueError,
            r"v must have the shape of x, \(2,\), got \(3,\)",
        ),
        (
            lambda: momentum_step_velocity(np.zeros(2), np.zeros(2), np.zeros(2), -0.1),
            ValueError,
            r"lr must be >= 0",
        ),
        (
            lambda: nesterov_step(np.zeros(2), np.zeros(2), np.zeros(2), 0.1, rho=1.0),
            ValueError,
            r"rho must be < 1\.0",
        ),
        (
            lambda: adam_step(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 0),
            ValueError,
            r"t must be >= 1",
        ),
        (
            lambda: adam_step(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 1, beta2=1.5),
            ValueError,
            r"beta2 must be < 1\.0",
        ),
        (
            lambda: rmsprop_step(np.zeros(2), np.zeros(2), np.zeros(2), 0.1, alpha=-0.1),
            ValueError,
            r"alpha must be >= 0\.0",
        ),
        (
            lambda: adagrad_step(np.zeros(2), np.zeros(2), np.array(["a", "b"]), 0.1),
            TypeError,
            r"g must be a real-valued array",
        ),
    ],
)
def test_teaching_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
