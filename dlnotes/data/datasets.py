"""Datasets that need no network: digits, Fashion-MNIST, and synthetic 2-D sets.

Images come as float32 in ``[0, 1]``, flattened to rows ``(N, H*W)`` unless ``images=True``
(``(N, H, W)``); labels as int64 class indices.

Defined in chapter 01 (Setting up a learning problem).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dlnotes._validate import check_bool, check_float_dtype, check_scalar
from dlnotes.layers._base import seed_to_rng

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIR",
    "load_digits",
    "load_fashion_mnist",
    "load_fashion_mnist_subset",
    "make_circles",
    "make_moons",
    "make_spirals",
    "read_idx",
]

#: Class names of Fashion-MNIST, in label order.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Where Debian's ``dataset-fashion-mnist`` package puts the original idx files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

_IDX_DTYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


def _images(raw: np.ndarray, images: bool, dtype: Any) -> np.ndarray:
    """uint8 images (N, H, W) -> float in [0, 1], flattened to (N, H*W) unless images=True
    (``images`` and ``dtype`` checked by the caller)."""
    X = raw.astype(dtype)
    X /= 255
    return X if images else X.reshape(len(X), -1)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an idx file (the MNIST format, gzipped or not) into an array.

    Layout: two zero bytes, a type code (``0x08`` = uint8), the number of dimensions, each
    dimension as a big-endian int32, then the data.

    Defined in chapter 01 (Setting up a learning problem).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an idx file (bad magic number {data[:4]!r})")
    ndim = data[3]
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">i4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - offset != expected:
        raise ValueError(
            f"{path}: header says shape {dims} ({expected} bytes of data), file "
            f"holds {len(data) - offset}"
        )
    return (
        np.frombuffer(data, dtype=dtype, offset=offset)
        .reshape(dims)
        .astype(dtype.newbyteorder("="))
    )


def load_digits(*, images: bool = False, dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits (bundled with it, no download): 1797 images 8x8.

    Returns ``(X, y)``: ``X`` of shape ``(1797, 64)`` (or ``(1797, 8, 8)`` with ``images=True``)
    with pixel intensities scaled from 0..16 to ``[0, 1]``; ``y`` int64 labels 0..9.
    ``images`` must be True or False and ``dtype`` float32 or float64.

    Defined in chapter 01 (Setting up a learning problem).
    """
    images = check_bool("images", images)
    dt = check_float_dtype(dtype)
    # scikit-learn ships the data as a CSV (64 pixels + label per row). Reading it directly
    # skips importing scikit-learn (about 2 s); its public loader is the fallback.
    spec = importlib.util.find_spec("sklearn")
    locations = spec.submodule_search_locations if spec is not None else None
    csv = Path(locations[0]) / "datasets" / "data" / "digits.csv.gz" if locations else None
    if csv is not None and csv.is_file():
        table = np.loadtxt(csv, delimiter=",")
        pixels, y = table[:, :-1], table[:, -1].astype(np.int64)
    else:  # pragma: no cover - depends on scikit-learn's packaging
        from sklearn.datasets import load_digits as _sk_load_digits

        bunch = _sk_load_digits()
        pixels, y = bunch.data, bunch.target.astype(np.int64)
    X = pixels.astype(dt)
    X /= 16
    return (X.reshape(len(X), 8, 8) if images else X), y


def load_fashion_mnist_subset(
    *, images: bool = False, dtype: Any = np.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Fashion-MNIST subset shipped with dlnotes (MIT licence, (c) 2017 Zalando SE).

    6000 training images (600 per class) drawn from the 60000 original training images and
    2000 test images (200 per class) from the 10000 original test images, stratified, fixed seed
    (``tools/make_fashion_mnist_subset.py`` regenerates the file from the idx files).

    Returns ``(X_train, y_train, X_test, y_test)``; ``X`` of shape ``(N, 784)`` (or
    ``(N, 28, 28)`` with ``images=True``), float in ``[0, 1]``; ``y`` int64 labels 0..9 (names in
    :data:`FASHION_MNIST_CLASSES`). ``images`` must be True or False and ``dtype`` float32 or
    float64.

    Reference result: ``mlp([784, 128, 10], seed=0)`` trained by
    ``fit(..., optimizer=SGD(lr=0.05, momentum=0.9), epochs=10, batch_size=64, seed=0)`` on the
    raw [0, 1] pixels reaches 82.2% test accuracy (about 1 s on one core). The same recipe on
    the full 60000 training images reaches 87.6% on the full test set (about 15 s).

    Defined in chapter 01 (Setting up a learning problem).
    """
    images = check_bool("images", images)
    dtype = check_float_dtype(dtype)
    ref = resources.files("dlnotes.data").joinpath("fashion_mnist_subset.npz")
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as data:
        return (
            _images(data["X_train"], images, dtype),
            data["y_train"].astype(np.int64),
            _images(data["X_test"], images, dtype),
            data["y_test"].astype(np.int64),
        )


def _find_idx(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"Fashion-MNIST file {stem}[.gz] not found in {directory}. The full dataset is not "
        "shipped with dlnotes (load_fashion_mnist_subset() is). Install it with "
        "`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu, files in "
        f"{FASHION_MNIST_DIR}) or download the four idx files from "
        "https://github.com/zalandoresearch/fashion-mnist and pass their folder as `path`."
    )


def load_fashion_mnist(
    path: str | os.PathLike[str] | None = None, *, images: bool = False, dtype: Any = np.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The full Fashion-MNIST (60000 train, 10000 test) from a local folder of idx files.

    ``path`` defaults to the environment variable ``DLNOTES_FASHION_MNIST`` or else
    :data:`FASHION_MNIST_DIR` (Debian's ``dataset-fashion-mnist``). Files may be gzipped.
    Raises ``FileNotFoundError`` saying how to get them when absent. Returns
    ``(X_train, y_train, X_test, y_test)`` as :func:`load_fashion_mnist_subset` (``images`` and
    ``dtype`` checked as there).

    Defined in chapter 01 (Setting up a learning problem).
    """
    images = check_bool("images", images)
    dtype = check_float_dtype(dtype)
    directory = Path(
        path if path is not None else os.environ.get("DLNOTES_FASHION_MNIST", FASHION_MNIST_DIR)
    )
    files = [
        _find_idx(directory, stem)
        for stem in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    ]
    X_train, y_train, X_test, y_test = (read_idx(f) for f in files)
    return (
        _images(X_train, images, dtype),
        y_train.astype(np.int64),
        _images(X_test, images, dtype),
        y_test.astype(np.int64),
    )


def _counts(n_samples: int, n_classes: int) -> list[int]:
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def _finish(
    parts: list[np.ndarray], counts: list[int], rng: np.random.Generator, dtype: Any
) -> tuple[np.ndarray, np.ndarray]:
    X = np.concatenate(parts).astype(dtype)
    y = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    order = rng.permutation(len(y))
    return X[order], y[order]


def make_spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    *,
    noise: float = 0.2,
    seed: int | np.random.Generator | None = 0,
    dtype: Any = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: not linearly separable.

    Class ``k`` has points ``r (sin t, cos t)`` with radius ``r`` from 0 to 1 and angle
    ``t = 4k .. 4(k+1)`` plus Gaussian noise of std ``noise`` on ``t``. Returns shuffled
    ``(X (n_samples, 2), y (n_samples,))``; ``X`` in ``dtype`` (float32 or float64, checked with
    the other arguments before anything is drawn).

    Defined in chapter 01 (Setting up a learning problem).
    """
    dtype = check_float_dtype(dtype)
    n_samples = int(check_scalar("n_samples", n_samples, low=1, integer=True))
    n_classes = int(check_scalar("n_classes", n_classes, low=1, integer=True))
    noise = check_scalar("noise", noise, low=0.0)
    rng = seed_to_rng(seed)
    counts = _counts(n_samples, n_classes)
    parts = []
    for k, n in enumerate(counts):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n) + noise * rng.standard_normal(n)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    return _finish(parts, counts, rng, dtype)


def make_moons(
    n_samples: int = 200,
    *,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = 0,
    dtype: Any = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 on ``(cos t, sin t)``, class 1 on
    ``(1 - cos t, 0.5 - sin t)``, ``t`` evenly spaced in ``[0, pi]``, plus Gaussian noise of std
    ``noise`` on both coordinates. Returns shuffled ``(X (n_samples, 2), y)``; ``dtype`` float32
    or float64.

    Defined in chapter 01 (Setting up a learning problem).
    """
    dtype = check_float_dtype(dtype)
    n_samples = int(check_scalar("n_samples", n_samples, low=2, integer=True))
    noise = check_scalar("noise", noise, low=0.0)
    rng = seed_to_rng(seed)
    counts = _counts(n_samples, 2)
    t0 = np.linspace(0.0, np.pi, counts[0])
    t1 = np.linspace(0.0, np.pi, counts[1])
    parts = [
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
    ]
    parts = [p + noise * rng.standard_normal(p.shape) for p in parts]
    return _finish(parts, counts, rng, dtype)


def make_circles(
    n_samples: int = 200,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | np.random.Generator | None = 0,
    dtype: Any = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` (< 1), angles
    evenly spaced, plus Gaussian noise of std ``noise``. Returns shuffled ``(X, y)``; ``dtype``
    float32 or float64.

    Defined in chapter 01 (Setting up a learning problem).
    """
    dtype = check_float_dtype(dtype)
    n_samples = int(check_scalar("n_samples", n_samples, low=2, integer=True))
    noise = check_scalar("noise", noise, low=0.0)
    factor = check_scalar("factor", factor, low=0.0, high=1.0, high_inclusive=False)
    rng = seed_to_rng(seed)
    counts = _counts(n_samples, 2)
    parts = []
    for radius, n in zip((1.0, factor), counts):
        t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
        p = radius * np.column_stack([np.cos(t), np.sin(t)])
        parts.append(p + noise * rng.standard_normal(p.shape))
    return _finish(parts, counts, rng, dtype)
