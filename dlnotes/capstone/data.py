"""Part 2's data: what the learner trains on, and the instructor's hidden test set.

* :func:`capstone_data`: the shipped subset's 6000 training images split into 5000 train and
  1000 dev (chapter 01's split, ``train_dev_test_split(..., sizes=(5000, 1000), seed=0)``), raw
  pixels in ``[0, 1]``, shape ``(N, 784)``. The learner's function gets only these.
* :func:`self_study_test`: the shipped 2000 test images, for one evaluation in self-study mode.
* :func:`prepare_hidden_test`: the instructor's hidden test images, from the **full**
  Fashion-MNIST test set (Debian's ``dataset-fashion-mnist``): every one of the 10000 original test
  images that is not in the shipped subset, and whose pixels (SHA-256 of the 784 bytes) equal
  no shipped image, train or test. ``tools/prepare_capstone_test.py`` writes it to a file the
  learner never gets.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

import numpy as np

from dlnotes.data import load_fashion_mnist_subset, train_dev_test_split
from dlnotes.data.datasets import FASHION_MNIST_DIR, _find_idx, read_idx

__all__ = [
    "DEV_SIZE",
    "TRAIN_SIZE",
    "capstone_data",
    "image_hashes",
    "load_hidden_test",
    "prepare_hidden_test",
    "self_study_test",
]


#: Images of the training and dev sets :func:`capstone_data` gives the learner's function.
TRAIN_SIZE, DEV_SIZE = 5000, 1000


def capstone_data() -> dict[str, np.ndarray]:
    """``{"X_train", "y_train", "X_dev", "y_dev"}``: 5000 + 1000 images ``(N, 784)`` float32 in
    ``[0, 1]`` and int64 labels, the only data ``train_best_model`` receives.

    Defined in chapter 16 (Capstone project).
    """
    X_all, y_all, _, _ = load_fashion_mnist_subset()
    sizes = (TRAIN_SIZE, DEV_SIZE)
    X_train, y_train, X_dev, y_dev = train_dev_test_split(X_all, y_all, sizes=sizes, seed=0)
    return {"X_train": X_train, "y_train": y_train, "X_dev": X_dev, "y_dev": y_dev}


def self_study_test() -> tuple[np.ndarray, np.ndarray]:
    """The shipped subset's 2000 labelled test images, ``(X (2000, 784) in [0, 1], y)``: the
    self-study stand-in for the hidden set.

    Defined in chapter 16 (Capstone project).
    """
    _, _, X_test, y_test = load_fashion_mnist_subset()
    return X_test, y_test


def image_hashes(images: np.ndarray) -> set[str]:
    """SHA-256 of each image's uint8 pixels (``images`` of shape ``(N, 28, 28)`` or ``(N, 784)``).

    Defined in chapter 16 (Capstone project).
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        raise TypeError(
            f"images must be a uint8 array (N, ...), got {getattr(images, 'dtype', images)!r}"
        )
    if images.ndim < 2:
        raise TypeError(
            f"images must be a uint8 array of shape (N, 28, 28) or (N, 784), one image per row, "
            f"got shape {images.shape}"
        )
    flat = images.reshape(len(images), -1)
    return {hashlib.sha256(row.tobytes()).hexdigest() for row in flat}


def _shipped_raw() -> dict[str, np.ndarray]:
    ref = resources.files("dlnotes.data").joinpath("fashion_mnist_subset.npz")
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def prepare_hidden_test(
    src: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """The hidden test images ``(X uint8 (N, 28, 28), y uint8 (N,), counts)`` from the full
    Fashion-MNIST test set in ``src`` (default: ``DLNOTES_FASHION_MNIST`` or Debian's folder).

    Keeps the original test images that are not in the shipped subset's test rows and whose
    pixel hash matches no shipped image (the original set holds a few exact duplicates);
    ``counts`` says how many were dropped for each reason. Raises ``ValueError`` if any kept
    image's hash is shipped (it cannot, by construction; the check is the proof).

    Defined in chapter 16 (Capstone project).
    """
    directory = Path(
        src if src is not None else os.environ.get("DLNOTES_FASHION_MNIST", FASHION_MNIST_DIR)
    )
    X = read_idx(_find_idx(directory, "t10k-images-idx3-ubyte"))
    y = read_idx(_find_idx(directory, "t10k-labels-idx1-ubyte"))
    shipped = _shipped_raw()
    if not np.array_equal(X[shipped["test_index"].astype(np.int64)], shipped["X_test"]):
        raise ValueError(f"the test images in {directory} are not the ones the subset came from")
    keep = np.ones(len(X), dtype=bool)
    keep[shipped["test_index"].astype(np.int64)] = False
    in_subset = int(np.count_nonzero(~keep))
    known = image_hashes(shipped["X_train"]) | image_hashes(shipped["X_test"])
    rows = X.reshape(len(X), -1)
    duplicate = np.array([hashlib.sha256(r.tobytes()).hexdigest() in known for r in rows])
    dropped_duplicates = int(np.count_nonzero(duplicate & keep))
    keep &= ~duplicate
    X_hidden, y_hidden = X[keep], y[keep]
    if image_hashes(X_hidden) & known:
        raise ValueError("a hidden test image equals a shipped image")  # pragma: no cover
    counts = {
        "original": len(X),
        "in_shipped_subset": in_subset,
        "duplicates_of_shipped": dropped_duplicates,
        "hidden": len(X_hidden),
    }
    return X_hidden, y_hidden, counts


def load_hidden_test(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read a hidden test file written by ``tools/prepare_capstone_test.py``: ``(X (N, 784)
    float32 in [0, 1], y int64)``.

    Defined in chapter 16 (Capstone project).
    """
    data = np.load(path, allow_pickle=False)
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a hidden test file: it holds one array, not X and y")
    with data:
        if not {"X", "y"} <= set(data.files):
            raise ValueError(
                f"{path} is not a hidden test file: it must hold the arrays X and y, got "
                f"{data.files}"
            )
        X, y = data["X"], data["y"]
    if X.dtype != np.uint8 or X.ndim != 3 or X.shape[1:] != (28, 28) or y.shape != (len(X),):
        raise ValueError(f"{path} is not a hidden test file: X {X.dtype} {X.shape}, y {y.shape}")
    if y.dtype.kind not in "iu" or (y.size and not (y.min() >= 0 and y.max() <= 9)):
        bad = y.dtype if y.dtype.kind not in "iu" else y[(y < 0) | (y > 9)][0]
        raise ValueError(
            f"{path} is not a hidden test file: y must hold the class labels 0..9, got {bad}"
        )
    return (X.reshape(len(X), 784) / np.float32(255)).astype(np.float32), y.astype(np.int64)
