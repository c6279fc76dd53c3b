"""Correct-but-different answers to chapter 04's exercises: each must pass both suites.

For the explorer challenge (a value exercise) the list holds other accepted values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def momentum_step_expanded(x, v, g, lr, rho):
    return x - lr * rho * v - lr * g, rho * v + g


def momentum_step_on_copies(position, velocity, gradient, alpha, mu):
    v = velocity.copy()
    v *= mu
    v += gradient
    x = position.copy()
    x -= alpha * v
    return x, v


def momentum_step_textbook_form(x, v, g, lr, rho):
    # the other form's velocity u = −lr·v: u = ρu − lr·g, x = x + u
    u = rho * (-lr * v) - lr * g
    return x + u, -u / lr if lr else rho * v + g


def nesterov_preallocated(grad, x0, lr, rho, steps):
    xs = np.zeros((steps + 1, len(x0)))
    xs[0] = x0
    v = np.zeros(len(x0))
    for k in range(steps):
        look = xs[k] + rho * v
        v = rho * v - lr * grad(look)
        xs[k + 1] = xs[k] + v
    return xs


def nesterov_renamed(gradient, start, alpha, mu, n_steps):
    x = start.astype(np.float64)
    velocity = 0.0 * x
    path = [x.copy()]
    for _ in range(n_steps):
        velocity = mu * velocity - alpha * gradient(x + mu * velocity)
        x = x + velocity
        path.append(x.copy())
    return np.stack(path)


#: Other (α, ρ) that win the heavy-ball challenge: settings around the optimum, less and more
#: momentum with α to match, as a list, with an int α, and as a numpy array.
MOMENTUM_CHALLENGE = [
    (3.0, 0.7),
    (3.2, 0.65),
    (2.5, 0.8),
    [3.3, 0.67],
    (3, 0.7),
    np.array([3.1, 0.7]),
]

ALTERNATIVES: dict[str, list[Callable] | list[Any]] = {
    "ch04_momentum_step": [
        momentum_step_expanded,
        momentum_step_on_copies,
        momentum_step_textbook_form,
    ],
    "ch04_nesterov": [nesterov_preallocated, nesterov_renamed],
    "ch04_momentum_challenge": MOMENTUM_CHALLENGE,
}
