"""Dropout: zero each activation with probability ``p`` at train time.

``p`` is the **drop** probability, as in torch (``nn.Dropout(p=0.5)``). Some courses write
``keep_prob = 1 - p`` instead: ``Dropout(p=0.2)`` here is ``keep_prob = 0.8`` there.

Two equivalent-in-expectation conventions (``kind``):

* ``"inverted"`` (default, what torch and every library do): at train time
  ``out = X * mask / (1 - p)``; at test time ``out = X``.
* ``"vanilla"`` (the original paper's): at train time ``out = X * mask``; at test time
  ``out = (1 - p) * X``.

Either way ``E[out_train] = out_test``. ``mask`` holds independent Bernoulli(1 - p) draws from a
``numpy.random.Generator``, so a seeded layer gives the same masks on every run.

Defined in chapter 10 (Dropout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validate import (
    check_array,
    check_float_array,
    check_mask,
    check_scalar,
)
from dlnotes.layers._base import (
    Layer,
    cache_mismatch,
    check_cache,
    check_dout,
    check_mode,
    seed_to_rng,
)
from dlnotes.layers.linear import (
    Linear,
    check_linear_cache,
    check_linear_inputs,
    linear_backward,
    linear_forward,
)

__all__ = [
    "DropConnect",
    "Dropout",
    "dropconnect_backward",
    "dropconnect_forward",
    "dropout_backward",
    "dropout_forward",
]

KINDS = ("inverted", "vanilla")


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be 'inverted' or 'vanilla', got {kind!r}")
    return kind


def dropout_forward(
    X: np.ndarray,
    p: float,
    mode: str = "train",
    *,
    kind: str = "inverted",
    seed: int | np.random.Generator | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | tuple[float, tuple[int, ...]]]:
    """Dropout with drop probability ``p`` (NOT the keep probability).

    ``mode="train"``: ``out = X * mask * s`` with ``mask ~ Bernoulli(1 - p)`` drawn from ``seed``
    (or the given 0/1 ``mask`` of ``X``'s shape, to check gradients with a fixed mask) and
    ``s = 1/(1-p)`` (inverted) or ``1`` (vanilla). ``mode="eval"`` (or ``"test"``):
    ``out = X`` (inverted) or ``(1-p) * X`` (vanilla).

    Returns ``(out, cache)``. In train mode ``cache`` is the multiplier array, so that
    ``out = X * cache``; in eval mode it is the pair ``(multiplier, X.shape)`` with the scalar
    multiplier (``1`` or ``1 - p``), so that :func:`dropout_backward` can check ``dout``'s shape.

    Defined in chapter 10 (Dropout).
    """
    check_array("X", X, where="dropout_forward")
    if X.dtype.kind != "f":
        raise TypeError(f"dropout_forward: X must be a float array, got dtype {X.dtype}")
    p = check_scalar("p", p, low=0.0, high=1.0, high_inclusive=False)
    mode = check_mode(mode)
    kind = _check_kind(kind)
    if mode == "eval":
        multiplier = 1.0 if kind == "inverted" else 1.0 - p
        return X * multiplier, (multiplier, X.shape)
    if mask is None:
        keep = seed_to_rng(seed).random(X.shape, dtype=np.float32) >= p
    else:
        keep = check_mask("mask", mask, X.shape, where="dropout_forward", what="X")
    multiplier_arr = keep.astype(X.dtype)
    if kind == "inverted":
        multiplier_arr *= 1.0 / (1.0 - p)
    return X * multiplier_arr, multiplier_arr


def dropout_backward(
    dout: np.ndarray, cache: np.ndarray | tuple[float, tuple[int, ...]]
) -> np.ndarray:
    """``dX = dout * multiplier`` (the same mask and scale as the forward pass).

    ``cache`` is what :func:`dropout_forward` returned: the array multiplier of a train-mode
    pass or the pair ``(multiplier, X.shape)`` of an eval-mode pass. Either way ``dout`` must be
    a float array of the forward output's shape.

    Defined in chapter 10 (Dropout).
    """
    where = "dropout_backward"
    want = (
        "dropout_backward: cache must be what dropout_forward returned (the multiplier array of "
        "a train-mode pass, or the pair (multiplier, X.shape) of an eval-mode pass), got "
    )
    if isinstance(cache, np.ndarray):
        check_dout(dout, cache.shape, where=where)
        return dout * cache
    if not (isinstance(cache, tuple) and len(cache) == 2):
        got = f"tuple of {len(cache)}" if isinstance(cache, tuple) else type(cache).__name__
        raise TypeError(want + got)
    multiplier, shape = cache
    is_number = isinstance(multiplier, (float, int)) and not isinstance(multiplier, bool)
    is_shape = isinstance(shape, tuple) and all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in shape
    )
    if not (is_number and is_shape):
        raise TypeError(
            want + f"({type(multiplier).__name__} {multiplier!r:.40}, {type(shape).__name__})"
        )
    check_dout(dout, tuple(int(d) for d in shape), where=where)
    return dout * multiplier


class Dropout(Layer):
    """Dropout layer with **drop** probability ``p`` (torch's meaning; keep_prob = 1 - p).

    Parameters
    ----------
    p : float in [0, 1)
        Probability of zeroing each activation at train time.
    kind : "inverted" (default) or "vanilla"
        Where the ``1 - p`` correction goes: train time (divide by ``1 - p``) or test time
        (multiply by ``1 - p``).
    seed : int, Generator or None
        The layer's own mask generator: same seed, same masks.

    In eval mode the layer is deterministic. The last train-time mask is ``layer.mask``.

    Defined in chapter 10 (Dropout).
    """

    def __init__(
        self,
        p: float = 0.5,
        *,
        kind: str = "inverted",
        seed: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.p = check_scalar("p", p, low=0.0, high=1.0, high_inclusive=False)
        self.kind = _check_kind(kind)
        self.rng = seed_to_rng(seed)

    def describe(self) -> str:
        return f"Dropout(p={self.p:g}, {self.kind})"

    @property
    def mask(self) -> np.ndarray | None:
        """The 0/1 mask of the last train-mode forward pass (None before one)."""
        if isinstance(self.cache, np.ndarray):
            return (self.cache != 0).astype(self.cache.dtype)
        return None

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = dropout_forward(X, self.p, self.mode, kind=self.kind, seed=self.rng)
        return out

    def _backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        return dropout_backward(dout, self.cache) if input_grad else None


def dropconnect_forward(
    X: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None,
    p: float,
    mode: str = "train",
    *,
    seed: int | np.random.Generator | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[tuple[np.ndarray, np.ndarray], np.ndarray | None]]:
    """DropConnect: drop each *weight* (not each activation) with probability ``p``.

    ``mode="train"``: ``out = X @ (W * mask) / (1 - p) + b`` with one ``mask ~ Bernoulli(1 - p)``
    of ``W``'s shape ``(D, M)`` for the whole batch, drawn from ``seed`` (or given as ``mask``).
    ``mode="eval"``: ``out = X @ W + b``, the mean network (the inverted scaling makes it the
    expectation of the train-time output). Wan et al. (2013) draw a mask per example and, at test
    time, average over masks by matching a Gaussian's moments; one mask per batch and the mean
    network are the common simplification, cheaper by a factor of the batch size.

    Returns ``(out, cache)``; ``cache = (linear cache with the masked weight, multiplier)`` where
    ``multiplier = mask / (1 - p)`` (None in eval mode).

    Defined in chapter 10 (Dropout).
    """
    where = "dropconnect_forward"
    check_linear_inputs(X, W, b, where=where)
    p = check_scalar("p", p, low=0.0, high=1.0, high_inclusive=False)
    mode = check_mode(mode)
    if mode == "eval":
        out, cache = linear_forward(X, W, b)
        return out, (cache, None)
    if mask is None:
        keep = seed_to_rng(seed).random(W.shape, dtype=np.float32) >= p
    else:
        keep = check_mask("mask", mask, W.shape, where=where, what="W")
    multiplier = keep.astype(W.dtype) * W.dtype.type(1.0 / (1.0 - p))
    out, cache = linear_forward(X, W * multiplier, b)
    return out, (cache, multiplier)


def dropconnect_backward(
    dout: np.ndarray,
    cache: tuple[tuple[np.ndarray, np.ndarray], np.ndarray | None],
    *,
    input_grad: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`dropconnect_forward` given ``dout (N, M)``: with ``W̃ = W * mult``,

        dX = dout @ W̃.T     dW = (X.T @ dout) * mult     db = sum_n dout

    A dropped weight gets no gradient from this batch. Returns ``(dX, dW, db)``.

    Defined in chapter 10 (Dropout).
    """
    where = "dropconnect_backward"
    linear_cache, multiplier = check_cache(
        cache, (None, None), where=where, forward="dropconnect_forward"
    )
    X, W = check_linear_cache(
        linear_cache, where=where, forward="dropconnect_forward", name="cache[0]"
    )
    if multiplier is not None and (
        not isinstance(multiplier, np.ndarray) or multiplier.shape != W.shape
    ):
        got = multiplier.shape if isinstance(multiplier, np.ndarray) else type(multiplier).__name__
        raise cache_mismatch(
            where,
            "dropconnect_forward",
            f"its second item, the multiplier mask / (1 - p), must be None (eval mode) or an "
            f"array of W's shape {W.shape}, got {got}",
        )
    check_float_array("dout", dout, where="dropconnect_backward")
    if dout.shape != (X.shape[0], W.shape[1]):
        raise ValueError(
            f"dropconnect_backward: dout must have shape {(X.shape[0], W.shape[1])}, "
            f"got {dout.shape}"
        )
    dX, dW_masked, db = linear_backward(dout, linear_cache, input_grad=input_grad)
    dW = dW_masked if multiplier is None else dW_masked * multiplier
    return dX, dW, db


class DropConnect(Linear):
    """A fully connected layer whose *weights* are dropped with probability ``p`` at train
    time (Wan et al., 2013); see :func:`dropconnect_forward`. Constructed like
    :class:`~dlnotes.layers.Linear` plus ``p`` and the mask ``seed`` (``mask_seed``); in eval
    mode it is the plain linear layer. The last train-time mask is ``layer.mask``.

    Defined in chapter 10 (Dropout).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        p: float = 0.5,
        *,
        mask_seed: int | np.random.Generator | None = None,
        **linear_kwargs: Any,
    ) -> None:
        super().__init__(in_features, out_features, **linear_kwargs)
        self.p = check_scalar("p", p, low=0.0, high=1.0, high_inclusive=False)
        self.rng = seed_to_rng(mask_seed, "mask_seed")

    def describe(self) -> str:
        return f"DropConnect {self.in_features} -> {self.out_features} (p={self.p:g})"

    @property
    def mask(self) -> np.ndarray | None:
        """The 0/1 weight mask of the last train-mode forward pass (None before one)."""
        if self.cache is not None and self.cache[1] is not None:
            return (self.cache[1] != 0).astype(self.W.dtype)
        return None

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = dropconnect_forward(X, self.W, self.b, self.p, self.mode, seed=self.rng)
        return out

    def _backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        dX, dW, db = dropconnect_backward(dout, self.cache, input_grad=input_grad)
        self.grads = [dW, db] if len(self.params) > 1 else [dW]
        return dX
