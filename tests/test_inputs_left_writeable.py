"""An answer that makes its input arrays read-only changes what the caller holds: ``check``
says so, though every value is unchanged (a "frozen" parameter can no longer be trained)."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.exercises import check
from dlnotes.exercises.core import CheckFailed
from dlnotes.layers import Linear


def freeze_by_flags(model, n_frozen):
    """Chapter 12's freeze, written by a learner who takes "freeze" literally: the right list,
    and the frozen arrays made read-only in the caller's model."""
    linears = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    start = linears[n_frozen] if n_frozen < len(linears) else len(model.layers)
    trainable = []
    for i, layer in enumerate(model.layers):
        for p in layer.params:
            if i < start:
                p.flags.writeable = False
            else:
                trainable.append(p)
    return trainable


def freeze_honest(model, n_frozen):
    linears = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    start = linears[n_frozen] if n_frozen < len(linears) else len(model.layers)
    return [p for layer in model.layers[start:] for p in layer.params]


def l1_prox_locking_w(w, g, lr, lam):
    z = w - lr * g
    w.flags.writeable = False
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_freeze_that_makes_the_models_arrays_read_only_fails(suite):
    with pytest.raises(CheckFailed) as caught:
        check("ch12_freeze", freeze_by_flags, suite=suite)
    message = str(caught.value)
    assert "read-only" in message and "flags.writeable" in message
    assert "optimizer" in message


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_the_same_freeze_without_the_flags_passes(suite):
    check("ch12_freeze", freeze_honest, suite=suite)


def test_an_array_answer_that_locks_its_input_fails():
    with pytest.raises(CheckFailed, match=r"made arrays of its input w read-only"):
        check("ch09_l1_prox_step", l1_prox_locking_w)
