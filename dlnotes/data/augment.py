"""Image augmentation on batches: flips, shifts, crops and noise.

Every function takes a batch of images ``(N, H, W)`` or ``(N, C, H, W)`` and returns a new
array (the input is never modified); randomness comes from ``seed`` (an int or a Generator),
drawn independently per image. :class:`Augmenter` chains them for flattened rows and plugs
into :func:`dlnotes.train.fit`.

Defined in chapter 09 (Regularization).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validate import check_scalar
from dlnotes.layers._base import seed_to_rng

__all__ = ["Augmenter", "add_noise", "random_crop", "random_flip", "random_shift"]


def _check_images(images: Any) -> np.ndarray:
    if not isinstance(images, np.ndarray) or images.ndim not in (3, 4):
        got = images.shape if isinstance(images, np.ndarray) else type(images).__name__
        raise ValueError(f"images must have shape (N, H, W) or (N, C, H, W), got {got}")
    return images


def random_flip(
    images: np.ndarray, *, p: float = 0.5, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Mirror each image left-right with probability ``p``.

    Defined in chapter 09 (Regularization).
    """
    images = _check_images(images)
    p = check_scalar("p", p, low=0.0, high=1.0)
    flip = seed_to_rng(seed).random(len(images)) < p
    out = images.copy()
    out[flip] = images[flip][..., ::-1]
    return out


def random_crop(
    images: np.ndarray,
    size: int | tuple[int, int],
    *,
    padding: int = 0,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Zero-pad each side by ``padding`` pixels, then cut a ``size`` window at a random place.

    Output shape ``(N, [C,] size_h, size_w)``. Each image gets its own offset, uniform over
    the ``(H + 2 padding - size_h + 1) x (W + 2 padding - size_w + 1)`` possible windows.

    Defined in chapter 09 (Regularization).
    """
    images = _check_images(images)
    padding = int(check_scalar("padding", padding, low=0, integer=True))
    sh, sw = (size, size) if isinstance(size, (int, np.integer)) else size
    H, W = images.shape[-2:]
    if not (1 <= sh <= H + 2 * padding and 1 <= sw <= W + 2 * padding):
        raise ValueError(
            f"size must fit in the padded {H + 2 * padding}x{W + 2 * padding} image, got {(sh, sw)}"
        )
    pad = [(0, 0)] * (images.ndim - 2) + [(padding, padding)] * 2
    padded = np.pad(images, pad)
    rng = seed_to_rng(seed)
    N = len(images)
    top = rng.integers(0, H + 2 * padding - sh + 1, size=N)
    left = rng.integers(0, W + 2 * padding - sw + 1, size=N)
    rows = top[:, None] + np.arange(sh)  # (N, sh)
    cols = left[:, None] + np.arange(sw)  # (N, sw)
    n = np.arange(N)
    if images.ndim == 3:
        return padded[n[:, None, None], rows[:, :, None], cols[:, None, :]]
    c = np.arange(images.shape[1])
    return padded[
        n[:, None, None, None],
        c[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]


def random_shift(
    images: np.ndarray, max_shift: int, *, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Translate each image by a random ``(dy, dx)`` in ``[-max_shift, max_shift]^2``, filling
    with zeros (a crop of the same size from the image padded by ``max_shift``).

    Defined in chapter 09 (Regularization).
    """
    images = _check_images(images)
    max_shift = int(check_scalar("max_shift", max_shift, low=0, integer=True))
    H, W = images.shape[-2:]
    return random_crop(images, (H, W), padding=max_shift, seed=seed)


def add_noise(
    images: np.ndarray,
    std: float,
    *,
    clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Add Gaussian noise ``N(0, std^2)`` to every pixel, then clip to ``clip`` (None: no clip).

    Defined in chapter 09 (Regularization).
    """
    if not isinstance(images, np.ndarray) or images.dtype.kind != "f":
        raise TypeError("images must be a floating-point numpy array")
    std = check_scalar("std", std, low=0.0)
    dtype = images.dtype if images.dtype == np.float32 else np.dtype(np.float64)
    noise = seed_to_rng(seed).standard_normal(images.shape, dtype=dtype)
    out = images + std * noise
    if clip is not None:
        np.clip(out, clip[0], clip[1], out=out)
    return out


class Augmenter:
    """A random augmentation for batches of *flattened* images ``(N, H*W)`` (or ``(N, C*H*W)``).

    ``Augmenter((28, 28), flip=True, max_shift=2, noise_std=0.05)`` reshapes each batch to
    ``image_shape``, applies in order: a left-right flip with probability 1/2, a shift of up to
    ``max_shift`` pixels, Gaussian noise (clipped to [0, 1]), and flattens back. Call it as
    ``augment(X_batch, rng)``; :func:`dlnotes.train.fit` passes its own seeded generator, so a
    run stays reproducible. Use it on training batches only.

    Defined in chapter 09 (Regularization).
    """

    def __init__(
        self,
        image_shape: tuple[int, ...],
        *,
        flip: bool = False,
        max_shift: int = 0,
        noise_std: float = 0.0,
    ) -> None:
        if len(image_shape) not in (2, 3):
            raise ValueError(f"image_shape must be (H, W) or (C, H, W), got {image_shape}")
        self.image_shape = tuple(int(s) for s in image_shape)
        self.flip = bool(flip)
        self.max_shift = int(check_scalar("max_shift", max_shift, low=0, integer=True))
        self.noise_std = check_scalar("noise_std", noise_std, low=0.0)

    def __call__(self, X: np.ndarray, rng: int | np.random.Generator | None = None) -> np.ndarray:
        size = int(np.prod(self.image_shape))
        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != size:
            got = X.shape if isinstance(X, np.ndarray) else type(X).__name__
            raise ValueError(
                f"Augmenter for images {self.image_shape} expects X of shape (N, {size}), got {got}"
            )
        gen = seed_to_rng(rng, "rng")
        images = X.reshape((len(X), *self.image_shape))
        if self.flip:
            images = random_flip(images, seed=gen)
        if self.max_shift:
            images = random_shift(images, self.max_shift, seed=gen)
        if self.noise_std:
            images = add_noise(images, self.noise_std, seed=gen)
        return images.reshape(len(X), size)

    def __repr__(self) -> str:
        return (
            f"Augmenter({self.image_shape}, flip={self.flip}, max_shift={self.max_shift}, "
            f"noise_std={self.noise_std:g})"
        )
