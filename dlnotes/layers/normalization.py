"""Batch normalization and layer normalization for rows ``X`` of shape ``(N, D)``, and batch
normalization per channel for feature maps ``(N, C, H, W)``.

Both compute ``xhat = (X - mu) / sqrt(var + eps)`` and ``out = gamma * xhat + beta``; they
differ in *which* numbers ``mu`` and ``var`` average over:

* BatchNorm: over the batch, per feature (``axis=0``), so an example's output depends on the
  other examples in its batch. At test time it uses running estimates instead.
* LayerNorm: over the features, per example (``axis=1``): the same computation in train and
  test mode, independent of the batch.

Conventions are torch's (``nn.BatchNorm1d``, ``nn.LayerNorm``): ``eps = 1e-5``; ``momentum =
0.1`` with ``running = (1 - momentum) * running + momentum * batch_stat`` (many papers and Keras
write the complement, ``0.9 * running + 0.1 * batch``: the same thing); normalisation uses the
*biased* batch variance (divide by ``N``) while ``running_var`` is updated with the *unbiased*
one (divide by ``N - 1``).

Defined in chapter 11 (Batch normalization).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes._validate import (
    NonFiniteInputError,
    check_array,
    check_float_array,
    check_int,
    check_same_shape,
    check_scalar,
)
from dlnotes.layers._base import (
    MODES,
    Layer,
    cache_mismatch,
    check_cache,
    check_float_dtype,
    check_mode,
)

__all__ = [
    "BatchNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "batchnorm_backward",
    "batchnorm_forward",
    "layernorm_backward",
    "layernorm_forward",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
    "update_running_stats_in_place",
]


def _check_affine(name: str, X: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> int:
    for aname, a in (("X", X), ("gamma", gamma), ("beta", beta)):
        check_array(aname, a, where=name)
    if X.ndim != 2:
        raise ValueError(f"{name}: X must have shape (N, D), got {X.shape}")
    D = X.shape[1]
    for pname, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (D,):
            raise ValueError(
                f"{name}: {pname} must have shape ({D},) to match X {X.shape}, got {p.shape}"
            )
    return D


def _normalized_backward(
    dxhat: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray, axis: int
) -> np.ndarray:
    """dL/dX for ``xhat = (X - mean(X)) * inv_std`` with statistics over ``axis`` (size ``n``):

    dX = inv_std / n * (n * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))
    """
    n = xhat.shape[axis]
    sum_dxhat = dxhat.sum(axis=axis, keepdims=True)
    sum_dxhat_xhat = (dxhat * xhat).sum(axis=axis, keepdims=True)
    return (inv_std / n) * (n * dxhat - sum_dxhat - xhat * sum_dxhat_xhat)


def update_running_stats_in_place(
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    batch_mean: np.ndarray,
    batch_var: np.ndarray,
    n: int,
    momentum: float,
) -> None:
    """Batch normalization's running statistics, updated *in place* (torch's convention)::

        running_mean <- (1 - momentum) * running_mean + momentum * batch_mean
        running_var  <- (1 - momentum) * running_var  + momentum * batch_var * n / (n - 1)

    ``batch_var`` is the biased variance of a batch of ``n`` examples; the running variance
    tracks the unbiased one. All arrays have one shape; ``None`` skips a statistic;
    ``running_mean`` and ``running_var`` must be two separate arrays. Batch statistics that are
    not finite, a negative ``batch_var``, or an update that would overflow (a float32 running
    variance beyond 3.4e38) are refused before anything changes (a NaN or an inf would stay in
    the model for good). Chapter 11's exercise ``update_running_stats`` is the same update
    returning new arrays.

    Defined in chapter 11 (Batch normalization).
    """
    where = "update_running_stats_in_place"
    n = check_int("n", n, low=2)
    momentum = check_scalar("momentum", momentum, low=0.0, high=1.0)
    _check_separate(running_mean, running_var, where=where)
    # Everything is checked before either statistic changes: no error leaves half an update.
    for name, stat, bname, batch in (
        ("running_mean", running_mean, "batch_mean", batch_mean),
        ("running_var", running_var, "batch_var", batch_var),
    ):
        if stat is None:
            continue
        check_array(bname, batch, where=where)
        check_same_shape(name, stat, batch.shape, where=where, what=bname)
        for what, arr in ((name, stat), (bname, batch)):
            if arr.dtype.kind != "f":
                raise TypeError(f"{where}: {what} must be a float array, got dtype {arr.dtype}")
        if not stat.flags.writeable:
            raise ValueError(f"{where}: {name} is read-only; it is updated in place")
        if not np.all(np.isfinite(batch)):
            raise NonFiniteInputError(
                f"{where}: {bname} must be finite (a NaN or an inf would stay in the running "
                "statistics for good); nothing was updated"
            )
        if bname == "batch_var" and not np.all(batch >= 0):
            raise ValueError(f"{where}: batch_var must be >= 0 (a variance); nothing was updated")
    _update_running_stats(
        running_mean, running_var, batch_mean, batch_var, n, momentum, where=where
    )


def _update_running_stats(
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    batch_mean: np.ndarray,
    batch_var: np.ndarray,
    n: int,
    momentum: float,
    *,
    where: str = "update_running_stats_in_place",
) -> None:
    """:func:`update_running_stats_in_place` without its checks on the arguments, for callers
    that made them: the new statistics are computed first (in the statistics' own dtypes,
    exactly as the in-place update would) and written only if both are finite. An update that
    overflows (a float32 running variance beyond 3.4e38, from finite batch statistics) raises
    :class:`~dlnotes._validate.NonFiniteInputError` naming ``where``, and nothing changes."""
    new: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
        if running_mean is not None:
            mean = running_mean * (1 - momentum)
            mean += momentum * batch_mean
            new["running_mean"] = (running_mean, mean)
        if running_var is not None:
            var = running_var * (1 - momentum)
            var += (momentum * n / (n - 1)) * batch_var
            new["running_var"] = (running_var, var)
    for name, (stat, value) in new.items():
        if not np.all(np.isfinite(value)):
            bad = int(np.flatnonzero(~np.isfinite(value))[0])
            batch = batch_mean if name == "running_mean" else batch_var
            raise NonFiniteInputError(
                f"{where}: the batch statistics must keep {name} finite, but the update would "
                f"overflow {stat.dtype} (entry {bad} would become {value.flat[bad]}; the batch "
                f"statistic there is {batch.flat[bad]}); the running statistics were left "
                "unchanged (an inf would stay in them for good). A diverging network upstream "
                "is the usual cause: lower the learning rate."
            )
    for stat, value in new.values():
        stat[...] = value


def _check_separate(
    running_mean: np.ndarray | None, running_var: np.ndarray | None, *, where: str
) -> None:
    """Refuse one memory for both running statistics: the in-place update would apply both
    rules to it, one after the other, without an error."""
    if (
        isinstance(running_mean, np.ndarray)
        and isinstance(running_var, np.ndarray)
        and np.may_share_memory(running_mean, running_var)
        and np.shares_memory(running_mean, running_var)
    ):
        raise ValueError(
            f"{where}: running_mean and running_var must be two separate arrays, got the same "
            "memory for both"
        )


def _check_running_stats(
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    shape: tuple[int, ...],
    mode: str,
    where: str = "batchnorm_forward",
) -> None:
    """Refuse running statistics :func:`batchnorm_forward` cannot use: two views of one memory,
    another shape than ``gamma``'s, and in train mode (which updates them in place) a non-float
    or read-only array, up front, so that an update never fails half-way (the mean updated, the
    variance not); in eval mode a missing, negative, infinite or NaN statistic (``O(D)``: any of
    them makes every output NaN). ``where`` names the caller in the messages (autograd's
    ``batch_norm`` shares these checks)."""
    _check_separate(running_mean, running_var, where=where)
    for sname, s in (("running_mean", running_mean), ("running_var", running_var)):
        if s is None:
            continue
        check_array(sname, s, where=where)
        if s.shape != shape:
            raise ValueError(f"{where}: {sname} must have shape {shape}, got {s.shape}")
        if mode == "train" and s.dtype.kind != "f":
            raise TypeError(
                f"{where}: {sname} must be a floating-point array (train mode "
                f"updates it in place), got dtype {s.dtype}"
            )
        if mode == "train" and not s.flags.writeable:
            raise ValueError(
                f"{where}: {sname} must be writeable (train mode updates it in "
                "place), got a read-only array"
            )
    if mode == "train":
        return
    if running_mean is None or running_var is None:
        raise ValueError(f"{where}: eval mode needs running_mean and running_var")
    if not np.all(running_var >= 0):
        bad = int(np.flatnonzero(~(running_var >= 0))[0])
        if np.isnan(running_var[bad]):
            raise NonFiniteInputError(
                f"{where}: running_var must be finite in eval mode, got running_var[{bad}] "
                "= nan (statistics of a diverged run?)"
            )
        raise ValueError(
            f"{where}: running_var must be >= 0 (a variance), got "
            f"running_var[{bad}] = {running_var[bad]}"
        )
    if not (np.all(np.isfinite(running_mean)) and np.all(np.isfinite(running_var))):
        raise NonFiniteInputError(
            f"{where}: running_mean and running_var must be finite in eval mode, "
            "got inf or NaN (statistics of a diverged run?)"
        )


def _batch_statistics(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mu, X − mu, var)`` of a train-mode batch ``X (N, D)``, ``N >= 2``, all finite: a batch
    whose statistics are not (inf or NaN in ``X``, or a variance beyond float range) raises
    :class:`~dlnotes._validate.NonFiniteInputError` before anything is updated."""
    if X.shape[0] < 2:
        raise ValueError(
            f"batchnorm_forward: train mode needs at least 2 examples per batch to "
            f"estimate a variance, got X of shape {X.shape}"
        )
    with np.errstate(invalid="ignore", over="ignore"):  # inf/NaN is reported just below
        mu = X.mean(axis=0)
        centered = X - mu
        var = (centered * centered).mean(axis=0)
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(var))):
        bad = int(np.flatnonzero(~(np.isfinite(mu) & np.isfinite(var)))[0])
        what = (
            "values so large that their variance is beyond float range"
            if np.all(np.isfinite(X[:, bad]))
            else "inf or NaN"
        )
        raise NonFiniteInputError(
            f"batchnorm_forward: the batch X holds {what} (feature {bad} of {X.shape[1]} "
            f"has batch mean {mu[bad]} and variance {var[bad]}); the running statistics "
            "were left unchanged. A diverging network upstream is the usual cause: lower the "
            "learning rate."
        )
    return mu, centered, var


def batchnorm_forward(
    X: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    mode: str = "train",
    *,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Batch normalization of ``X (N, D)``; ``gamma, beta, running_mean, running_var`` are ``(D,)``.

    Train mode: ``mu = mean_n X``, ``var = mean_n (X - mu)^2`` (biased), ``xhat = (X - mu) /
    sqrt(var + eps)``, ``out = gamma * xhat + beta``, and *in place*

        running_mean <- (1 - momentum) * running_mean + momentum * mu
        running_var  <- (1 - momentum) * running_var  + momentum * var * N / (N - 1)

    (skipped when they are None). Eval mode (or ``"test"``): ``xhat = (X - running_mean) /
    sqrt(running_var + eps)``. Returns ``(out, cache)``.

    A train-mode batch whose statistics are not finite (inf or NaN in ``X``, e.g. a diverging
    network) raises :class:`~dlnotes._validate.NonFiniteInputError` (a ``ValueError`` and a
    :class:`~dlnotes._validate.NonFiniteError`) *before* the running statistics are touched, so
    one bad batch never ruins the model's test-time behaviour; so does a finite batch whose
    statistics would overflow the running ones (a float64 batch with variance 1e40 and float32
    running statistics, whose range ends at 3.4e38). The checks cost ``O(D)``: they look at the
    batch mean and variance, which are not finite whenever ``X`` is not, and at the updated
    statistics.

    Defined in chapter 11 (Batch normalization).
    """
    mode = check_mode(mode)
    _check_affine("batchnorm_forward", X, gamma, beta)
    momentum = check_scalar("momentum", momentum, low=0.0, high=1.0)
    eps = check_scalar("eps", eps, low=0.0, low_inclusive=False)
    _check_running_stats(running_mean, running_var, gamma.shape, mode)
    if mode == "train":
        mu, centered, var = _batch_statistics(X)
        inv_std = 1 / np.sqrt(var + eps)
        xhat = centered * inv_std
        # the running statistics were checked above (shape, float dtype, writeable); an
        # update that would overflow them is refused before either changes
        _update_running_stats(
            running_mean, running_var, mu, var, X.shape[0], momentum, where="batchnorm_forward"
        )
    else:
        assert running_mean is not None and running_var is not None  # checked above
        inv_std = 1 / np.sqrt(running_var + eps)
        xhat = (X - running_mean) * inv_std
    out = gamma * xhat + beta
    return out, (mode, xhat, inv_std, gamma)


def batchnorm_backward(
    dout: np.ndarray, cache: tuple[Any, ...], *, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of batch normalization, given ``dout (N, D)``:

        dgamma = sum_n dout * xhat        dbeta = sum_n dout        dxhat = dout * gamma
        train: dX = inv_std / N * (N dxhat - sum_n dxhat - xhat * sum_n (dxhat * xhat))
        eval:  dX = dxhat * inv_std       (the running statistics are constants)

    Returns ``(dX, dgamma, dbeta)``; ``dX`` is None when ``input_grad=False``.

    Defined in chapter 11 (Batch normalization).
    """
    where, forward = "batchnorm_backward", "batchnorm_forward"
    items = (None, "xhat, the normalized input", "inv_std, 1 / sqrt(var + eps)", "gamma")
    mode, xhat, inv_std, gamma = check_cache(cache, items, where=where, forward=forward)
    if not (isinstance(mode, str) and mode in MODES):
        raise cache_mismatch(
            where, forward, f"its first item must be 'train' or 'eval', got {mode!r}"
        )
    _check_normalized_cache(where, forward, xhat, inv_std, gamma, inv_std_shape=gamma.shape)
    check_float_array("dout", dout, where="batchnorm_backward")
    if dout.shape != xhat.shape:
        raise ValueError(f"batchnorm_backward: dout must have shape {xhat.shape}, got {dout.shape}")
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    if not input_grad:
        return None, dgamma, dbeta
    dxhat = dout * gamma
    if mode == "eval":
        return dxhat * inv_std, dgamma, dbeta
    return _normalized_backward(dxhat, xhat, inv_std, axis=0), dgamma, dbeta


def _channels_last(X: np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` -> ``(N*H*W, C)``: one row per pixel, one column per channel."""
    return np.moveaxis(X, 1, -1).reshape(-1, X.shape[1])


def _channels_first(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of :func:`_channels_last` for an array of ``shape = (N, C, H, W)``."""
    N, C, H, W = shape
    return np.moveaxis(rows.reshape(N, H, W, C), -1, 1)


def spatial_batchnorm_forward(
    X: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    mode: str = "train",
    *,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Batch normalization of feature maps ``X (N, C, H, W)`` with one ``mu_c, var_c`` per channel.

    A convolution applies the same filter at every position, so a channel's statistics are taken
    over the batch *and* the spatial positions, ``m = N*H*W`` numbers per channel:

        mu_c = mean_{n,h,w} X[n,c,h,w]     var_c = mean_{n,h,w} (X[n,c,h,w] - mu_c)^2
        out[n,c,h,w] = gamma_c (X[n,c,h,w] - mu_c) / sqrt(var_c + eps) + beta_c

    ``gamma, beta, running_mean, running_var`` have shape ``(C,)``; the running variance is
    updated with the unbiased ``var_c * m / (m - 1)``, as torch's ``nn.BatchNorm2d``. Computed as
    :func:`batchnorm_forward` on the ``(N*H*W, C)`` matrix of pixels. Returns ``(out, cache)``.

    Defined in chapter 11 (Batch normalization).
    """
    check_array("X", X, where="spatial_batchnorm_forward")
    if X.ndim != 4:
        raise ValueError(
            f"spatial_batchnorm_forward: X must have shape (N, C, H, W), got {X.shape}"
        )
    where = "spatial_batchnorm_forward"
    C = X.shape[1]
    for name, a in (
        ("gamma", gamma),
        ("beta", beta),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        if a is not None:
            check_array(name, a, where=where)
            if a.shape != (C,):
                raise ValueError(
                    f"{where}: {name} must have shape ({C},), one entry per channel of X "
                    f"{X.shape}, got {a.shape}"
                )
    if check_mode(mode) == "train" and X.shape[0] * X.shape[2] * X.shape[3] < 2:
        raise ValueError(
            f"{where}: train mode needs at least 2 values per channel (N*H*W >= 2) to estimate "
            f"a variance, got X of shape {X.shape}"
        )
    try:
        out, cache = batchnorm_forward(
            _channels_last(X),
            gamma,
            beta,
            running_mean,
            running_var,
            mode,
            momentum=momentum,
            eps=eps,
        )
    except (TypeError, ValueError) as err:  # name this function, not the one it calls
        msg = str(err).replace("batchnorm_forward:", f"{where}:", 1)
        raise type(err)(msg) from None
    return _channels_first(out, X.shape), (X.shape, cache)


def spatial_batchnorm_backward(
    dout: np.ndarray, cache: tuple[Any, ...], *, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`spatial_batchnorm_forward`, given ``dout (N, C, H, W)``: the
    :func:`batchnorm_backward` formulas with every sum over ``n, h, w``. Returns
    ``(dX, dgamma, dbeta)``.

    Defined in chapter 11 (Batch normalization).
    """
    where = "spatial_batchnorm_backward"
    shape, inner = check_cache(
        cache, (None, None), where=where, forward="spatial_batchnorm_forward"
    )
    is_shape = (
        isinstance(shape, tuple)
        and len(shape) == 4
        and all(isinstance(d, (int, np.integer)) for d in shape)
    )
    if not (is_shape and isinstance(inner, tuple) and len(inner) == 4):
        raise TypeError(
            f"{where}: cache must be what spatial_batchnorm_forward returned, a pair (X.shape "
            f"(N, C, H, W), batchnorm_forward's cache of 4 items), got {_summary(cache)}"
        )
    check_float_array("dout", dout, where=where)
    if dout.shape != shape:
        raise ValueError(
            f"spatial_batchnorm_backward: dout must have shape {shape}, got {dout.shape}"
        )
    dX, dgamma, dbeta = batchnorm_backward(_channels_last(dout), inner, input_grad=input_grad)
    return (None if dX is None else _channels_first(dX, shape)), dgamma, dbeta


def _check_normalized_cache(
    where: str,
    forward: str,
    xhat: np.ndarray,
    inv_std: np.ndarray,
    gamma: np.ndarray,
    *,
    inv_std_shape: tuple[int, ...],
) -> None:
    """A normalization cache's arrays must fit together: ``xhat (N, D)``, ``gamma (D,)`` and
    ``inv_std`` of ``inv_std_shape`` (``(D,)`` per feature, ``(N, 1)`` per example)."""
    ok = xhat.ndim == 2 and gamma.shape == xhat.shape[1:] and inv_std.shape == inv_std_shape
    if not ok:
        raise cache_mismatch(
            where,
            forward,
            f"xhat (N, D), inv_std {inv_std_shape if xhat.ndim == 2 else '(...)'} and gamma "
            f"(D,) do not fit together, got shapes {xhat.shape}, {inv_std.shape} and "
            f"{gamma.shape}",
        )


def _summary(cache: tuple[Any, ...]) -> str:
    """A cache's items for a message: numbers and short tuples as they are, others by type."""
    parts = []
    for item in cache:
        text = repr(item)
        short = isinstance(item, (int, np.integer, tuple)) and len(text) < 40
        parts.append(text if short else type(item).__name__)
    return "(" + ", ".join(parts) + ")"


def layernorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Layer normalization of each row of ``X (N, D)``; ``gamma, beta`` are ``(D,)``.

    ``mu_n = mean_d X[n]``, ``var_n = mean_d (X[n] - mu_n)^2``, ``xhat = (X - mu) /
    sqrt(var + eps)``, ``out = gamma * xhat + beta``. Identical in train and eval mode.

    Defined in chapter 11 (Batch normalization).
    """
    _check_affine("layernorm_forward", X, gamma, beta)
    eps = check_scalar("eps", eps, low=0.0, low_inclusive=False)
    mu = X.mean(axis=1, keepdims=True)
    centered = X - mu
    var = (centered * centered).mean(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    xhat = centered * inv_std
    return gamma * xhat + beta, (xhat, inv_std, gamma)


def layernorm_backward(
    dout: np.ndarray, cache: tuple[Any, ...], *, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of layer normalization: the BatchNorm formula with the sums over features and
    ``dxhat = gamma * dout`` inside them (gamma differs per feature, so it cannot come out).

        dX = inv_std / D * (D dxhat - sum_d dxhat - xhat * sum_d (dxhat * xhat)),
        dxhat = dout * gamma,  dgamma = sum_n dout * xhat,  dbeta = sum_n dout

    Defined in chapter 11 (Batch normalization).
    """
    where, forward = "layernorm_backward", "layernorm_forward"
    items = ("xhat, the normalized input", "inv_std, 1 / sqrt(var + eps)", "gamma")
    xhat, inv_std, gamma = check_cache(cache, items, where=where, forward=forward)
    _check_normalized_cache(
        where, forward, xhat, inv_std, gamma, inv_std_shape=(*xhat.shape[:1], 1)
    )
    check_float_array("dout", dout, where="layernorm_backward")
    if dout.shape != xhat.shape:
        raise ValueError(f"layernorm_backward: dout must have shape {xhat.shape}, got {dout.shape}")
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    if not input_grad:
        return None, dgamma, dbeta
    return _normalized_backward(dout * gamma, xhat, inv_std, axis=1), dgamma, dbeta


def _check_dtype(dtype: Any) -> np.dtype:
    return check_float_dtype(dtype)


class _Normalization(Layer):
    """What batch and layer normalization share: ``num_features``, ``eps``, the parameters
    ``gamma`` (ones) and ``beta`` (zeros), never penalized, and a backward pass that stores
    ``[dgamma, dbeta]``. A subclass names its functional pair in ``_backward_fn`` and writes
    ``_forward``."""

    #: ``(dout, cache, input_grad=...) -> (dX, dgamma, dbeta)``, the layer's backward function.
    _backward_fn: Callable[..., tuple[np.ndarray | None, np.ndarray, np.ndarray]]

    def __init__(self, num_features: int, *, eps: float, dtype: Any) -> None:
        super().__init__()
        D = check_int("num_features", num_features, low=1)  # 3.0 is refused, as torch does
        self.in_features = self.out_features = D
        self.eps = check_scalar("eps", eps, low=0.0, low_inclusive=False)
        dt = _check_dtype(dtype)
        self.params = [np.ones(D, dtype=dt), np.zeros(D, dtype=dt)]
        self.param_names = ["gamma", "beta"]
        self.penalized = [False, False]
        self.grads = [np.zeros_like(p) for p in self.params]

    @property
    def gamma(self) -> np.ndarray:
        return self.params[0]

    @property
    def beta(self) -> np.ndarray:
        return self.params[1]

    def _backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        dX, dgamma, dbeta = self._backward_fn(dout, self.cache, input_grad=input_grad)
        self.grads = [dgamma, dbeta]
        return dX


class BatchNorm(_Normalization):
    """Batch normalization over the batch axis of ``(N, num_features)`` (torch's BatchNorm1d).

    Parameters ``gamma`` (ones) and ``beta`` (zeros); buffers ``running_mean`` (zeros) and
    ``running_var`` (ones), updated in train mode with ``momentum`` (torch's convention, see
    the module docstring) and used in eval mode.

    Defined in chapter 11 (Batch normalization).
    """

    #: The functional pair this layer runs (:class:`BatchNorm2d`: the spatial one).
    _forward_fn = staticmethod(batchnorm_forward)
    _backward_fn = staticmethod(batchnorm_backward)

    def __init__(
        self,
        num_features: int,
        *,
        momentum: float = 0.1,
        eps: float = 1e-5,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__(num_features, eps=eps, dtype=dtype)
        self.momentum = check_scalar("momentum", momentum, low=0.0, high=1.0)
        D, dt = self.gamma.shape[0], self.gamma.dtype
        self.buffers = {"running_mean": np.zeros(D, dtype=dt), "running_var": np.ones(D, dtype=dt)}

    @property
    def running_mean(self) -> np.ndarray:
        return self.buffers["running_mean"]

    @property
    def running_var(self) -> np.ndarray:
        return self.buffers["running_var"]

    def describe(self) -> str:
        return f"BatchNorm({self.in_features})"

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = self._forward_fn(
            X,
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            self.mode,
            momentum=self.momentum,
            eps=self.eps,
        )
        return out


#: torch's name for the same layer.
BatchNorm1d = BatchNorm


class BatchNorm2d(BatchNorm):
    """Batch normalization per channel of feature maps ``(N, num_features, H, W)`` (torch's
    ``nn.BatchNorm2d``): statistics over the batch and every spatial position, see
    :func:`spatial_batchnorm_forward`. Parameters and buffers as :class:`BatchNorm`.

    Defined in chapter 11 (Batch normalization).
    """

    in_features = None  # any (N, C, H, W): the channel count is checked in forward
    _forward_fn = staticmethod(spatial_batchnorm_forward)
    _backward_fn = staticmethod(spatial_batchnorm_backward)

    def __init__(self, num_features: int, **kwargs: Any) -> None:
        super().__init__(num_features, **kwargs)
        self.channels = self.out_features
        self.in_features = self.out_features = None

    def describe(self) -> str:
        return f"BatchNorm2d({self.channels})"

    def _forward(self, X: np.ndarray) -> np.ndarray:
        if X.ndim != 4 or X.shape[1] != self.channels:
            raise ValueError(
                f"{self.name}: expected input of shape (N, {self.channels}, H, W), got {X.shape}"
            )
        return super()._forward(X)


class LayerNorm(_Normalization):
    """Layer normalization over the features of each row of ``(N, num_features)``.

    Parameters ``gamma`` (ones) and ``beta`` (zeros); no running statistics, the same in train
    and eval mode (torch's ``nn.LayerNorm(num_features)``).

    Defined in chapter 11 (Batch normalization).
    """

    _backward_fn = staticmethod(layernorm_backward)

    def __init__(self, num_features: int, *, eps: float = 1e-5, dtype: Any = np.float32) -> None:
        super().__init__(num_features, eps=eps, dtype=dtype)

    def describe(self) -> str:
        return f"LayerNorm({self.in_features})"

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out, self.cache = layernorm_forward(X, self.gamma, self.beta, eps=self.eps)
        return out
