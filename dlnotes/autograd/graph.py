"""The computational graph: nodes, gradient mode, and the reverse sweep.

Every tensor made by an operation on tensors that require gradients remembers the :class:`Node`
that made it. A node holds the operation's name, its input tensors, the arrays the operation
saved for its backward rule, and the rule itself, a *vector-Jacobian product* (VJP)::

    vjp(grad_out, saved) -> (grad_input_0, grad_input_1, ...)

which maps ``dL/d(output)`` to ``dL/d(input_k) = J_k^T grad_out`` for each input. The reverse
sweep (:func:`backward`) visits the nodes in reverse topological order, so a node runs only after
every node that consumed its output has added its contribution (the multivariate chain rule sums
over all paths: ``dL/dx = sum_k J_k^T dL/dy_k``).

After a sweep the saved arrays are freed (``node.saved = None``) unless ``retain_graph=True``:
that is what lets a framework release the activations of a batch as soon as its gradient is
known. A second sweep through a freed node raises a clear ``RuntimeError``.

A node also remembers the :attr:`~dlnotes.autograd.tensor.Tensor.version` of every input (and
output) whose value it saved; if one was assigned since (``W.value -= lr * W.grad`` before
``backward()``), the saved array no longer holds what the forward pass used, and
:meth:`Node.apply` raises a ``RuntimeError`` naming the operation instead of returning a wrong
gradient (as torch's version counters do).

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

import contextlib
import contextvars
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dlnotes.autograd.tensor import Tensor

__all__ = [
    "VJP",
    "Node",
    "backward",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "saved_bytes",
    "topological_order",
]

#: A backward rule: ``(grad_out, saved) -> one gradient (or None) per input``.
VJP = Callable[[np.ndarray, tuple[Any, ...]], tuple[np.ndarray | None, ...]]

_grad_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "dlnotes_autograd_grad_enabled", default=True
)


def is_grad_enabled() -> bool:
    """True unless inside :func:`no_grad` (operations then record no graph).

    Defined in chapter 15 (From numpy to a framework).
    """
    return _grad_enabled.get()


@contextlib.contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    """Record the graph (``enabled``) or not inside the block; restore the previous mode on exit,
    also after an exception."""
    token = _grad_enabled.set(enabled)
    try:
        yield
    finally:
        _grad_enabled.reset(token)


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: operations inside record no graph (as ``torch.no_grad()``).

    Use it for evaluation and for optimizer updates, which must not become part of the next
    step's graph. The previous mode is restored on exit, also after an exception.

    Defined in chapter 15 (From numpy to a framework).
    """
    return _grad_mode(False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: record the graph again inside a :func:`no_grad` block.

    Defined in chapter 15 (From numpy to a framework).
    """
    return _grad_mode(True)


class Node:
    """The operation that produced a tensor: ``op`` name, ``inputs``, ``saved`` arrays, ``vjp``.

    ``saved`` becomes None when a sweep frees the graph; :meth:`apply` then raises.
    ``versions[k]`` is the version of ``inputs[k]`` when the node was recorded if its value is
    among ``saved`` (else None); :meth:`watch_output` adds the output's.

    Defined in chapter 15 (From numpy to a framework).
    """

    __slots__ = ("inputs", "op", "output", "saved", "versions", "vjp")

    def __init__(
        self, op: str, inputs: tuple[Tensor, ...], vjp: VJP, saved: tuple[Any, ...]
    ) -> None:
        self.op = op
        self.inputs = inputs
        self.vjp = vjp
        self.saved: tuple[Any, ...] | None = saved
        self.versions: tuple[int | None, ...] = tuple(
            t.version if any(item is t.value for item in saved) else None for t in inputs
        )
        # (a weak reference to the output, its version) when the output's value is saved: a
        # strong one would make the output and its node a reference cycle
        self.output: tuple[weakref.ref[Tensor], int] | None = None

    def watch_output(self, out: Tensor) -> None:
        """Record the version of the output ``out``, whose value this node saved."""
        self.output = (weakref.ref(out), out.version)

    def check_unchanged(self) -> None:
        """Raise ``RuntimeError`` if a tensor whose value this node saved was assigned since."""
        for k, (t, version) in enumerate(zip(self.inputs, self.versions)):
            if version is not None and t.version != version:
                raise RuntimeError(self._changed_message(f"input {k}", t, version))
        if self.output is not None:
            ref, version = self.output
            out = ref()
            if out is not None and out.version != version:
                raise RuntimeError(self._changed_message("output", out, version))

    def _changed_message(self, which: str, t: Tensor, version: int) -> str:
        label = f" {t.name!r}" if t.name else ""
        return (
            f"backward through the '{self.op}' node: its {which}{label} (shape {t.shape}) was "
            f"changed in place after the forward pass (its value was assigned: version "
            f"{t.version} now, {version} when the node was recorded), so the array the node "
            "saved no longer holds the value the forward pass used and the gradient would be "
            "wrong. Call backward() before changing it (update parameters after "
            "loss.backward()), or run the forward pass again after the change."
        )

    def apply(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """``dL/d(inputs)`` from ``grad = dL/d(output)``; raises if the graph was freed or a
        saved value was changed in place since the forward pass (:meth:`check_unchanged`)."""
        if self.saved is None:
            raise RuntimeError(
                f"backward through the '{self.op}' node a second time: its saved arrays were "
                "freed by the first backward(). Call backward(retain_graph=True) the first time "
                "if you need to backpropagate through the same graph twice, or run the forward "
                "pass again."
            )
        self.check_unchanged()
        return self.vjp(grad, self.saved)

    def __repr__(self) -> str:
        return f"Node({self.op!r}, inputs={len(self.inputs)})"


def _check_root(where: str, root: Any) -> None:
    from dlnotes.autograd.tensor import Tensor as _Tensor  # tensor.py imports this module

    if not isinstance(root, _Tensor):
        raise TypeError(
            f"{where}: root must be a Tensor (the result of operations on tensors, e.g. the "
            f"loss), got {type(root).__name__}"
        )


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on through recorded nodes, inputs before outputs.

    Iterative depth-first search (no recursion limit on deep graphs); ``root`` comes last.

    Defined in chapter 15 (From numpy to a framework).
    """
    _check_root("topological_order", root)
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.node is not None:
            for parent in tensor.node.inputs:
                if id(parent) not in visited and parent.requires_grad:
                    stack.append((parent, False))
    return order


def backward(root: Tensor, grad: np.ndarray, *, retain_graph: bool = False) -> None:
    """Reverse sweep from ``root`` seeded with ``grad = dL/d(root)``.

    Leaves (tensors made by the user with ``requires_grad=True``) *accumulate* into ``.grad``
    (as in torch: zero them between steps); intermediate tensors keep their gradient only after
    ``retain_grad()``. Frees every visited node's saved arrays unless ``retain_graph``.

    Defined in chapter 15 (From numpy to a framework).
    """
    order = topological_order(root)
    grads: dict[int, np.ndarray] = {id(root): grad}
    for tensor in reversed(order):
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        node = tensor.node
        if node is None or tensor.retains_grad:
            tensor.grad = g.copy() if tensor.grad is None else tensor.grad + g
        if node is None:
            continue
        input_grads = node.apply(g)
        if not retain_graph:
            node.saved = None
        for parent, pg in zip(node.inputs, input_grads):
            if pg is None or not parent.requires_grad:
                continue
            key = id(parent)
            grads[key] = pg if key not in grads else grads[key] + pg


def saved_bytes(root: Tensor) -> int:
    """Bytes of the arrays the graph behind ``root`` keeps for its backward pass.

    Each distinct array is counted once (two nodes may save the same activation), and the values
    of leaves (parameters, inputs) are not counted: they exist anyway. This is the memory reverse
    mode pays for: it grows with the depth and the batch size.

    Defined in chapter 15 (From numpy to a framework).
    """
    _check_root("saved_bytes", root)
    order = topological_order(root)
    # Leaf values (parameters, inputs) exist with or without a graph: count only what the graph
    # adds, the intermediate results it keeps alive.
    seen: set[int] = {
        id(x.value)
        for t in order
        for x in (t.node.inputs if t.node is not None else (t,))
        if x.node is None
    }
    total = 0
    for tensor in order:
        node = tensor.node
        if node is None or node.saved is None:
            continue
        for item in node.saved:
            if isinstance(item, np.ndarray) and id(item) not in seen:
                seen.add(id(item))
                total += item.nbytes
    return total
