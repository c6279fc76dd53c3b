"""Softmax cross-entropy as one fused, numerically stable operation.

For logits ``Z (N, C)`` and integer labels ``y (N,)``::

    L = (1/N) sum_n [ logsumexp(Z[n]) - Z[n, y_n] ]        dL/dZ = (softmax(Z) - onehot(y)) / N

Composing it from ``exp``, ``sum``, ``log`` and indexing gives the same gradient but overflows
for large logits (``e^{1000}``); frameworks fuse it (``F.cross_entropy``) and so do we: the
forward pass subtracts each row's maximum and the backward rule is the closed form above.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes.autograd.tensor import Tensor, as_tensor, record

__all__ = ["softmax_cross_entropy"]


def softmax_cross_entropy(logits: Tensor, y: np.ndarray) -> Tensor:
    """Mean cross-entropy of ``softmax(logits)`` against integer labels ``y``; a scalar tensor.

    ``logits (N, C)``, ``y (N,)`` integers in ``[0, C)`` (a numpy array, not a tensor: labels
    get no gradient). Equals ``torch.nn.functional.cross_entropy(logits, y)``.

    Defined in chapter 15 (From numpy to a framework).
    """
    z = as_tensor(logits, None, "logits")
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"logits must have shape (N, C) with N >= 1, got {z.shape}")
    N, C = z.shape
    labels = np.asarray(y)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, got dtype {labels.dtype}")
    if labels.shape != (N,):
        raise ValueError(f"y must have shape ({N},) to match logits {z.shape}, got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= C):
        raise ValueError(
            f"y must hold labels in [0, {C}), got values in [{labels.min()}, {labels.max()}]"
        )
    shifted = z.value - z.value.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(N)
    loss = (np.log(total[:, 0]) - shifted[rows, labels]).mean()
    probs = exp / total

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        p, lab = saved
        dz = p.copy()
        dz[np.arange(len(lab)), lab] -= 1
        dz *= g / len(lab)
        return (dz,)

    return record("cross_entropy", np.asarray(loss, dtype=z.dtype), (z,), vjp, (probs, labels))
