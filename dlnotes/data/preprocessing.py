"""Splits, input normalization and mini-batches.

Defined in chapter 01 (Setting up a learning problem).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from dlnotes._validate import NonFiniteInputError, check_bool, check_finite, check_scalar
from dlnotes.layers._base import seed_to_rng

__all__ = ["Standardizer", "minibatches", "train_dev_test_split"]


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(X, np.ndarray):
        raise TypeError(f"X must be a numpy array, got {type(X).__name__}")
    y = np.asarray(y)
    if X.ndim < 1 or y.ndim < 1 or len(y) != len(X):
        raise ValueError(
            f"X and y must hold the same number of examples: X has shape {X.shape}, "
            f"y has shape {y.shape} (expected ({len(X)},) or ({len(X)}, K))"
        )
    return X, y


def _refuse_non_finite(name: str, a: np.ndarray, where: str, why: str = "") -> None:
    """Refuse a float array holding inf or NaN (min and max are NaN/inf if any entry is)."""
    if a.dtype.kind != "f" or a.size == 0:
        return
    if np.isfinite(a.min()) and np.isfinite(a.max()):
        return
    bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    raise NonFiniteInputError(
        f"{where}: {name} holds {a[bad]} at index {bad}; remove or impute non-finite values "
        f"first{why}"
    )


def _fractions(sizes: Sequence[float], n: int) -> np.ndarray:
    sizes = list(sizes)
    if len(sizes) not in (2, 3):
        raise ValueError(
            f"sizes must have 2 (train, test) or 3 (train, dev, test) entries, got {sizes}"
        )
    for s in sizes:
        check_scalar("sizes entries", s, low=0.0)
    if all(isinstance(s, (int, np.integer)) for s in sizes) and sum(sizes) > 1:
        if sum(sizes) > n:
            raise ValueError(f"sizes ask for {sum(sizes)} examples, only {n} available")
        return np.array(sizes, dtype=float) / n
    frac = np.array(sizes, dtype=float)
    if abs(frac.sum() - 1.0) > 1e-9:
        raise ValueError(f"fractions in sizes must sum to 1, got {sizes} (sum {frac.sum():g})")
    return frac


def train_dev_test_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    sizes: Sequence[float] = (0.6, 0.2, 0.2),
    stratify: bool = True,
    seed: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, ...]:
    """Shuffle and split ``(X, y)`` into train/dev/test (or train/test with two ``sizes``).

    ``sizes`` are fractions summing to 1 (``(0.98, 0.01, 0.01)``) or example counts. With
    ``stratify=True`` each class is split in the same proportions (counts rounded per class), so
    every split has the class balance of the whole set. Returns ``(X_train, y_train, X_dev,
    y_dev, X_test, y_test)`` (or 4 arrays for two sizes), each split in random order. Features
    or labels holding inf or NaN are refused
    (:class:`~dlnotes._validate.NonFiniteInputError`, a ``ValueError``), and so are data too
    small to give every split of non-zero size at least one example (``ValueError``).

    Defined in chapter 01 (Setting up a learning problem).
    """
    X, y = _check_xy(X, y)
    stratify = check_bool("stratify", stratify)
    _refuse_non_finite("X", X, "train_dev_test_split")
    _refuse_non_finite("y", y, "train_dev_test_split", " (a NaN label is in no class)")
    n = len(y)
    frac = _fractions(sizes, n)
    rng = seed_to_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    parts: list[list[np.ndarray]] = [[] for _ in frac]
    for idx in groups:
        idx = rng.permutation(idx)
        cuts = np.round(np.cumsum(frac) * len(idx)).astype(int)
        cuts[-1] = min(cuts[-1], len(idx))
        for k, (lo, hi) in enumerate(zip(np.concatenate([[0], cuts[:-1]]), cuts)):
            parts[k].append(idx[lo:hi])
    names = ("train", "dev", "test") if len(frac) == 3 else ("train", "test")
    for k, chunks in enumerate(parts):
        if frac[k] > 0 and sum(len(c) for c in chunks) == 0:
            raise ValueError(
                f"train_dev_test_split: the {names[k]} split would be empty: {n} examples are "
                f"too few for sizes {tuple(sizes)}"
                + (" split per class (stratify=True)" if stratify else "")
                + "; use more data or a larger fraction for it"
            )
    out: list[np.ndarray] = []
    for chunks in parts:
        idx = rng.permutation(np.concatenate(chunks))
        out += [X[idx], y[idx]]
    return tuple(out)


class Standardizer:
    """Input normalization ``x' = (x - mu) / sigma`` fitted on the training set only.

    ``fit(X_train)`` computes the mean ``mu`` and standard deviation ``sigma`` of every feature
    (``per_feature=True``) or of all entries at once; ``transform`` applies the *training*
    statistics to any split (using dev/test statistics would leak information). Features with
    ``sigma < eps`` (always-zero pixels) get ``sigma = 1``.

    Defined in chapter 01 (Setting up a learning problem).
    """

    def __init__(self, *, per_feature: bool = True, eps: float = 1e-8) -> None:
        self.per_feature = check_bool("per_feature", per_feature)
        self.eps = check_scalar("eps", eps, low=0.0)
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> Standardizer:
        """Compute ``mu`` and ``sigma`` from ``X (N, D)`` (any float dtype); returns self."""
        if not isinstance(X, np.ndarray) or X.ndim < 2 or len(X) < 1:
            got = X.shape if isinstance(X, np.ndarray) else type(X).__name__
            raise ValueError(f"X must be an array of shape (N, D) with N >= 1, got {got}")
        check_finite("X", X, where="(Standardizer.fit)")
        X64 = X.astype(np.float64)
        axis = 0 if self.per_feature else None
        self.mean = np.asarray(X64.mean(axis=axis))
        std = np.asarray(X64.std(axis=axis))
        self.std = np.where(std < self.eps, 1.0, std)
        return self

    def _checked(self, X: Any, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X as floats, mu, sigma)`` after the checks :meth:`transform` and
        :meth:`inverse_transform` share: fitted, a real-valued array, the fitted feature shape.
        Integer (pixel) arrays become float32; float arrays keep their dtype."""
        if self.mean is None or self.std is None:
            raise RuntimeError(f"Standardizer: {method}() called before fit()")
        if not isinstance(X, np.ndarray):
            raise TypeError(f"X must be a numpy array, got {type(X).__name__}")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must be a real-valued array, got dtype {X.dtype}")
        if self.per_feature and X.shape[1:] != self.mean.shape:
            want = ", ".join(map(str, self.mean.shape))
            raise ValueError(
                f"X must have shape (N, {want}) like the data the Standardizer "
                f"was fitted on, got {X.shape}"
            )
        if X.dtype.kind != "f":
            X = X.astype(np.float32)
        return X, self.mean, self.std

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``(X - mu) / sigma`` in ``X``'s float dtype (float32 stays float32)."""
        X, mean, std = self._checked(X, "transform")
        return (X - mean.astype(X.dtype)) / std.astype(X.dtype)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """``X * sigma + mu`` in ``X``'s float dtype (with the checks of :meth:`transform`)."""
        X, mean, std = self._checked(X, "inverse_transform")
        return (X * std + mean).astype(X.dtype, copy=False)


def minibatches(
    X: np.ndarray,
    y: np.ndarray | None = None,
    batch_size: int = 32,
    *,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = 0,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(X_batch, y_batch)`` over one epoch (``y_batch`` is None when ``y`` is None).

    With ``shuffle=True`` the order is a permutation drawn from ``seed`` (an int, or a Generator
    that is advanced, so successive epochs differ but a run is reproducible). The last batch is
    smaller unless ``drop_last=True``. There are ``ceil(N / batch_size)`` batches.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    if y is not None:
        X, y = _check_xy(X, y)
    elif not isinstance(X, np.ndarray):
        raise TypeError(f"X must be a numpy array, got {type(X).__name__}")
    batch_size = int(check_scalar("batch_size", batch_size, low=1, integer=True))
    shuffle = check_bool("shuffle", shuffle)
    drop_last = check_bool("drop_last", drop_last)
    n = len(X)
    order = seed_to_rng(seed).permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            sl = slice(start, start + batch_size)
            yield X[sl], (None if y is None else y[sl])
        else:
            idx = order[start : start + batch_size]
            yield X[idx], (None if y is None else y[idx])
