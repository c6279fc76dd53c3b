"""Correct-but-different answers to chapter 12's exercises: each must pass both suites."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlnotes.layers import Linear

# --------------------------------------------------------------------------------------------
# ch12_freeze
# --------------------------------------------------------------------------------------------


def freeze_counting(model, n_frozen):
    """One pass over the layers, counting the Linear layers seen so far."""
    trainable = []
    seen = 0
    for layer in model.layers:
        if isinstance(layer, Linear):
            seen += 1
        if seen > n_frozen:
            trainable.extend(layer.params)
    return trainable


def freeze_from_the_head(net, k):
    """Renamed parameters; walk back from the head until the trainable Linear layers are found."""
    layers = list(net.layers)
    to_train = sum(isinstance(layer, Linear) for layer in layers) - k
    start = len(layers)
    while to_train > 0:
        start -= 1
        if isinstance(layers[start], Linear):
            to_train -= 1
    return [p for layer in layers[start:] for p in layer.params]


def freeze_by_name(model, n_frozen):
    """The first trainable layer found by its class name, its params gathered with extend (none
    when every Linear layer is frozen)."""
    linear_at = [i for i, layer in enumerate(model.layers) if type(layer).__name__ == "Linear"]
    if n_frozen == len(linear_at):
        return []
    out: list[np.ndarray] = []
    for layer in model.layers[linear_at[n_frozen] :]:
        out += layer.params
    return out


# --------------------------------------------------------------------------------------------
# ch12_finetune_lrs
# --------------------------------------------------------------------------------------------


def finetune_lrs_down_from_head(base_lr, n_layers, factor):
    """Start at the head with base_lr, multiply by factor going down, then reverse."""
    rates = []
    lr = base_lr
    for _ in range(n_layers):
        rates.append(lr)
        lr *= factor
    return rates[::-1]


def finetune_lrs_numpy(lr, n, decay):
    """Renamed parameters; numpy powers, turned into a list of Python floats."""
    return (lr * decay ** np.arange(n - 1, -1, -1)).tolist()


def finetune_lrs_from_one(base_lr, n_layers, factor):
    """Layers numbered 1..n, with the exponent written for that numbering (n − k)."""
    return [base_lr * factor ** (n_layers - k) for k in range(1, n_layers + 1)]


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch12_freeze": [freeze_counting, freeze_from_the_head, freeze_by_name],
    "ch12_finetune_lrs": [
        finetune_lrs_down_from_head,
        finetune_lrs_numpy,
        finetune_lrs_from_one,
    ],
}
