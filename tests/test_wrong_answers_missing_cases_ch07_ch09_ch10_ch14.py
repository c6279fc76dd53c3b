"""Chapters 07, 09, 10 and 14: wrong answers a careless learner writes that passed for want of a
case (or failed with a misleading message) are rejected and named.

* ch09_l2_penalty_and_grad: a one-row weight ``(1, d)`` (a layer with one input) taken for a
  bias (no case had one);
* ch09_early_stopping_epoch: a tolerance on "strictly lower" (every improvement was about 0.01 or
  more), and a best epoch that leaves out the last one (no visible curve ends on its minimum);
* ch10_dropout_forward: ``p`` read as the keep probability, and the 1/(1 − p) put in eval mode
  (both failed with an optimizer's "step" or a bare factor);
* ch07 initializers: float32 results are told about numpy's default dtype (no input sets it);
* ch14_polyak_average: ``iterates[-1]`` itself when one row is averaged (no case had one).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from verdicts import feedback, mistake_names

from dlnotes.exercises import check

SUITES = ("visible", "hidden")


named = mistake_names


def _l2_one_row_is_bias(params, lam):
    penalty, grads = 0.0, []
    for p in params:
        if p.ndim == 1 or p.shape[0] == 1:  # "biases may be stored as (1, d) rows"
            grads.append(np.zeros_like(p))
        else:
            penalty += 0.5 * lam * np.sum(p**2)
            grads.append(lam * p)
    return penalty, grads


@pytest.mark.parametrize("suite", SUITES)
def test_a_one_row_weight_is_a_weight(suite):
    message = feedback("ch09_l2_penalty_and_grad", _l2_one_row_is_bias, suite)
    assert "a one-row weight taken for a bias" in named(message)


def _stopper(improves):
    def early_stopping_epoch(dev_losses, patience):
        best, best_epoch, wait = math.inf, 0, 0
        for epoch, loss in enumerate(dev_losses, start=1):
            if improves(loss, best):
                best, best_epoch, wait = loss, epoch, 0
            else:
                wait += 1
                if wait >= patience:
                    return epoch, best_epoch
        return len(dev_losses), best_epoch

    return early_stopping_epoch


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    "improves",
    [
        lambda loss, best: loss < best - 0.01,
        lambda loss, best: loss < best * (1 - 1e-3),
        lambda loss, best: loss < best and not np.isclose(loss, best, rtol=1e-3),
    ],
    ids=["absolute 0.01", "relative 1e-3", "isclose"],
)
def test_small_improvements_are_improvements(suite, improves):
    message = feedback("ch09_early_stopping_epoch", _stopper(improves), suite)
    assert "a tolerance on improvement" in named(message), message


def test_a_best_epoch_that_leaves_out_the_last_one_fails_the_visible_suite():
    rule = _stopper(lambda loss, best: loss < best)

    def early_stopping_epoch(dev_losses, patience):
        stop, _ = rule(dev_losses, patience)
        return stop, int(np.argmin(dev_losses[: stop - 1])) + 1

    message = feedback("ch09_early_stopping_epoch", early_stopping_epoch)
    assert "in best_epoch (result 1)" in message


def _p_as_keep(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u < p) / p


def _scale_in_eval(X, p, mode, u):
    if mode != "train":
        return X / (1 - p)
    return X * (u >= p)


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (_p_as_keep, "p taken as the keep probability"),
        (_scale_in_eval, "the scale in eval mode instead of train"),
    ],
)
def test_dropout_mixups_are_named_without_an_optimizers_words(answer, name):
    for suite in SUITES:
        message = feedback("ch10_dropout_forward", answer, suite)
        assert named(message)[:1] == [name], message
        assert "step" not in message.lower()


def test_a_float32_initializer_is_told_about_numpys_default_dtype():
    def xavier_uniform(fan_in, fan_out, rng):
        a = math.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-a, a, (fan_in, fan_out)).astype(np.float32)

    message = feedback("ch07_xavier_uniform", xavier_uniform)
    assert "numpy's default np.float64" in message and "inputs' dtype" not in message


def test_averaging_one_row_returns_a_new_array():
    def polyak_average(iterates, start):
        if start == len(iterates) - 1:
            return iterates[-1]
        return iterates[start:].mean(axis=0)

    check("ch14_polyak_average", polyak_average)  # the visible suite has no single row
    message = feedback("ch14_polyak_average", polyak_average, "hidden")
    assert "a view of) its input array" in message
