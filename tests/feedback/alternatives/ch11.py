"""Correct-but-different answers to chapter 11's exercises: each must pass both suites."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# ch11_batchnorm_forward
# --------------------------------------------------------------------------------------------


def batchnorm_forward_var(x, gamma, beta, eps):
    """numpy's biased x.var(axis=0) (ddof=0 by default)."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return x_hat * gamma + beta, (x_hat, mu, var)


def batchnorm_forward_keepdims(inputs, scale, shift, epsilon):
    """Renamed parameters; statistics with keepdims, flattened to (D,) for the cache."""
    n = inputs.shape[0]
    mean = np.sum(inputs, axis=0, keepdims=True) / n
    centered = inputs - mean
    var = np.sum(centered * centered, axis=0, keepdims=True) / n
    inv_std = 1.0 / np.sqrt(var + epsilon)
    x_hat = centered * inv_std
    return scale * x_hat + shift, (x_hat, mean.reshape(-1), var.reshape(-1))


def batchnorm_forward_columns(x, gamma, beta, eps):
    """Feature by feature in plain Python (math.fsum), written into new arrays."""
    n, d = x.shape
    mean, var = np.empty(d), np.empty(d)
    x_hat, out = np.empty_like(x), np.empty_like(x)
    for j in range(d):
        column = [float(v) for v in x[:, j]]
        mean[j] = math.fsum(column) / n
        var[j] = math.fsum((v - mean[j]) ** 2 for v in column) / n
        x_hat[:, j] = (x[:, j] - mean[j]) / math.sqrt(var[j] + eps)
        out[:, j] = gamma[j] * x_hat[:, j] + beta[j]
    return out, (x_hat, mean, var)


# --------------------------------------------------------------------------------------------
# ch11_batchnorm_backward
# --------------------------------------------------------------------------------------------


def batchnorm_backward_staged(dout, x, gamma, eps):
    """The computational graph walked back node by node (cs231n's staged backward)."""
    N = x.shape[0]
    mu = x.mean(axis=0)
    xmu = x - mu
    var = (xmu**2).mean(axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    x_hat = xmu * ivar
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    divar = (dx_hat * xmu).sum(axis=0)
    dxmu1 = dx_hat * ivar
    dsqrtvar = -divar / sqrtvar**2
    dvar = 0.5 * dsqrtvar / sqrtvar
    dsq = dvar * np.ones_like(x) / N
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -dx1.sum(axis=0)
    dx2 = dmu * np.ones_like(x) / N
    return dx1 + dx2, dgamma, dbeta


def batchnorm_backward_means(upstream, inputs, scale, epsilon):
    """Renamed parameters; the compact form with means instead of sums."""
    mean = inputs.mean(axis=0)
    inv_std = 1.0 / np.sqrt(inputs.var(axis=0) + epsilon)
    x_hat = (inputs - mean) * inv_std
    dx_hat = upstream * scale
    dx = inv_std * (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0))
    return dx, np.sum(upstream * x_hat, axis=0), np.sum(upstream, axis=0)


def batchnorm_backward_jacobian(dout, x, gamma, eps):
    """Per feature, the N×N Jacobian of x_hat with respect to the column of x, transposed."""
    N, D = x.shape
    dx = np.empty_like(x)
    dgamma, dbeta = np.empty(D), np.empty(D)
    for j in range(D):
        col = x[:, j]
        sigma = np.sqrt(col.var() + eps)
        x_hat = (col - col.mean()) / sigma
        # d x_hat_i / d x_k = (δ_ik − 1/N − x_hat_i x_hat_k / N) / σ
        J = (np.eye(N) - 1.0 / N - np.outer(x_hat, x_hat) / N) / sigma
        dx[:, j] = J.T @ (gamma[j] * dout[:, j])
        dgamma[j] = dout[:, j] @ x_hat
        dbeta[j] = dout[:, j].sum()
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------------------------
# ch11_update_running_stats
# --------------------------------------------------------------------------------------------


def update_running_stats_lerp(running_mean, running_var, batch_mean, batch_var, n, momentum):
    """A step of size momentum towards the batch statistic (torch's lerp)."""
    unbiased = batch_var * (n / (n - 1))
    return (
        running_mean + momentum * (batch_mean - running_mean),
        running_var + momentum * (unbiased - running_var),
    )


def update_running_stats_on_copies(mean, var, m_batch, v_batch, batch_size, m):
    """Renamed parameters; copies updated in place (never the inputs themselves)."""
    new_mean, new_var = mean.copy(), var.copy()
    new_mean *= 1 - m
    new_mean += m * m_batch
    new_var *= 1 - m
    new_var += m * v_batch * batch_size / (batch_size - 1)
    return new_mean, new_var


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch11_batchnorm_forward": [
        batchnorm_forward_var,
        batchnorm_forward_keepdims,
        batchnorm_forward_columns,
    ],
    "ch11_batchnorm_backward": [
        batchnorm_backward_staged,
        batchnorm_backward_means,
        batchnorm_backward_jacobian,
    ],
    "ch11_update_running_stats": [update_running_stats_lerp, update_running_stats_on_copies],
}
