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

import numpy as np

from dlnotes._validate import check_scalar
from dlnotes.layers._base import Layer, check_mode, seed_to_rng

__all__ = ["Dropout", "dropout_backward", "dropout_forward"]

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
) -> tuple[np.ndarray, np.ndarray | float]:
    """Dropout with drop probability ``p`` (NOT the keep probability).

    ``mode="train"``: ``out = X * mask * s`` with ``mask ~ Bernoulli(1 - p)`` drawn from ``seed``
    (or the given 0/1 ``mask`` of ``X``'s shape, to check gradients with a fixed mask) and
    ``s = 1/(1-p)`` (inverted) or ``1`` (vanilla). ``mode="eval"`` (or ``"test"``):
    ``out = X`` (inverted) or ``(1-p) * X`` (vanilla).

    Returns ``(out, cache)`` where ``cache`` is the multiplier (array or scalar) so that
    ``out = X * cache``.

    Defined in chapter 10 (Dropout).
    """
    p = check_scalar("p", p, low=0.0, high=1.0, high_inclusive=False)
    mode = check_mode(mode)
    kind = _check_kind(kind)
    if mode == "eval":
        multiplier = 1.0 if kind == "inverted" else 1.0 - p
        return X * multiplier, multiplier
    if mask is None:
        keep = seed_to_rng(seed).random(X.shape, dtype=np.float32) >= p
    else:
        if mask.shape != X.shape:
            raise ValueError(f"mask must have the shape of X {X.shape}, got {mask.shape}")
        keep = mask != 0
    multiplier_arr = keep.astype(X.dtype)
    if kind == "inverted":
        multiplier_arr *= 1.0 / (1.0 - p)
    return X * multiplier_arr, multiplier_arr


def dropout_backward(dout: np.ndarray, cache: np.ndarray | float) -> np.ndarray:
    """``dX = dout * multiplier`` (the same mask and scale as the forward pass).

    Defined in chapter 10 (Dropout).
    """
    return dout * cache


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
