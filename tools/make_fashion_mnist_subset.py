#!/usr/bin/env python3
"""Regenerate ``dlnotes/data/fashion_mnist_subset.npz`` from the original Fashion-MNIST idx files.

    sudo apt-get install dataset-fashion-mnist        # Debian/Ubuntu: the original idx files
    python tools/make_fashion_mnist_subset.py         # reads /usr/share/datasets/fashion-mnist

(or ``--src DIR`` with the four files from https://github.com/zalandoresearch/fashion-mnist).

The subset is stratified with a fixed seed: ``--train-per-class`` (600) images of each class
from the 60000 training images and ``--test-per-class`` (200) from the 10000 test images, kept
in their original order, stored as uint8 with ``np.savez_compressed`` (about 3 MB):

    X_train (6000, 28, 28) uint8    y_train (6000,) uint8    train_index (6000,) original rows
    X_test  (2000, 28, 28) uint8    y_test  (2000,) uint8    test_index  (2000,) original rows

Fashion-MNIST is (c) 2017 Zalando SE, MIT licence (dlnotes/data/LICENSE-fashion-mnist.txt).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlnotes.data.datasets import FASHION_MNIST_DIR, _find_idx, read_idx  # noqa: E402

DEFAULT_OUT = ROOT / "dlnotes" / "data" / "fashion_mnist_subset.npz"


def stratified_indices(y: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` random row indices of every class, returned sorted."""
    chosen = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        if len(rows) < per_class:
            raise ValueError(f"class {c} has only {len(rows)} examples, {per_class} requested")
        chosen.append(rng.permutation(rows)[:per_class])
    return np.sort(np.concatenate(chosen))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=FASHION_MNIST_DIR, help="folder with the four idx files")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output .npz path")
    ap.add_argument("--train-per-class", type=int, default=600)
    ap.add_argument("--test-per-class", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    src = Path(args.src)
    X_train, y_train, X_test, y_test = (
        read_idx(_find_idx(src, stem))
        for stem in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    )
    rng = np.random.default_rng(args.seed)
    train_index = stratified_indices(y_train, args.train_per_class, rng)
    test_index = stratified_indices(y_test, args.test_per_class, rng)
    out = Path(args.out)
    np.savez_compressed(
        out,
        X_train=X_train[train_index],
        y_train=y_train[train_index],
        X_test=X_test[test_index],
        y_test=y_test[test_index],
        train_index=train_index.astype(np.uint16),
        test_index=test_index.astype(np.uint16),
    )
    # The zip container stores timestamps, so hash the arrays, not the file.
    digest = hashlib.sha256()
    for a in (X_train[train_index], y_train[train_index], X_test[test_index], y_test[test_index]):
        digest.update(a.tobytes())
    print(
        f"wrote {out}: {len(train_index)} train + {len(test_index)} test images, "
        f"{out.stat().st_size / 1e6:.2f} MB, content sha256 {digest.hexdigest()[:16]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
