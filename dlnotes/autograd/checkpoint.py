"""Gradient checkpointing: trade memory for a second forward pass (Chen et al. 2016).

Reverse mode keeps every activation of the forward pass until the backward pass has used it.
``checkpoint(fn, x)`` runs ``fn`` *without* recording its graph and keeps only the input ``x``;
when the backward sweep reaches it, it runs ``fn`` again with recording on and backpropagates
through that fresh graph. The saved memory of ``fn``'s inside is paid back in one extra forward
pass of ``fn``. Checkpointing every ``sqrt(L)`` layers of an ``L``-layer chain keeps
``O(sqrt(L))`` activations for about one extra forward pass in total.

``fn`` must compute the same thing twice: no fresh randomness inside (pass dropout masks in),
and side effects such as BatchNorm's running statistics happen twice (keep such layers outside;
torch's ``torch.utils.checkpoint`` recomputes the same way, so its BatchNorm layers update their
running statistics twice too). For the same reason the parameters ``fn`` uses must not change
between the forward pass and ``backward()``: the recomputation would use the new values, and
nothing records the old ones to compare (the graph inside ``fn`` is not kept; that is the
point). A change of ``x``'s value is refused, as for any operation (see
:class:`~dlnotes.autograd.tensor.Tensor`).

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes.autograd.graph import enable_grad, no_grad
from dlnotes.autograd.tensor import Tensor, record

__all__ = ["checkpoint"]


def checkpoint(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``fn(x)`` whose inner activations are recomputed during backward instead of saved.

    Parameters used inside ``fn`` (closed over, e.g. a layer's ``W``) are leaves and receive
    their gradients when the recomputed graph is swept. Only ``x``'s value is saved.

    Defined in chapter 15 (From numpy to a framework).
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function of one Tensor, got {type(fn).__name__}")
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a Tensor, got {type(x).__name__}")
    with no_grad():
        out = fn(x)
    if not isinstance(out, Tensor):
        raise TypeError(f"fn must return a Tensor, got {type(out).__name__}")
    out_value = out.value

    def vjp(g: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray | None]:
        (xv,) = saved
        inner_x = Tensor(xv, requires_grad=True)
        with enable_grad():
            inner_out = fn(inner_x)
            if inner_out.requires_grad:
                inner_out.backward(g)
        return (inner_x.grad,)

    # Recorded even when x is a constant: the parameters inside fn still need their gradients.
    # (a detached copy shares x's array and version counter, so a change of x is still seen)
    marker = x
    if not x.requires_grad:
        marker = x.detach()
        marker.requires_grad = True
    return record("checkpoint", out_value, (marker,), vjp, (x.value,))
