"""Image augmentation on batches: flips, shifts, crops, rotations, scaling, brightness,
contrast and noise.

Every function takes a batch of images ``(N, H, W)`` or ``(N, C, H, W)`` and returns a new
array (the input is never modified); randomness comes from ``seed`` (an int or a Generator),
drawn independently per image. :class:`Augmenter` chains them for flattened rows and plugs
into :func:`dlnotes.train.fit`.

Brightness, contrast and noise clip their output to ``clip`` (``[0, 1]`` by default), which is
right for raw pixel intensities only: on standardized data (values around ``[-2, 2]``) the clip
would silently flatten every image. So those functions refuse images outside ``clip`` (augment
the raw pixels, then standardize; or pass ``clip=None``).

Defined in chapter 09 (Regularization).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validate import as_float_array, check_bool, check_scalar
from dlnotes.layers._base import seed_to_rng

__all__ = [
    "Augmenter",
    "add_noise",
    "random_brightness",
    "random_contrast",
    "random_crop",
    "random_flip",
    "random_rotation",
    "random_scale",
    "random_shift",
    "rotate_and_scale",
]


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
    if isinstance(size, (tuple, list)) and len(size) == 2:
        sh, sw = (int(check_scalar(f"size[{i}]", v, integer=True)) for i, v in enumerate(size))
    else:
        sh = sw = int(check_scalar("size (an int or a pair (height, width))", size, integer=True))
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


def rotate_and_scale(images: np.ndarray, degrees: Any, scale: Any = 1.0) -> np.ndarray:
    """Rotate each image by ``degrees[n]`` (counter-clockwise) and zoom it by ``scale[n]``
    about its centre, with bilinear interpolation and zeros outside the source image.

    Output pixel ``p`` (coordinates relative to the centre ``c = ((H-1)/2, (W-1)/2)``) takes the
    source value at ``c + R(-θ) (p - c) / s`` (``R`` a rotation on screen): the inverse map,
    so every output pixel gets a value.
    ``degrees`` and ``scale`` are numbers or arrays of shape ``(N,)`` (one per image), finite,
    ``scale > 0``; ``images`` a float array. ``degrees = 0, scale = 1`` returns the images
    unchanged; ``90`` equals ``np.rot90`` exactly on any image.

    Defined in chapter 09 (Regularization).
    """
    images = _check_images(images)
    if images.dtype.kind != "f":
        raise TypeError(f"images must be a floating-point array, got dtype {images.dtype}")
    N = len(images)
    theta = np.deg2rad(_per_image("degrees", degrees, N))
    s = _per_image("scale", scale, N)
    if not np.all(s > 0):
        raise ValueError(f"scale must be > 0, got {scale!r}")
    H, W = images.shape[-2:]
    cy, cx = (H - 1) / 2, (W - 1) / 2
    yy, xx = np.meshgrid(np.arange(H) - cy, np.arange(W) - cx, indexing="ij")  # (H, W)
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    # the inverse map R(-θ) written in (row, col) coordinates, whose row axis points down
    src_y = (cos * yy + sin * xx) / s[:, None, None] + cy
    src_x = (cos * xx - sin * yy) / s[:, None, None] + cx
    # exact integers where the map is a lattice symmetry (e.g. 90 degrees): no rounding blur
    src_y = np.where(np.abs(src_y - np.round(src_y)) < 1e-9, np.round(src_y), src_y)
    src_x = np.where(np.abs(src_x - np.round(src_x)) < 1e-9, np.round(src_x), src_x)
    y0, x0 = np.floor(src_y).astype(np.intp), np.floor(src_x).astype(np.intp)
    fy, fx = src_y - y0, src_x - x0
    n = np.arange(N)[:, None, None]
    lead = images.shape[1:-2]  # () or (C,)
    flat = images.reshape(N, -1, H, W)  # (N, C', H, W) with C' = 1 for grey images
    out = np.zeros(flat.shape, dtype=np.float64)
    for dy, dx, weight in (
        (0, 0, (1 - fy) * (1 - fx)),
        (0, 1, (1 - fy) * fx),
        (1, 0, fy * (1 - fx)),
        (1, 1, fy * fx),
    ):
        yi, xi = y0 + dy, x0 + dx
        inside = (yi >= 0) & (yi < H) & (xi >= 0) & (xi < W) & (weight > 0)
        values = flat[n, :, np.clip(yi, 0, H - 1), np.clip(xi, 0, W - 1)]  # (N, H, W, C')
        out += np.moveaxis(values * (weight * inside)[..., None], -1, 1)
    return out.astype(images.dtype, copy=False).reshape((N, *lead, H, W))


def _per_image(name: str, value: Any, N: int) -> np.ndarray:
    """``value`` (one number, or one per image: shape ``(N,)``) as float64 of shape ``(N,)``."""
    arr = np.asarray(as_float_array(name, value), dtype=np.float64)
    if arr.shape not in ((), (1,), (N,)):
        raise ValueError(
            f"{name} must be one number or one per image (shape ({N},)), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return np.broadcast_to(arr, (N,))


def random_rotation(
    images: np.ndarray, max_degrees: float, *, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Rotate each image by an angle drawn uniformly from ``[-max_degrees, max_degrees]``.

    Small angles (5-15 degrees) keep a digit or a garment what it is; 180 degrees would turn a 6
    into a 9. See :func:`rotate_and_scale` for the interpolation.

    Defined in chapter 09 (Regularization).
    """
    images = _check_images(images)
    max_degrees = check_scalar("max_degrees", max_degrees, low=0.0, high=180.0)
    angles = seed_to_rng(seed).uniform(-max_degrees, max_degrees, len(images))
    return rotate_and_scale(images, angles)


def random_scale(
    images: np.ndarray,
    scale_range: tuple[float, float] = (0.9, 1.1),
    *,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Zoom each image about its centre by a factor drawn uniformly from ``scale_range``
    (> 1 enlarges and cuts the border off, < 1 shrinks and pads with zeros).

    Defined in chapter 09 (Regularization).
    """
    images = _check_images(images)
    lo, hi = _check_range("scale_range", scale_range, low=0.0, low_inclusive=False)
    factors = seed_to_rng(seed).uniform(lo, hi, len(images))
    return rotate_and_scale(images, 0.0, factors)


def random_brightness(
    images: np.ndarray,
    max_delta: float,
    *,
    clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Add one offset ``δ ~ U(-max_delta, max_delta)`` to every pixel of each image, then clip.

    ``images`` must be a float array with values in ``clip`` (pixel intensities in ``[0, 1]`` by
    default; standardized data is refused, see the module's docstring); ``clip=None`` skips
    both the clip and that check.

    Defined in chapter 09 (Regularization).
    """
    images = _check_float_images(images)
    max_delta = check_scalar("max_delta", max_delta, low=0.0)
    _check_in_clip(images, clip, "random_brightness")
    delta = seed_to_rng(seed).uniform(-max_delta, max_delta, len(images))
    out = images + delta.reshape((-1,) + (1,) * (images.ndim - 1)).astype(images.dtype)
    return _clip(out, clip)


def random_contrast(
    images: np.ndarray,
    factor_range: tuple[float, float] = (0.8, 1.2),
    *,
    clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Scale each image's deviations from its own mean by ``a ~ U(factor_range)``:
    ``out = mean + a (x - mean)``, then clip. ``a < 1`` flattens, ``a > 1`` sharpens contrast.
    ``images`` must hold values in ``clip``, as for :func:`random_brightness`.

    Defined in chapter 09 (Regularization).
    """
    images = _check_float_images(images)
    lo, hi = _check_range("factor_range", factor_range, low=0.0)
    _check_in_clip(images, clip, "random_contrast")
    a = seed_to_rng(seed).uniform(lo, hi, len(images)).reshape((-1,) + (1,) * (images.ndim - 1))
    axes = tuple(range(1, images.ndim))
    mean = images.mean(axis=axes, keepdims=True)
    out = mean + a.astype(images.dtype) * (images - mean)
    return _clip(out, clip)


def _check_float_images(images: Any) -> np.ndarray:
    images = _check_images(images)
    if images.dtype.kind != "f":
        raise TypeError(f"images must be a floating-point array, got dtype {images.dtype}")
    return images


def _check_range(
    name: str, pair: Any, *, low: float, low_inclusive: bool = True
) -> tuple[float, float]:
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
        raise TypeError(f"{name} must be a pair (low, high), got {pair!r}")
    lo = check_scalar(f"{name}[0]", pair[0], low=low, low_inclusive=low_inclusive)
    hi = check_scalar(f"{name}[1]", pair[1], low=lo)
    return lo, hi


def _check_clip(clip: Any) -> tuple[float, float] | None:
    """``clip``: None, or a pair ``(low, high)`` of finite numbers with ``low <= high``."""
    if clip is None:
        return None
    if not (isinstance(clip, (tuple, list)) and len(clip) == 2):
        raise TypeError(f"clip must be a pair (low, high) or None, got {clip!r}")
    low = check_scalar("clip[0]", clip[0])
    return low, check_scalar("clip[1]", clip[1], low=low)


#: How far (a fraction of ``high - low``) values may stray outside the clip range and still be
#: taken for pixels in it: rounding in an earlier step (a rotation's interpolation) only.
_CLIP_SLACK = 1e-6


def _check_in_clip(images: np.ndarray, clip: Any, where: str) -> None:
    """Refuse images with values outside ``clip = (low, high)`` (or NaN): clipping them would
    silently change the data rather than keep augmented pixels in range (standardized inputs
    would be flattened). ``clip=None`` accepts any values."""
    bounds = _check_clip(clip)
    if bounds is None or images.size == 0:
        return
    low, high = bounds
    slack = _CLIP_SLACK * (high - low)
    vmin, vmax = images.min(), images.max()
    if not (low - slack <= vmin and vmax <= high + slack):  # also False for NaN
        raise ValueError(
            f"{where}: images must hold pixel intensities in [{low:g}, {high:g}] (its output "
            f"is clipped to clip={tuple(bounds)}), got values from {vmin:.3g} to {vmax:.3g}. "
            "Augment the raw pixels and standardize afterwards, or pass clip=None to add "
            "without clipping"
        )


def _clip(out: np.ndarray, clip: tuple[float, float] | None) -> np.ndarray:
    """``out`` clipped in place to ``clip = (low, high)``, or as it is when ``clip`` is None."""
    bounds = _check_clip(clip)
    if bounds is not None:
        np.clip(out, bounds[0], bounds[1], out=out)
    return out


def add_noise(
    images: np.ndarray,
    std: float,
    *,
    clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Add Gaussian noise ``N(0, std^2)`` to every pixel, then clip to ``clip`` (None: no clip).

    ``images`` (a float array of any shape) must hold values in ``clip``, as for
    :func:`random_brightness`.

    Defined in chapter 09 (Regularization).
    """
    if not isinstance(images, np.ndarray) or images.dtype.kind != "f":  # any shape: pixels alike
        got = f"dtype {images.dtype}" if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"images must be a floating-point numpy array, got {got}")
    std = check_scalar("std", std, low=0.0)
    _check_in_clip(images, clip, "add_noise")
    dtype = images.dtype if images.dtype == np.float32 else np.dtype(np.float64)
    noise = seed_to_rng(seed).standard_normal(images.shape, dtype=dtype)
    return _clip(images + std * noise, clip)


class Augmenter:
    """A random augmentation for batches of *flattened* images ``(N, H*W)`` (or ``(N, C*H*W)``).

    ``Augmenter((28, 28), flip=True, max_shift=2, noise_std=0.05)`` reshapes each batch to
    ``image_shape``, applies in order: a left-right flip with probability 1/2, a rotation of up
    to ``max_degrees`` and a zoom by a factor in ``scale_range`` (one interpolation for both), a
    shift of up to ``max_shift`` pixels, a brightness offset of up to ``brightness``, a contrast
    factor in ``contrast_range``, Gaussian noise (the last three clipped to [0, 1]), and
    flattens back. Call it as
    ``augment(X_batch, rng)``; :func:`dlnotes.train.fit` passes its own seeded generator, so a
    run stays reproducible. Use it on training batches only.

    ``X`` must have shape ``(N, prod(image_shape))``; with brightness, contrast or noise (which
    clip to [0, 1]) it must be a float array of raw pixel intensities in ``[0, 1]``:
    standardized inputs are refused (augment first, then standardize).

    Defined in chapter 09 (Regularization).
    """

    def __init__(
        self,
        image_shape: tuple[int, ...],
        *,
        flip: bool = False,
        max_shift: int = 0,
        noise_std: float = 0.0,
        max_degrees: float = 0.0,
        scale_range: tuple[float, float] = (1.0, 1.0),
        brightness: float = 0.0,
        contrast_range: tuple[float, float] = (1.0, 1.0),
    ) -> None:
        if not isinstance(image_shape, (tuple, list)) or len(image_shape) not in (2, 3):
            raise ValueError(f"image_shape must be (H, W) or (C, H, W), got {image_shape!r}")
        self.image_shape = tuple(
            int(check_scalar(f"image_shape[{i}]", n, low=1, integer=True))
            for i, n in enumerate(image_shape)
        )
        self.flip = check_bool("flip", flip)
        self.max_shift = int(check_scalar("max_shift", max_shift, low=0, integer=True))
        self.noise_std = check_scalar("noise_std", noise_std, low=0.0)
        self.max_degrees = check_scalar("max_degrees", max_degrees, low=0.0, high=180.0)
        self.scale_range = _check_range("scale_range", scale_range, low=0.0, low_inclusive=False)
        self.brightness = check_scalar("brightness", brightness, low=0.0)
        self.contrast_range = _check_range("contrast_range", contrast_range, low=0.0)

    def __call__(self, X: np.ndarray, rng: int | np.random.Generator | None = None) -> np.ndarray:
        size = int(np.prod(self.image_shape))
        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != size:
            got = X.shape if isinstance(X, np.ndarray) else type(X).__name__
            raise ValueError(
                f"Augmenter for images {self.image_shape} expects X of shape (N, {size}), got {got}"
            )
        gen = seed_to_rng(rng, "rng")
        clips = self.brightness or self.contrast_range != (1.0, 1.0) or self.noise_std
        floats = X.dtype.kind == "f"  # other dtypes are refused by the steps that clip
        if clips and floats and X.size and not (X.min() >= 0.0 and X.max() <= 1.0):  # NaN too
            raise ValueError(
                "Augmenter expects X to hold pixel intensities in [0, 1] (its brightness, "
                f"contrast and noise steps clip to [0, 1]), got values from {X.min():.3g} to "
                f"{X.max():.3g}. Augment the raw pixels and standardize afterwards"
            )
        images = X.reshape((len(X), *self.image_shape))
        if self.flip:
            images = random_flip(images, seed=gen)
        if self.max_degrees or self.scale_range != (1.0, 1.0):
            angles = gen.uniform(-self.max_degrees, self.max_degrees, len(images))
            factors = gen.uniform(*self.scale_range, len(images))
            images = rotate_and_scale(images, angles, factors)
        if self.max_shift:
            images = random_shift(images, self.max_shift, seed=gen)
        if self.brightness:
            images = random_brightness(images, self.brightness, seed=gen)
        if self.contrast_range != (1.0, 1.0):
            images = random_contrast(images, self.contrast_range, seed=gen)
        if self.noise_std:
            images = add_noise(images, self.noise_std, seed=gen)
        return images.reshape(len(X), size)

    def __repr__(self) -> str:
        return (
            f"Augmenter({self.image_shape}, flip={self.flip}, max_shift={self.max_shift}, "
            f"noise_std={self.noise_std:g}, max_degrees={self.max_degrees:g}, "
            f"scale_range={self.scale_range}, brightness={self.brightness:g}, "
            f"contrast_range={self.contrast_range})"
        )
