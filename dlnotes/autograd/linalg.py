"""Matrix product and transpose, and their backward rules.

For ``Z = X @ W`` with ``X (N, D)`` and ``W (D, M)``, each ``Z[n, m] = sum_d X[n, d] W[d, m]``,
so ``dL/dX[n, d] = sum_m G[n, m] W[d, m]`` and ``dL/dW[d, m] = sum_n X[n, d] G[n, m]``::

    dX = G @ W.T     (N, D)          dW = X.T @ G     (D, M)

the same two products as :func:`dlnotes.layers.linear_backward`: autograd composes the rules
the earlier chapters derived by hand.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes.autograd.tensor import Tensor, as_tensor, check_same_dtype, record

__all__ = ["matmul", "transpose"]


def matmul(x: Any, w: Any) -> Tensor:
    """``Z = X @ W`` for 2-D ``X (N, D)`` and ``W (D, M)``; ``dX = G W^T``, ``dW = X^T G``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a, b = as_tensor(x, None, "x"), as_tensor(w, None, "w")
    check_same_dtype("matmul", a, b)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(
            f"matmul: needs 2-D operands (N, D) @ (D, M) with matching inner size, got "
            f"{a.shape} @ {b.shape}"
        )

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
        xv, wv = saved
        dx = g @ wv.T if a.requires_grad else None
        dw = xv.T @ g if b.requires_grad else None
        return dx, dw

    return record("matmul", a.value @ b.value, (a, b), vjp, (a.value, b.value))


def transpose(x: Tensor) -> Tensor:
    """``x.T`` of a 2-D tensor; ``dx = g.T``.

    Defined in chapter 15 (From numpy to a framework).
    """
    a = as_tensor(x)
    if a.ndim != 2:
        raise ValueError(f"transpose: needs a 2-D tensor, got shape {a.shape}")

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray]:
        return (g.T,)

    return record("transpose", a.value.T, (a,), vjp)
