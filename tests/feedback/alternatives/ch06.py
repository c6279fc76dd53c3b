"""Correct-but-different answers to chapter 06's exercises: each must pass both suites."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def step_decay_floor(t, lr0, step_size, gamma):
    return lr0 * gamma ** math.floor(t / step_size)


def step_decay_loop(t, lr0, step_size, gamma):
    lr = float(lr0)
    for k in range(1, t + 1):
        if k % step_size == 0:
            lr *= gamma
    return lr


def step_decay_numpy(t, lr0, step_size, gamma):
    return np.float64(lr0) * np.power(gamma, np.floor_divide(t, step_size))


def cosine_lr_branches(t, lr_max, lr_min, total_steps, warmup_steps):
    if t < warmup_steps:
        return lr_max * t / warmup_steps
    if t >= total_steps:
        return lr_min
    p = (t - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + np.cos(np.pi * p))


def cosine_lr_renamed(step, peak, floor, T, W):
    frac = min(1.0, max(0.0, (step - W) / (T - W)))
    warm = step / W if W > 0 else 1.0
    if step < W:
        return peak * warm
    return floor + (peak - floor) * math.cos(math.pi * frac / 2) ** 2  # (1 + cos 2θ)/2 = cos² θ


def newton_step_inverse(grad, hessian, x):
    return x - np.linalg.inv(hessian) @ grad


def newton_step_lstsq(g, H, x):
    p, *_ = np.linalg.lstsq(H, g, rcond=None)
    out = x.copy()
    out -= p
    return out


def newton_step_eigh(grad, hessian, x):
    lam, Q = np.linalg.eigh(hessian)
    return x - Q @ ((Q.T @ grad) / lam)


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch06_step_decay": [step_decay_floor, step_decay_loop, step_decay_numpy],
    "ch06_cosine_lr": [cosine_lr_branches, cosine_lr_renamed],
    "ch06_newton_step": [newton_step_inverse, newton_step_lstsq, newton_step_eigh],
}
