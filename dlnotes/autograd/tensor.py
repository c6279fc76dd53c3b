"""``Tensor``: a numpy array that remembers how it was computed, so it can be differentiated.

::

    w = Tensor(np.array(0.0), requires_grad=True)
    J = w * w - 10 * w + 25          # records the graph: mul, mul, sub, add
    J.backward()                      # reverse sweep: w.grad = dJ/dw = 2w - 10 = -10

A tensor holds

* ``value``: the numpy array (float32 or float64; integer and boolean arrays are refused, so a
  gradient always has the value's floating dtype);
* ``requires_grad``: whether gradients flow to it (set it on parameters, the *leaves*);
* ``node``: the :class:`~dlnotes.autograd.graph.Node` that made it (None for leaves);
* ``grad``: ``dL/d(value)`` after :meth:`Tensor.backward`, same shape and dtype as ``value``;
* ``version``: how many times ``value`` was assigned (see below).

**In-place changes.** An operation that saves an input's value for its backward rule (``mul``
saves both factors, ``matmul`` both matrices) records that input's ``version``; ``exp``,
``tanh`` and ``sigmoid`` record their output's. If the version has changed when
:meth:`Tensor.backward` reaches the operation, the saved array no longer holds the value the
forward pass used, so the gradient would be silently wrong: backward raises a ``RuntimeError``
naming the operation instead (torch: "one of the variables needed for gradient computation has
been modified by an inplace operation"). Every assignment to ``value`` counts, including
``W.value -= lr * W.grad`` (an augmented assignment assigns the updated array back). Update
parameters *after* ``backward()``, then run the next forward pass. A tensor and its
:meth:`~Tensor.detach` share one version counter (they share the array).

Limit: numpy arrays have no version counter, so writes that do not assign ``value`` are not
seen: ``W.value[0] = 5``, ``np.add(W.value, 1, out=W.value)``, or an optimizer updating the
arrays that :func:`~dlnotes.autograd.nn.parameters_of` shares with a model. Do those only
between a ``backward()`` and the next forward pass.

The arithmetic operators and methods call the operations of :mod:`dlnotes.autograd.ops`,
:mod:`dlnotes.autograd.reductions`, :mod:`dlnotes.autograd.linalg` and
:mod:`dlnotes.autograd.shape`. Python numbers combine with a tensor in the tensor's dtype;
combining a float32 tensor with a float64 tensor is an error (say which precision you mean).

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes.autograd import graph
from dlnotes.autograd.graph import VJP, Node

__all__ = ["Tensor", "as_tensor", "check_same_dtype", "record"]


def _as_value(value: Any, name: str = "value") -> np.ndarray:
    if isinstance(value, Tensor):
        raise TypeError(f"{name} must be a numpy array or a number, got a Tensor (use .value)")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a floating-point array or number, got a bool")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        arr = np.asarray(value, dtype=np.float64 if not hasattr(value, "dtype") else None)
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float64)
        return arr
    arr = np.asarray(value)
    if arr.dtype.kind != "f" or arr.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {arr.dtype} "
            "(convert first, e.g. X.astype(np.float64); labels stay integer numpy arrays)"
        )
    return arr


class Tensor:
    """A value, its gradient and the operation that made it.

    Parameters
    ----------
    value : ndarray or float
        float32/float64 array (kept as is, not copied) or a Python number (float64).
    requires_grad : bool
        Whether :meth:`backward` computes ``dL/d(value)`` for this tensor.
    name : str, optional
        A label for graph drawings and error messages.

    Defined in chapter 15 (From numpy to a framework).
    """

    __array_priority__ = 1000  # ndarray + Tensor calls Tensor.__radd__

    def __init__(self, value: Any, requires_grad: bool = False, name: str | None = None) -> None:
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
        self._value: np.ndarray = _as_value(value)
        self._versions = [0]  # a one-entry list: shared with detach()'s tensor
        self.requires_grad = requires_grad
        self.grad: np.ndarray | None = None
        self.node: Node | None = None
        self.name = name
        self.retains_grad = False

    # -- properties --------------------------------------------------------------------------
    @property
    def value(self) -> np.ndarray:
        """The numpy array (float32 or float64). Assigning it, also as ``t.value -= ...``,
        increments :attr:`version`: graphs recorded before can then no longer be
        differentiated through an operation that saved it (see the module docstring)."""
        return self._value

    @value.setter
    def value(self, new: Any) -> None:
        self._value = _as_value(new)
        self._versions[0] += 1

    @property
    def version(self) -> int:
        """How many times :attr:`value` was assigned (0 for a new tensor)."""
        return self._versions[0]

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's shape."""
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        """The value's dtype (float32 or float64)."""
        return self.value.dtype

    @property
    def ndim(self) -> int:
        """The value's number of axes."""
        return self.value.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (no recorded operation)."""
        return self.node is None

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.value.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return float(self.value.reshape(()))

    def numpy(self) -> np.ndarray:
        """The value (the array itself, not a copy)."""
        return self.value

    def detach(self) -> Tensor:
        """The same value as a new leaf that records nothing (gradients stop here).

        It shares the array and the version counter: assigning its ``value`` counts as a change
        of this tensor's value too."""
        out = Tensor(self._value)
        out._versions = self._versions
        return out

    def retain_grad(self) -> Tensor:
        """Keep ``grad`` on this intermediate tensor after :meth:`backward` (leaves always do)."""
        self.retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad = None``)."""
        self.grad = None

    # -- the reverse sweep ---------------------------------------------------------------------
    def backward(self, grad: Any = None, *, retain_graph: bool = False) -> None:
        """Compute ``dL/dx`` for every leaf ``x`` this tensor depends on (``L`` = this tensor).

        ``grad`` is the seed ``dL/d(self)``: it may be omitted only for a one-element tensor
        (the seed is then 1). Leaf gradients *accumulate* in ``.grad``. The graph's saved arrays
        are freed afterwards unless ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input had "
                "requires_grad=True (or it was computed inside no_grad())"
            )
        if grad is None:
            if self.value.size != 1:
                raise RuntimeError(
                    f"backward() of a non-scalar tensor of shape {self.shape} needs a seed "
                    "gradient of the same shape (grad=...): which scalar are you "
                    "differentiating? Reduce it first, e.g. loss = out.sum()"
                )
            seed = np.ones(self.shape, dtype=self.dtype)
        else:
            seed = _as_value(grad.value if isinstance(grad, Tensor) else grad, "grad")
            if seed.shape != self.shape:
                raise ValueError(
                    f"grad must have the shape of the tensor, {self.shape}, got {seed.shape}"
                )
            if seed.dtype != self.dtype:
                raise TypeError(f"grad must have dtype {self.dtype}, got {seed.dtype}")
        graph.backward(self, seed, retain_graph=retain_graph)

    # -- operators (the operations live in their own modules) ----------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pow__(self, exponent: float) -> Tensor:
        return ops.power(self, exponent)

    def __matmul__(self, other: Any) -> Tensor:
        return linalg.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return linalg.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return shape_ops.getitem(self, index)

    # -- methods -------------------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default); see :func:`dlnotes.autograd.reductions.sum`."""
        return reductions.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``; see :func:`dlnotes.autograd.reductions.mean`."""
        return reductions.mean(self, axis=axis, keepdims=keepdims)

    def exp(self) -> Tensor:
        """Elementwise ``e^x``."""
        return ops.exp(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return ops.log(self)

    def relu(self) -> Tensor:
        """Elementwise ``max(x, 0)``."""
        return ops.relu(self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic function."""
        return ops.sigmoid(self)

    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in a new shape; see :func:`dlnotes.autograd.shape.reshape`."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return shape_ops.reshape(self, shape)

    @property
    def T(self) -> Tensor:
        """The transpose of a 2-D tensor."""
        return linalg.transpose(self)

    def __repr__(self) -> str:
        extra = ""
        if self.node is not None:
            extra = f", op={self.node.op!r}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        label = f", name={self.name!r}" if self.name else ""
        body = np.array2string(self.value, precision=4, threshold=20)
        return f"Tensor({body}, dtype={self.dtype}{extra}{label})"


def as_tensor(x: Any, like: Tensor | None = None, name: str = "input") -> Tensor:
    """``x`` itself if it is a Tensor, else a constant tensor (Python numbers take ``like``'s
    dtype; numpy arrays must already be float32/float64).

    Defined in chapter 15 (From numpy to a framework).
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_)):
        dtype = like.dtype if like is not None else np.float64
        return Tensor(np.asarray(x, dtype=dtype))
    if isinstance(x, np.ndarray) or isinstance(x, (list, tuple)):
        return Tensor(_as_value(x, name))
    raise TypeError(f"{name} must be a Tensor, a numpy array or a number, got {type(x).__name__}")


def check_same_dtype(op: str, *tensors: Tensor) -> None:
    """Refuse to mix float32 and float64 tensors in one operation (names both dtypes).

    Defined in chapter 15 (From numpy to a framework).
    """
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        raise TypeError(
            f"{op}: inputs have different dtypes {sorted(map(str, dtypes))}; convert one "
            "(e.g. Tensor(x.value.astype(np.float64))) so the precision is explicit"
        )


def record(
    op: str, value: np.ndarray, inputs: tuple[Tensor, ...], vjp: VJP, saved: tuple[Any, ...] = ()
) -> Tensor:
    """Wrap an operation's result: attach a :class:`Node` when gradients must flow through it.

    No node is recorded inside :func:`~dlnotes.autograd.graph.no_grad` or when no input
    requires a gradient (then nothing is saved either). The node records the :attr:`Tensor.version`
    of every input whose ``value`` is among ``saved``, and of the output when ``value`` itself is
    saved, so that backward refuses to use them after an in-place change.

    Defined in chapter 15 (From numpy to a framework).
    """
    out = Tensor(value)
    if graph.is_grad_enabled() and any(t.requires_grad for t in inputs):
        out.requires_grad = True
        out.node = Node(op, inputs, vjp, saved)
        if any(item is value for item in saved):
            out.node.watch_output(out)
    return out


# The operations import Tensor, so they are imported once it is defined (and the methods above
# look them up when they are called).
from dlnotes.autograd import linalg, ops, reductions  # noqa: E402
from dlnotes.autograd import shape as shape_ops  # noqa: E402
