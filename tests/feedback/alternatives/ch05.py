"""Correct-but-different answers to chapter 05's exercises: each must pass both suites."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def adam_step_torch_form(x, m, v, g, t, lr, beta1, beta2, eps):
    """torch's arrangement: denom = √v/√(1 − β2^t) + ε, step size lr/(1 − β1^t)."""
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * np.square(g)
    denom = np.sqrt(v_new) / np.sqrt(1 - beta2**t) + eps
    return x - (lr / (1 - beta1**t)) * m_new / denom, m_new, v_new


def adam_step_on_copies(params, m1, m2, grad, step, alpha, b1, b2, epsilon):
    m1, m2, params = m1.copy(), m2.copy(), params.copy()
    m1 *= b1
    m1 += (1 - b1) * grad
    m2 *= b2
    m2 += (1 - b2) * grad**2
    params -= alpha * (m1 / (1 - b1**step)) / (np.sqrt(m2 / (1 - b2**step)) + epsilon)
    return params, m1, m2


def rmsprop_step_power(x, grad_squared, g, lr, alpha, eps):
    s = alpha * grad_squared + (1 - alpha) * np.power(g, 2)
    return x - lr * g / (s**0.5 + eps), s


def rmsprop_step_lerp(x, grad_squared, g, lr, alpha, eps):
    s = grad_squared + (1 - alpha) * (g * g - grad_squared)  # a step towards g²
    return x - lr * g / (np.sqrt(s) + eps), s


def adagrad_step_power(x, grad_sum, g, lr, eps):
    total = grad_sum + np.power(g, 2)
    return x - lr * g / (np.power(total, 0.5) + eps), total


def adagrad_step_on_copies(params, acc, grad, lr, eps):
    acc = acc.copy()
    acc += grad * grad
    return params - lr * grad / (np.sqrt(acc) + eps), acc


def adamw_step_decay_term(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    direction = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return x - lr * (direction + weight_decay * x), m, v


def adamw_step_two_stages(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    shrunk = x * (1 - lr * weight_decay)
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g**2
    bc1, bc2 = 1 - beta1**t, 1 - beta2**t
    return shrunk - lr / bc1 * m_new / (np.sqrt(v_new) / np.sqrt(bc2) + eps), m_new, v_new


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch05_adam_step": [adam_step_torch_form, adam_step_on_copies],
    "ch05_rmsprop_step": [rmsprop_step_power, rmsprop_step_lerp],
    "ch05_adagrad_step": [adagrad_step_power, adagrad_step_on_copies],
    "ch05_adamw_step": [adamw_step_decay_term, adamw_step_two_stages],
}
