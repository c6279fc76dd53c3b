"""The course's layers written as compositions of autograd operations.

Nothing here has a backward rule of its own: each function is a few lines of forward math and
the engine derives the gradient. Chapter 15 checks that the result equals the hand-written
backward passes of :mod:`dlnotes.layers` to rounding error.

* :func:`linear`: ``X @ W + b`` with ``W`` of shape ``(D_in, D_out)`` (the course's layout).
* :func:`batch_norm`: ``gamma * (X - mu) / sqrt(var + eps) + beta`` with ``mu``, ``var``
  computed by ``mean`` over the batch; the running statistics are updated outside the graph
  (torch's momentum convention, unbiased variance), as :func:`dlnotes.layers.batchnorm_forward`.
* :func:`dropout`: a multiplication by a fixed mask scaled by ``1/(1 - p)`` (inverted dropout).
* :func:`sequential_forward`: a :class:`dlnotes.model.Sequential`'s forward pass in autograd
  operations, reading the layers' parameters through tensors that share their arrays.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dlnotes._validate import NonFiniteInputError, check_bool, check_mask, check_scalar, is_real
from dlnotes.autograd.linalg import matmul
from dlnotes.autograd.ops import relu, sigmoid, tanh
from dlnotes.autograd.tensor import Tensor, as_tensor
from dlnotes.layers import (
    BatchNorm,
    Dropout,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
    update_running_stats_in_place,
)
from dlnotes.layers.normalization import _check_running_stats as _layer_stats_check

__all__ = ["batch_norm", "dropout", "linear", "parameters_of", "sequential_forward"]


def linear(X: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    """``out = X @ W + b``; ``X (N, D)``, ``W (D, M)``, ``b (M,)`` -> ``(N, M)``.

    ``b`` must have shape exactly ``(M,)``, one bias per output as
    :func:`dlnotes.layers.linear_forward` requires: a ``(N, 1)`` or ``(1, M)`` bias would
    broadcast into something else than a per-output bias.

    Defined in chapter 15 (From numpy to a framework).
    """
    out = matmul(X, W)
    if b is None:
        return out
    bias = as_tensor(b, out, "b")
    if bias.shape != (out.shape[1],):
        raise ValueError(
            f"linear: b must have shape ({out.shape[1]},), one bias per output (column of "
            f"W), got {bias.shape}"
        )
    return out + bias


def batch_norm(
    X: Tensor,
    gamma: Tensor,
    beta: Tensor,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    *,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization of ``X (N, D)`` from primitives; ``gamma, beta (D,)``.

    Train mode::

        mu = mean_n X                 var = mean_n (X - mu)^2          (biased)
        out = gamma * (X - mu) * (var + eps)^(-1/2) + beta

    and, outside the graph, ``running <- (1 - momentum) running + momentum * batch_stat`` with
    the unbiased variance ``var * N / (N - 1)`` (torch's convention). Eval mode normalizes with
    the running statistics, which are constants. As in :func:`dlnotes.layers.batchnorm_forward`,
    a train-mode batch holding inf or NaN raises
    :class:`~dlnotes._validate.NonFiniteInputError` before the running statistics (when given)
    are touched. ``eps`` must be a finite real > 0, ``momentum`` in ``[0, 1]`` and ``training``
    True or False.

    The running statistics, when given, must be numpy arrays of shape ``(D,)`` (two separate
    arrays); train mode updates them in place, so they must be float and writeable; eval mode
    needs both, finite, with ``running_var >= 0`` (as :func:`dlnotes.layers.batchnorm_forward`:
    anything else would make every output NaN or broadcast wrongly).

    Defined in chapter 15 (From numpy to a framework).
    """
    eps = check_scalar("batch_norm: eps", eps, low=0.0, low_inclusive=False)
    training = check_bool("batch_norm: training", training)
    check_scalar("batch_norm: momentum", momentum, low=0.0, high=1.0)
    X = as_tensor(X, None, "X")
    if X.ndim != 2:
        raise ValueError(f"batch_norm: X must have shape (N, D), got {X.shape}")
    D = X.shape[1]
    for name, p in (("gamma", gamma), ("beta", beta)):
        if as_tensor(p, X, name).shape != (D,):
            raise ValueError(f"batch_norm: {name} must have shape ({D},), got {p.shape}")
    _check_running_stats(running_mean, running_var, D, training)
    if not training:
        assert running_mean is not None and running_var is not None
        inv_std = (running_var + eps) ** -0.5
        return gamma * ((X - running_mean.astype(X.dtype)) * inv_std.astype(X.dtype)) + beta
    N = X.shape[0]
    if N < 2:
        raise ValueError(
            f"batch_norm: train mode needs at least 2 examples, got X of shape {X.shape}"
        )
    mu = X.mean(axis=0)
    centered = X - mu
    var = (centered * centered).mean(axis=0)
    xhat = centered * (var + eps) ** -0.5
    if running_mean is not None or running_var is not None:
        # O(D): the batch mean and variance are not finite whenever X is not.
        finite = np.isfinite(mu.value) & np.isfinite(var.value)
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise NonFiniteInputError(
                f"batch_norm: the batch X holds inf or NaN (feature {bad} of {D} has batch mean "
                f"{mu.value[bad]} and variance {var.value[bad]}); the running statistics were "
                "left unchanged"
            )
    update_running_stats_in_place(running_mean, running_var, mu.value, var.value, N, momentum)
    return gamma * xhat + beta


def _check_running_stats(running_mean: Any, running_var: Any, D: int, training: bool) -> None:
    """Refuse running statistics :func:`batch_norm` cannot use, as the layer version does
    (:func:`dlnotes.layers.normalization._check_running_stats`)."""
    mode = "train" if training else "eval"
    _layer_stats_check(running_mean, running_var, (D,), mode, where="batch_norm")


def dropout(X: Tensor, p: float, mask: np.ndarray) -> Tensor:
    """Inverted dropout with a given 0/1 ``mask`` of ``X``'s shape: ``out = X * mask / (1 - p)``.

    ``p`` is the drop probability (torch's meaning), a real number in ``[0, 1)``. The mask is a
    constant of the graph, so the gradient is ``g * mask / (1 - p)``: the dropped units get none.

    Defined in chapter 15 (From numpy to a framework).
    """
    X = as_tensor(X, None, "X")
    if not is_real(p):
        raise TypeError(f"dropout: p must be a real number in [0, 1), got {p!r}")
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1), got {p!r}")
    keep = check_mask("mask", np.asarray(mask), X.shape, where="dropout", what="X")
    return X * (keep.astype(X.dtype) / np.asarray(1 - p, dtype=X.dtype))


def parameters_of(model: Any) -> list[Tensor]:
    """Leaf tensors sharing the arrays of ``model.params`` (``requires_grad=True``), in order.

    An optimizer that updates ``model.params`` in place therefore updates the tensors too (do
    it after ``backward()``: such writes do not go through ``Tensor.value``, so they are not
    seen by the check for in-place changes, see :class:`~dlnotes.autograd.tensor.Tensor`).
    ``model`` is a :class:`dlnotes.model.Sequential` (or a layer): anything with ``params`` and
    ``param_names``.

    Defined in chapter 15 (From numpy to a framework).
    """
    if not (hasattr(model, "params") and hasattr(model, "param_names")):
        raise TypeError(
            "parameters_of: model must be a dlnotes Sequential or layer (with params and "
            f"param_names), got {type(model).__name__}"
        )
    return [Tensor(p, requires_grad=True, name=n) for p, n in zip(model.params, model.param_names)]


def sequential_forward(
    model: Any,
    X: np.ndarray | Tensor,
    params: Sequence[Tensor],
    *,
    dropout_masks: Mapping[int, np.ndarray] | None = None,
    update_running: bool = True,
) -> Tensor:
    """A :class:`dlnotes.model.Sequential`'s forward pass as autograd operations.

    ``params`` are tensors aligned with ``model.params`` (see :func:`parameters_of`). Supported
    layers: Linear, BatchNorm, ReLU, Tanh, Sigmoid, Dropout (inverted). In train mode each
    Dropout layer ``i`` uses ``dropout_masks[i]`` (0/1, e.g. from a hand-written pass:
    ``model[i].mask``); BatchNorm updates the layer's running statistics unless
    ``update_running=False``. Returns the logits tensor.

    Defined in chapter 15 (From numpy to a framework).
    """
    update_running = check_bool("update_running", update_running)
    if len(params) != len(model.params):
        raise ValueError(
            f"params must hold one tensor per model parameter: expected {len(model.params)}, "
            f"got {len(params)}"
        )
    for k, (t, p) in enumerate(zip(params, model.params)):
        if not isinstance(t, Tensor) or t.shape != p.shape:
            got = t.shape if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"params[{k}] must be a Tensor of shape {p.shape}, got {got}")
    masks = dict(dropout_masks or {})
    out = X if isinstance(X, Tensor) else Tensor(np.asarray(X, dtype=model.dtype))
    k = 0
    for i, layer in enumerate(model.layers):
        n = len(layer.params)
        ps = list(params[k : k + n])
        k += n
        if isinstance(layer, Linear):
            out = linear(out, ps[0], ps[1] if n > 1 else None)
        elif isinstance(layer, BatchNorm):
            running = layer.buffers if update_running or not layer.training else None
            out = batch_norm(
                out,
                ps[0],
                ps[1],
                None if running is None else running["running_mean"],
                None if running is None else running["running_var"],
                training=layer.training,
                momentum=layer.momentum,
                eps=layer.eps,
            )
        elif isinstance(layer, ReLU):
            out = relu(out)
        elif isinstance(layer, Tanh):
            out = tanh(out)
        elif isinstance(layer, Sigmoid):
            out = sigmoid(out)
        elif isinstance(layer, Dropout):
            if layer.kind != "inverted":
                raise ValueError(f"layer {i}: only inverted dropout is supported, got {layer.kind}")
            if layer.training and layer.p > 0:
                if i not in masks:
                    raise ValueError(
                        f"layer {i} is a Dropout in train mode: pass its 0/1 mask in "
                        f"dropout_masks[{i}] (e.g. model[{i}].mask after a hand-written pass)"
                    )
                out = dropout(out, layer.p, masks[i])
        else:
            raise TypeError(
                f"layer {i} ({layer.describe()}) has no autograd version here; supported: "
                "Linear, BatchNorm, ReLU, Tanh, Sigmoid, Dropout"
            )
    return out
