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


def _check_rows(X: Any) -> np.ndarray:
    """Require ``X`` to be a numpy array with one row per example (at least 1-D)."""
    if not isinstance(X, np.ndarray):
        raise TypeError(f"X must be a numpy array, got {type(X).__name__}")
    if X.ndim < 1:
        raise ValueError(f"X must have one row per example (at least 1-D), got shape {X.shape}")
    return X


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = _check_rows(X)
    y = np.asarray(y)
    if y.ndim < 1 or len(y) != len(X):
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


def _fractions(sizes: Any, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``(fractions, counts)`` of the splits: ``counts`` is None when ``sizes`` are fractions
    summing to 1; for integer counts (summing to more than 1) the fractions are ``counts / n``."""
    if isinstance(sizes, (str, bytes)) or np.ndim(sizes) != 1:
        raise TypeError(
            "sizes must be a sequence of 2 (train, test) or 3 (train, dev, test) fractions or "
            f"example counts, e.g. (0.8, 0.2), got {sizes!r}"
        )
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
        counts = np.array(sizes, dtype=np.int64)
        return np.array(sizes, dtype=float) / n, counts
    frac = np.array(sizes, dtype=float)
    if abs(frac.sum() - 1.0) > 1e-9:
        raise ValueError(f"fractions in sizes must sum to 1, got {sizes} (sum {frac.sum():g})")
    return frac, None


def _strata(y: np.ndarray) -> np.ndarray:
    """The class of every example for stratifying: ``y`` itself (shape ``(N,)`` or ``(N, 1)``),
    or the argmax of each row of a one-hot (or class-probability) ``y`` of shape ``(N, K)``."""
    if y.ndim == 1:
        return y
    if y.ndim == 2:
        return y[:, 0] if y.shape[1] == 1 else np.argmax(y, axis=1)
    raise ValueError(
        f"y must have shape (N,) or (N, K) to stratify the split, got {y.shape} "
        "(or pass stratify=False)"
    )


def _cuts(frac: np.ndarray, group_sizes: np.ndarray, counts: np.ndarray | None) -> np.ndarray:
    """Where each split ends within each group: group ``g`` (shuffled) gives split ``k`` its
    examples ``cuts[g, k-1]:cuts[g, k]`` (from 0 for ``k = 0``); shape ``(groups, splits)``.

    With cumulative fractions ``F_k = frac_0 + ... + frac_k``, ``cuts[g, k] = round(F_k n_g)``
    (``n_g`` examples in group ``g``). Given ``counts``, split ``k`` must get exactly
    ``counts[k]`` examples: the rounded cuts at each level ``k`` are then moved one example at a
    time until ``sum_g cuts[g, k] = counts_0 + ... + counts_k``, adding to the group furthest
    below its share ``F_k n_g`` (removing from the one furthest above it), while keeping
    ``cuts[g, k-1] <= cuts[g, k] <= n_g`` so no split gets a negative number.
    """
    share = np.cumsum(frac)[None, :] * group_sizes[:, None]  # F_k n_g, shape (groups, splits)
    cuts = np.round(share).astype(int)
    cuts[:, -1] = np.minimum(cuts[:, -1], group_sizes)
    if counts is None:
        return cuts
    total = np.cumsum(counts)  # examples in splits 0..k together
    for k in range(cuts.shape[1]):
        lower = cuts[:, k - 1] if k else np.zeros_like(group_sizes)
        level = np.maximum(cuts[:, k], lower)
        while level.sum() < total[k]:
            room = level < group_sizes
            level[np.argmax(np.where(room, share[:, k] - level, -np.inf))] += 1
        while level.sum() > total[k]:
            spare = level > lower
            level[np.argmax(np.where(spare, level - share[:, k], -np.inf))] -= 1
        cuts[:, k] = level
    return cuts


def train_dev_test_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    sizes: Sequence[float] = (0.6, 0.2, 0.2),
    stratify: bool = True,
    seed: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, ...]:
    """Shuffle and split ``(X, y)`` into train/dev/test (or train/test with two ``sizes``).

    ``sizes`` is a tuple of fractions summing to 1 (``(0.98, 0.01, 0.01)``) or of integer
    example counts summing to at most ``N`` (``(5000, 1000)``): each split then holds exactly
    that many examples and any examples left over are in no split. With ``stratify=True`` each
    class is split in the same proportions (counts rounded per class; for counts, the rounding
    is adjusted so the splits' sizes are exact), so every split has the class balance of the
    whole set; ``y`` of shape ``(N, K)`` (one-hot) is stratified on its argmax. Returns
    ``(X_train, y_train, X_dev, y_dev, X_test, y_test)`` (or 4 arrays for two sizes), each split
    in random order.

    Validated: ``X`` a numpy array with one row per example and ``y`` as many labels
    (``(N,)`` or ``(N, K)``); ``sizes`` as above; ``stratify`` a bool; ``seed`` an int, a
    Generator or None. Features or labels holding inf or NaN are refused
    (:class:`~dlnotes._validate.NonFiniteInputError`, a ``ValueError``), and so are data too
    small to give every split of non-zero size at least one example (``ValueError``).

    Defined in chapter 01 (Setting up a learning problem).
    """
    X, y = _check_xy(X, y)
    stratify = check_bool("stratify", stratify)
    _refuse_non_finite("X", X, "train_dev_test_split")
    _refuse_non_finite("y", y, "train_dev_test_split", " (a NaN label is in no class)")
    n = len(y)
    frac, counts = _fractions(sizes, n)
    rng = seed_to_rng(seed)
    if stratify:
        labels = _strata(y)
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    else:
        groups = [np.arange(n)]
    cuts = _cuts(frac, np.array([len(idx) for idx in groups]), counts)
    parts: list[list[np.ndarray]] = [[] for _ in frac]
    for idx, ends in zip(groups, cuts):
        idx = rng.permutation(idx)
        for k, (lo, hi) in enumerate(zip(np.concatenate([[0], ends[:-1]]), ends)):
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
        """Compute ``mu`` and ``sigma`` from ``X (N, D)``; returns self.

        ``X`` must be a real-valued numpy array (bool, int or float; complex, string and object
        arrays are refused) of at least two dimensions with ``N >= 1`` rows, all finite.
        """
        if not isinstance(X, np.ndarray) or X.ndim < 2 or len(X) < 1:
            got = X.shape if isinstance(X, np.ndarray) else type(X).__name__
            raise ValueError(f"X must be an array of shape (N, D) with N >= 1, got {got}")
        if X.dtype.kind not in "biuf":
            raise TypeError(
                f"Standardizer.fit: X must be a real-valued array (bool, int or float), "
                f"got dtype {X.dtype}"
            )
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

    With ``shuffle=True`` the order is a permutation drawn from ``seed``. The last batch is
    smaller unless ``drop_last=True``. There are ``ceil(N / batch_size)`` batches.

    **One call is one epoch; reshuffling between epochs needs a Generator.** An int ``seed``
    (the default is 0) gives the *same* permutation at every call, so the loop::

        for epoch in range(epochs):
            for Xb, yb in minibatches(X, y, 64):            # same order every epoch

    never reshuffles (and with ``drop_last=True`` never shows the same ``N % batch_size``
    examples). Make one Generator before the loop and pass it: each call advances it, so
    successive epochs differ while the run stays reproducible::

        rng = np.random.default_rng(0)
        for epoch in range(epochs):
            for Xb, yb in minibatches(X, y, 64, seed=rng):  # a new order every epoch

    (:func:`dlnotes.train.fit` does this.) ``seed=None`` draws fresh OS entropy at every call
    (different epochs, but not reproducible).

    Every batch is a new array (a copy, also with ``shuffle=False``): editing a batch in place
    (``Xb -= Xb.mean(0)``) never changes ``X`` or ``y``.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    if y is not None:
        X, y = _check_xy(X, y)
    else:
        X = _check_rows(X)
    batch_size = int(check_scalar("batch_size", batch_size, low=1, integer=True))
    shuffle = check_bool("shuffle", shuffle)
    drop_last = check_bool("drop_last", drop_last)
    n = len(X)
    order = seed_to_rng(seed).permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:  # copies, as fancy indexing makes below: a batch is never a view of X
            sl = slice(start, start + batch_size)
            yield X[sl].copy(order="K"), (None if y is None else y[sl].copy(order="K"))
        else:
            idx = order[start : start + batch_size]
            yield X[idx], (None if y is None else y[idx])
