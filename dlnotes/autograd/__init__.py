"""``dlnotes.autograd``: reverse-mode automatic differentiation over numpy, in a few hundred lines.

::

    from dlnotes.autograd import Tensor, no_grad
    W = Tensor(W0, requires_grad=True)
    loss = softmax_cross_entropy(relu(X @ W), y)
    loss.backward()          # W.grad = dL/dW, by the chain rule applied in reverse order
    with no_grad():
        W.value -= lr * W.grad

============================  ====================================================
module                        holds
============================  ====================================================
:mod:`~.graph`                nodes, ``no_grad``, the reverse sweep, saved memory
:mod:`~.tensor`               :class:`Tensor` and how operations record themselves
:mod:`~.ops`                  elementwise operations, broadcasting in gradients
:mod:`~.reductions`           ``sum``, ``mean``, ``logsumexp``
:mod:`~.linalg`               ``matmul``, ``transpose``
:mod:`~.shape`                ``reshape``, indexing
:mod:`~.losses`               fused, stable softmax cross-entropy
:mod:`~.nn`                   the course's layers composed from the operations
:mod:`~.checkpoint`           recomputation instead of storage
============================  ====================================================

numpy only: this package never imports torch.

Defined in chapter 15 (From numpy to a framework).
"""

from dlnotes.autograd.checkpoint import checkpoint
from dlnotes.autograd.graph import (
    Node,
    enable_grad,
    is_grad_enabled,
    no_grad,
    saved_bytes,
    topological_order,
)
from dlnotes.autograd.linalg import matmul, transpose
from dlnotes.autograd.losses import softmax_cross_entropy
from dlnotes.autograd.nn import batch_norm, dropout, linear, parameters_of, sequential_forward
from dlnotes.autograd.ops import (
    add,
    div,
    exp,
    log,
    mul,
    neg,
    power,
    relu,
    sigmoid,
    sub,
    tanh,
    unbroadcast,
)
from dlnotes.autograd.reductions import logsumexp, mean
from dlnotes.autograd.reductions import sum as sum
from dlnotes.autograd.shape import getitem, reshape
from dlnotes.autograd.tensor import Tensor, as_tensor

__all__ = [
    "Node",
    "Tensor",
    "add",
    "as_tensor",
    "batch_norm",
    "checkpoint",
    "div",
    "dropout",
    "enable_grad",
    "exp",
    "getitem",
    "is_grad_enabled",
    "linear",
    "log",
    "logsumexp",
    "matmul",
    "mean",
    "mul",
    "neg",
    "no_grad",
    "parameters_of",
    "power",
    "relu",
    "reshape",
    "saved_bytes",
    "sequential_forward",
    "sigmoid",
    "softmax_cross_entropy",
    "sub",
    "sum",
    "tanh",
    "topological_order",
    "transpose",
    "unbroadcast",
]
