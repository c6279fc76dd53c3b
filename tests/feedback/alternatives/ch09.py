"""Correct-but-different answers to chapter 09's exercises: each must pass both suites."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# ch09_l2_penalty_and_grad
# --------------------------------------------------------------------------------------------


def l2_penalty_and_grad_fsum(params, lam):
    """Plain Python sums of squares (math.fsum over every entry of each matrix)."""
    total = math.fsum(float(v) ** 2 for p in params if p.ndim == 2 for v in p.ravel())
    grads = [p * lam if p.ndim == 2 else np.zeros_like(p) for p in params]
    return lam / 2 * total, grads


def l2_penalty_and_grad_in_dtype(weights, l2):
    """Renamed parameters; the sum of squares in the parameters' own dtype (float32 stays
    float32 until the end), the bias gradient as 0 * b."""
    penalty = 0.0
    grads = []
    for p in weights:
        if p.ndim >= 2:
            penalty += float(np.sum(p * p))
            grads.append(l2 * p)
        else:
            grads.append(0 * p)
    return 0.5 * l2 * penalty, grads


def l2_penalty_and_grad_vdot(params, lam):
    """Frobenius norms via np.vdot, gradients as new copies scaled in place."""
    penalty = 0.5 * lam * sum(float(np.vdot(p, p)) for p in params if p.ndim == 2)
    grads = []
    for p in params:
        grad = p.copy()
        if p.ndim == 2:
            grad *= lam
        else:
            grad[...] = 0
        grads.append(grad)
    return penalty, grads


# --------------------------------------------------------------------------------------------
# ch09_sgd_weight_decay_step
# --------------------------------------------------------------------------------------------


def sgd_weight_decay_step_gradient_form(w, g, lr, wd):
    """The step on loss + (wd/2)‖w‖²: w − lr·(g + wd·w)."""
    return w - lr * (g + wd * w)


def sgd_weight_decay_step_on_copy(params, grad, alpha, decay):
    """Renamed parameters; torch's arrangement on a copy: d_p = g + wd·w, then w −= lr·d_p."""
    d_p = grad + decay * params
    out = params.copy()
    out -= alpha * d_p
    return out


def sgd_weight_decay_step_shrink_then_step(w, g, lr, wd):
    """Shrink a copy of w in place, then take the gradient step."""
    new = w.copy()
    new *= 1 - lr * wd
    new -= lr * g
    return new


# --------------------------------------------------------------------------------------------
# ch09_early_stopping_epoch
# --------------------------------------------------------------------------------------------


def early_stopping_epoch_distance(dev_losses, patience):
    """The count of epochs without improvement is the distance to the best epoch."""
    best_epoch = 1
    for epoch in range(2, len(dev_losses) + 1):
        if dev_losses[epoch - 1] < dev_losses[best_epoch - 1]:
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(dev_losses), best_epoch


def early_stopping_epoch_running_min(losses, wait_for):
    """Renamed parameters; numpy's running minimum says which epochs improve."""
    losses = np.asarray(losses, dtype=float)
    previous_best = np.concatenate([[np.inf], np.minimum.accumulate(losses)[:-1]])
    improves = losses < previous_best
    best, bad = 0, 0
    for k, better in enumerate(improves):
        if better:
            best, bad = k, 0
        else:
            bad += 1
            if bad == wait_for:
                return k + 1, best + 1
    return len(losses), best + 1


def early_stopping_epoch_while(dev_losses, patience):
    """A while loop over 0-based indices, converted to epochs on return."""
    k, best_k, best, wait = 0, -1, float("inf"), 0
    while k < len(dev_losses) and wait < patience:
        if dev_losses[k] < best:
            best, best_k, wait = dev_losses[k], k, 0
        else:
            wait += 1
        k += 1
    return k, best_k + 1


# --------------------------------------------------------------------------------------------
# ch09_l1_prox_step
# --------------------------------------------------------------------------------------------


def l1_prox_step_clip(w, g, lr, lam):
    """z minus its part inside [−t, t]: the soft threshold as z − clip(z, −t, t)."""
    z = w - lr * g
    t = lr * lam
    return z - np.clip(z, -t, t)


def l1_prox_step_where(params, grad, alpha, l1):
    """Renamed parameters; the three branches of the soft threshold with np.where."""
    z = params - alpha * grad
    t = alpha * l1
    return np.where(z > t, z - t, np.where(z < -t, z + t, 0))


def l1_prox_step_loop(w, g, lr, lam):
    """Entry by entry in plain Python, with math.copysign."""
    out = np.empty_like(w)
    for i in np.ndindex(w.shape):
        z = float(w[i]) - lr * float(g[i])
        out[i] = math.copysign(max(abs(z) - lr * lam, 0.0), z)
    return out


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch09_l2_penalty_and_grad": [
        l2_penalty_and_grad_fsum,
        l2_penalty_and_grad_in_dtype,
        l2_penalty_and_grad_vdot,
    ],
    "ch09_sgd_weight_decay_step": [
        sgd_weight_decay_step_gradient_form,
        sgd_weight_decay_step_on_copy,
        sgd_weight_decay_step_shrink_then_step,
    ],
    "ch09_early_stopping_epoch": [
        early_stopping_epoch_distance,
        early_stopping_epoch_running_min,
        early_stopping_epoch_while,
    ],
    "ch09_l1_prox_step": [l1_prox_step_clip, l1_prox_step_where, l1_prox_step_loop],
}
