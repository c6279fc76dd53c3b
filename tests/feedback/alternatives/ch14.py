"""Correct-but-different answers to chapter 14's exercises: each must pass both suites."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# ch14_ema_update
# --------------------------------------------------------------------------------------------


def ema_update_lerp(avg_params, params, decay):
    """A step of size 1 − decay from the average towards the weights."""
    return [avg + (1 - decay) * (p - avg) for avg, p in zip(avg_params, params)]


def ema_update_on_copies(averages, weights, beta):
    """Renamed parameters; copies of the averages updated in place."""
    out = []
    for avg, w in zip(averages, weights):
        new = avg.copy()
        new *= beta
        new += (1 - beta) * w
        out.append(new)
    return out


def ema_update_indexed(avg_params, params, decay):
    """An index loop and numpy's ufuncs."""
    result = []
    for i in range(len(params)):
        result.append(np.add(np.multiply(avg_params[i], decay), np.multiply(params[i], 1 - decay)))
    return result


# --------------------------------------------------------------------------------------------
# ch14_ensemble_predict
# --------------------------------------------------------------------------------------------


def ensemble_predict_stacked(logit_list):
    """One (K, N, C) array; the sum of the probabilities has the same argmax as their mean."""
    z = np.stack([np.asarray(logits, dtype=float) for logits in logit_list])
    e = np.exp(z - z.max(axis=2, keepdims=True))
    p = e / e.sum(axis=2, keepdims=True)
    return p.sum(axis=0).argmax(axis=1)


def ensemble_predict_log_space(members):
    """Renamed parameter; softmax as exp(z − logsumexp(z)), probabilities accumulated in a loop."""
    total = None
    for z in members:
        m = z.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        p = np.exp(z - lse)
        total = p if total is None else total + p
    assert total is not None
    return np.argmax(total / len(members), axis=1)


def ensemble_predict_rows(logit_list):
    """Example by example, class scores averaged in plain numpy rows."""
    n = len(logit_list[0])
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        avg = 0.0
        for z in logit_list:
            row = np.exp(z[i] - np.max(z[i]))
            avg = avg + row / row.sum()
        out[i] = int(np.argmax(avg / len(logit_list)))
    return out


# --------------------------------------------------------------------------------------------
# ch14_polyak_average
# --------------------------------------------------------------------------------------------


def polyak_average_running(iterates, start):
    """The running mean x̄_k = x̄_{k−1} + (x_k − x̄_{k−1}) / k, as an averager keeps it."""
    avg = np.zeros(iterates.shape[1])
    for k, x in enumerate(iterates[start:], start=1):
        avg += (x - avg) / k
    return avg


def polyak_average_sum(xs, first):
    """Renamed parameters; the sum divided by the number of rows averaged."""
    tail = xs[first:]
    return tail.sum(axis=0) / (len(xs) - first)


def polyak_average_weights(iterates, start):
    """np.average with weights 0 before start and 1 from start on."""
    weights = (np.arange(len(iterates)) >= start).astype(float)
    return np.average(iterates, axis=0, weights=weights)


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch14_ema_update": [ema_update_lerp, ema_update_on_copies, ema_update_indexed],
    "ch14_ensemble_predict": [
        ensemble_predict_stacked,
        ensemble_predict_log_space,
        ensemble_predict_rows,
    ],
    "ch14_polyak_average": [
        polyak_average_running,
        polyak_average_sum,
        polyak_average_weights,
    ],
}
