"""Chapters 09, 12 and 14: the case gaps of issue 17 (item 4), each closed by a visible case
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


def test_freeze_that_empties_the_frozen_layers_is_named():
    def freeze(model, n_frozen):
        first = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)][n_frozen]
        for layer in model.layers[:first]:
            layer.params = []  # "frozen": the optimizer cannot see them any more
        return [p for layer in model.layers[first:] for p in layer.params]

    assert named("ch12_freeze", freeze) == ["emptied the frozen layers' parameter lists"]


def test_ensemble_softmax_without_the_max_shift_is_named():
    def ensemble_predict(logit_list):
        total = 0
        for z in logit_list:
            e = np.exp(z)
            total = total + e / e.sum(axis=1, keepdims=True)
        return np.argmax(total / len(logit_list), axis=1)

    with np.errstate(over="ignore", invalid="ignore"):
        assert named("ch14_ensemble_predict", ensemble_predict) == ["softmax without the max shift"]
