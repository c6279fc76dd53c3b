"""Chapter 05's exercise solutions on hand-derived values, and the feedback a learner sees."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import ch05, check
from dlnotes.optim import Adam, RMSprop


def test_adam_step_first_two_steps_by_hand():
    """g = 0.3 then -0.5, lr = 0.01, default betas, from m = v = 0."""
    x, m, v = np.array([0.5]), np.zeros(1), np.zeros(1)
    x1, m1, v1 = ch05.adam_step(x, m, v, np.array([0.3]), 1, 0.01, 0.9, 0.999, 1e-8)
    # t = 1: m_hat = 0.3, v_hat = 0.09, step = 0.01 * 0.3 / (0.3 + 1e-8)
    np.testing.assert_allclose(m1, [0.03], rtol=1e-15)
    np.testing.assert_allclose(v1, [0.001 * 0.09], rtol=1e-15)
    np.testing.assert_allclose(x1, [0.5 - 0.01 * 0.3 / (0.3 + 1e-8)], rtol=1e-15)
    x2, m2, v2 = ch05.adam_step(x1, m1, v1, np.array([-0.5]), 2, 0.01, 0.9, 0.999, 1e-8)
    m_expected = 0.9 * 0.03 + 0.1 * -0.5  # -0.023
    v_expected = 0.999 * 9e-5 + 0.001 * 0.25  # 3.3991e-4
    m_hat = m_expected / (1 - 0.81)
    v_hat = v_expected / (1 - 0.999**2)
    np.testing.assert_allclose(m2, [-0.023], rtol=1e-12)
    np.testing.assert_allclose(v2, [3.3991e-4], rtol=1e-12)
    np.testing.assert_allclose(x2, x1 - 0.01 * m_hat / (math.sqrt(v_hat) + 1e-8), rtol=1e-14)
    # and the library agrees on both steps
    y = np.array([0.5])
    opt = Adam(y, lr=0.01)
    opt.step(np.array([0.3]))
    opt.step(np.array([-0.5]))
    np.testing.assert_allclose(y, x2, rtol=1e-14)


def test_rmsprop_step_by_hand_and_against_the_library():
    x, s, g = np.array([1.0, -2.0]), np.zeros(2), np.array([0.4, -3.0])
    x1, s1 = ch05.rmsprop_step(x, s, g, 0.01, 0.99, 1e-8)
    np.testing.assert_allclose(s1, [0.01 * 0.16, 0.01 * 9.0], rtol=1e-15)
    # sqrt(0.01 g^2) = 0.1 |g|: the first step is lr / 0.1 = 10 lr per coordinate (up to eps)
    np.testing.assert_allclose(
        x1, [1.0 - 0.01 * 0.4 / (0.04 + 1e-8), -2.0 + 0.01 * 3 / (0.3 + 1e-8)]
    )
    y = x.copy()
    RMSprop(y, lr=0.01, alpha=0.99).step(g)
    np.testing.assert_allclose(y, x1, rtol=1e-15)


def test_adam_without_bias_correction_is_sqrt10_times_larger_at_t1():
    x, m, v, g = np.array([0.0]), np.zeros(1), np.zeros(1), np.array([0.7])
    right = ch05.adam_step(x, m, v, g, 1, 1.0, 0.9, 0.999, 0.0)[0]
    wrong = ch05._adam_no_bias_correction(x, m, v, g, 1, 1.0, 0.9, 0.999, 0.0)[0]
    assert wrong[0] / right[0] == pytest.approx(math.sqrt(10), rel=1e-12)


@pytest.mark.parametrize(
    ("name", "wrong", "mistake"),
    [
        ("ch05_adam_step", ch05._adam_no_bias_correction, "no bias correction"),
        ("ch05_adam_step", ch05._adam_eps_inside_sqrt, "eps inside the square root"),
        ("ch05_adam_step", ch05._adam_t_from_zero, "step counter off by one"),
        ("ch05_adam_step", ch05._adam_beta_not_power, "β instead of β**t"),
        ("ch05_rmsprop_step", ch05._rms_adagrad_sum, "AdaGrad's sum"),
        ("ch05_rmsprop_step", ch05._rms_eps_inside_sqrt, "eps inside the square root"),
    ],
)
def test_feedback_names_the_mistake(name, wrong, mistake):
    with pytest.raises(AssertionError, match=re.escape(f"Likely mistake: {mistake}")):
        check(name, wrong)


def test_an_unsolved_exercise_says_so():
    def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="is not written yet"):
        check("ch05_adam_step", adam_step)


@pytest.mark.parametrize("steps", [1, 5])
def test_adagrad_and_adamw_reference_steps_follow_dlnotes_optim(steps):
    """Iterating the exercise references from zero state gives dlnotes.optim's (torch-exact)
    Adagrad and AdamW iterates."""
    from dlnotes.exercises.ch05 import adagrad_step, adamw_step
    from dlnotes.optim import Adagrad, AdamW

    rng = np.random.default_rng(12)
    grads = [rng.standard_normal(4) for _ in range(steps)]
    x0 = rng.uniform(-1, 1, 4)
    p = x0.copy()
    opt = Adagrad(p, lr=0.1, eps=1e-10)
    x, s = x0.copy(), np.zeros(4)
    for g in grads:
        opt.step(g)
        x, s = adagrad_step(x, s, g, 0.1, 1e-10)
    np.testing.assert_allclose(x, p, rtol=1e-13, atol=1e-15)
    q = x0.copy()
    opt_w = AdamW(q, lr=0.05, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.3)
    x, m, v = x0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        opt_w.step(g)
        x, m, v = adamw_step(x, m, v, g, t, 0.05, 0.9, 0.999, 1e-8, 0.3)
    np.testing.assert_allclose(x, q, rtol=1e-13, atol=1e-15)
