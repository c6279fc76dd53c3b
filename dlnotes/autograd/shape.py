"""Reshaping and indexing, and their backward rules.

Neither changes a number, only where it sits: a reshape's gradient is the upstream gradient
reshaped back, and an index ``z = x[idx]``'s gradient scatters ``g`` into a zero array of
``x``'s shape, *adding* where an entry was picked more than once (``np.add.at``), since a
value used twice receives both gradients.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes.autograd.tensor import Tensor, as_tensor, record

__all__ = ["getitem", "reshape"]


def reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The entries of ``x`` in a new ``shape`` (one ``-1`` allowed); ``dx = g.reshape(x.shape)``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    try:
        value = a.value.reshape(shape)
    except (ValueError, TypeError):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {a.shape} ({a.value.size} entries) "
            f"into shape {tuple(shape)}"
        ) from None

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (g.reshape(a.shape),)

    return record("reshape", value, (a,), vjp)


def getitem(x: Tensor, index: Any) -> Tensor:
    """``z = x[index]`` (numpy basic or integer-array indexing); ``dx`` scatters ``g`` back,
    summing repeated positions.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    if isinstance(index, Tensor):
        raise TypeError("index must be ints, slices or integer numpy arrays, got a Tensor")
    try:
        value = a.value[index]
    except IndexError as err:
        raise IndexError(
            f"index {index!r} is invalid for a tensor of shape {a.shape}: {err}"
        ) from None
    value = np.array(value, dtype=a.dtype, copy=True)  # a copy: never a view of the input

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        dx = np.zeros(a.shape, dtype=g.dtype)
        np.add.at(dx, index, g)
        return (dx,)

    return record("getitem", value, (a,), vjp)
