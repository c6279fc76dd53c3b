"""Chapters 09, 11, 12 and 14: the case gaps of issue 17 (item 4), each closed by a visible case
that separates the mistake, with the wrong answer written out as a learner would."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check
from dlnotes.layers import Linear


def named(name, answer):
    """The mistake names in check's verdict on ``answer`` (visible suite), which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value))


def test_early_stopping_patience_counted_against_the_previous_epoch_is_named():
    def early_stopping_epoch(dev_losses, patience):
        best, best_epoch, wait = math.inf, 0, 0
        for epoch in range(1, len(dev_losses) + 1):
            loss = dev_losses[epoch - 1]
            if loss < best:
                best, best_epoch = loss, epoch
            if epoch > 1 and loss < dev_losses[epoch - 2]:
                wait = 0
            else:
                wait += epoch > 1
                if wait >= patience:
                    return epoch, best_epoch
        return len(dev_losses), best_epoch

    assert named("ch09_early_stopping_epoch", early_stopping_epoch) == [
        "improvement measured against the previous epoch"
    ]


def test_running_variance_with_bessels_factor_upside_down_is_named():
    def update_running_stats(running_mean, running_var, batch_mean, batch_var, n, momentum):
        unbiased = batch_var * (n - 1) / n
        new_mean = (1 - momentum) * running_mean + momentum * batch_mean
        return new_mean, (1 - momentum) * running_var + momentum * unbiased

    assert named("ch11_update_running_stats", update_running_stats) == [
        "Bessel's factor upside down"
    ]


def test_running_stats_without_the_one_minus_momentum_factor_are_named():
    def update_running_stats(running_mean, running_var, batch_mean, batch_var, n, momentum):
        mean = running_mean.copy()
        mean += momentum * batch_mean
        var = running_var.copy()
        var += momentum * batch_var * n / (n - 1)
        return mean, var

    assert named("ch11_update_running_stats", update_running_stats) == [
        "forgot the (1 − momentum) factor"
    ]


def test_running_variance_computed_but_not_returned_is_named():
    def update_running_stats(running_mean, running_var, batch_mean, batch_var, n, momentum):
        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        new_var = (1 - momentum) * running_var + momentum * batch_var * n / (n - 1)  # noqa: F841
        return running_mean, running_var  # meant new_var

    assert named("ch11_update_running_stats", update_running_stats) == [
        "the running variance returned as it was"
    ]


def test_freeze_that_empties_the_frozen_layers_is_named():
    def freeze(model, n_frozen):
        # (the end of the model when every Linear layer is frozen: nothing left to train)
        lin = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
        first = [*lin, len(model.layers)][n_frozen]
        for layer in model.layers[:first]:
            layer.params = []  # "frozen": the optimizer cannot see them any more
        return [p for layer in model.layers[first:] for p in layer.params]

    assert named("ch12_freeze", freeze) == ["took the frozen layers' weights out of the model"]


def test_freeze_that_drops_the_frozen_layers_from_the_model_gets_the_same_name():
    """A learner replaced model.layers by its trainable tail: the model loses the same weights,
    and the name (it said "emptied ... parameter lists", which they had not) covers both."""

    def freeze(model, n_frozen):
        lin = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
        model.layers = model.layers[[*lin, len(model.layers)][n_frozen] :]
        return [p for layer in model.layers for p in layer.params]

    assert named("ch12_freeze", freeze) == ["took the frozen layers' weights out of the model"]


def test_finetune_lrs_with_one_rate_for_the_whole_body_is_named():
    def finetune_lrs(base_lr, n_layers, factor):
        body = [base_lr * factor for _ in range(n_layers - 1)]  # "body at lr/10"
        body.append(base_lr)  # the head
        return body

    assert named("ch12_finetune_lrs", finetune_lrs) == ["one rate for the whole body"]


def test_finetune_lrs_with_the_exponent_unparenthesized_is_named():
    def finetune_lrs(base_lr, n_layers, factor):
        rates = []
        for k in range(n_layers):
            rates.append(base_lr * factor**n_layers - 1 - k)
        return rates

    assert named("ch12_finetune_lrs", finetune_lrs) == ["exponent without parentheses"]


def test_finetune_lrs_with_layers_numbered_from_one_is_named():
    def finetune_lrs(base_lr, n_layers, factor):
        rates = []
        for layer in range(1, n_layers + 1):  # layer 1 is the first
            rates.append(base_lr * factor ** (n_layers - 1 - layer))
        return rates

    assert named("ch12_finetune_lrs", finetune_lrs) == ["layers numbered from 1"]


def test_ensemble_softmax_without_the_max_shift_is_named():
    def ensemble_predict(logit_list):
        total = 0
        for z in logit_list:
            e = np.exp(z)
            total = total + e / e.sum(axis=1, keepdims=True)
        return np.argmax(total / len(logit_list), axis=1)

    with np.errstate(over="ignore", invalid="ignore"):
        assert named("ch14_ensemble_predict", ensemble_predict) == ["softmax without the max shift"]
