"""Losses and penalties, each returning its value *and* its gradient.

=========================  ==============================================================
``softmax_cross_entropy``  ``L = -(1/N) sum_n log softmax(z_n)[y_n]``, stable for huge logits
``sigmoid_cross_entropy``  ``L = -(1/M) sum [y log s(z) + (1-y) log(1-s(z))]``, from logits
``mse``                    ``L = (1/(N*K)) sum (pred - target)^2`` (torch's ``MSELoss``)
``l2_penalty``             ``R = (lam/2) sum_W ||W||_F^2``, ``dR/dW = lam * W``
``l1_penalty``             ``R = lam sum_W |W|``, ``dR/dW = lam * sign(W)``
=========================  ==============================================================

With ``lam/2`` in the L2 penalty, adding it to the loss and taking an SGD step is exactly SGD
with ``weight_decay=lam`` (chapter 09). Courses that write ``(lambda / (2m)) ||W||^2`` use
``lam = lambda / m``.

Defined in chapter 01 (Setting up a learning problem).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from dlnotes._validate import check_finite, check_scalar

__all__ = [
    "accuracy",
    "check_labels",
    "expected_calibration_error",
    "get_loss",
    "l1_penalty",
    "l2_penalty",
    "log_softmax",
    "mse",
    "penalty",
    "sigmoid_cross_entropy",
    "softmax",
    "softmax_cross_entropy",
]


def _check_float(name: str, x: Any) -> np.ndarray:
    """Require a float32 or float64 numpy array (float16 overflows: ``N · Σ exp`` of 20000
    rows of logits already does, and a float16 gradient comes back silently wrong)."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{name} must be a floating-point numpy array, got {got}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name} must be a float32 or float64 array, got dtype {x.dtype} (float16 overflows "
            "in the sums of a loss and its gradient; use x.astype(np.float32))"
        )
    return x


def _check_logits(name: str, logits: np.ndarray) -> np.ndarray:
    _check_float(name, logits)
    if logits.ndim != 2 or logits.shape[1] < 1:
        raise ValueError(f"{name} must have shape (N, C), got {logits.shape}")
    return logits


def check_labels(y: np.ndarray, n_examples: int, n_classes: int, name: str = "y") -> np.ndarray:
    """Require integer class labels of shape ``(N,)`` with values in ``[0, n_classes)``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    n_examples = int(check_scalar("n_examples", n_examples, low=0, integer=True))
    n_classes = int(check_scalar("n_classes", n_classes, low=1, integer=True))
    y = np.asarray(y)
    if y.dtype.kind in "USO":
        raise TypeError(
            f"{name} must hold integer class indices in [0, {n_classes}), got dtype {y.dtype} "
            "(map class names to indices first)"
        )
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    if y.shape != (n_examples,):
        raise ValueError(
            f"{name} must have shape ({n_examples},) to match the logits, got {y.shape}"
        )
    if n_examples:
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            at = int(np.flatnonzero(y == bad)[0])
            raise ValueError(
                f"{name} must hold class indices in [0, {n_classes}) for logits with "
                f"{n_classes} columns, got {name}[{at}] = {bad}"
            )
    return y


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``softmax(z)_c = exp(z_c - max z) / sum_k exp(z_k - max z)``, shape ``(N, C)``.

    Subtracting the row maximum changes nothing mathematically and keeps ``exp`` from
    overflowing.

    Defined in chapter 01 (Setting up a learning problem).
    """
    logits = _check_logits("logits", logits)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``log softmax(z)_c = z_c - max z - log sum_k exp(z_k - max z)``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    logits = _check_logits("logits", logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the softmax of ``logits (N, C)`` against labels ``y (N,)``.

        L = (1/N) sum_n [ log sum_c exp(z_nc) - z_{n, y_n} ]
        dL/dz = (softmax(z) - onehot(y)) / N

    Computed with the row maximum subtracted, so logits of 1e4 are fine. Equals torch's
    ``F.cross_entropy(logits, y)``. Returns ``(loss, dlogits)``, ``dlogits`` of shape ``(N, C)``.

    Unlike :func:`accuracy`, non-finite logits are not refused, as in torch: ``-inf`` is a class
    of probability 0 (a mask), and ``+inf`` or NaN (a diverged model) give a NaN loss, which
    :func:`dlnotes.train.fit` and training loops read as divergence.

    Defined in chapter 01 (Setting up a learning problem).
    """
    logits = _check_logits("logits", logits)
    N, C = logits.shape
    y = check_labels(y, N, C)
    if N == 0:
        raise ValueError("logits must hold at least one example, got shape (0, C)")
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1)
    rows = np.arange(N)
    loss = (float(np.log(sum_exp).sum()) - float(shifted[rows, y].sum())) / N
    dlogits = exp
    dlogits *= (1 / (N * sum_exp))[:, None]  # softmax / N
    dlogits[rows, y] -= 1 / N
    return loss, dlogits


def sigmoid_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of ``sigmoid(logits)`` against targets ``y`` in [0, 1], from logits.

    For ``M`` entries ``z`` (shape ``(N,)`` or ``(N, 1)``; ``y`` of shape ``(N,)`` is accepted
    for ``(N, 1)`` logits) with ``s(z) = 1 / (1 + exp(-z))``:

        L = -(1/M) sum [ y log s(z) + (1 - y) log(1 - s(z)) ]
          =  (1/M) sum [ max(z, 0) - z y + log(1 + exp(-|z|)) ]
        dL/dz = (s(z) - y) / M

    The second form never exponentiates a positive number, so logits of ±1e4 give finite
    values (the naive form takes ``log 0``). It equals softmax cross-entropy over the two logits
    ``(0, z)``: two-class softmax *is* logistic regression. Equals torch's
    ``nn.BCEWithLogitsLoss()`` (mean reduction). Returns ``(loss, dlogits)``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    _check_float("logits", logits)
    if not (logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1)):
        raise ValueError(f"logits must have shape (N,) or (N, 1), got {logits.shape}")
    if logits.size == 0:
        raise ValueError("logits must hold at least one example, got an empty array")
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must hold 0/1 labels or probabilities, got dtype {y.dtype}")
    if y.shape != logits.shape:
        if logits.ndim == 2 and y.shape == (logits.shape[0],):
            y = y[:, None]
        else:
            raise ValueError(f"y must have the shape of logits {logits.shape}, got {y.shape}")
    if not (np.all(y >= 0) and np.all(y <= 1)):
        raise ValueError(f"y must hold targets in [0, 1], got values from {y.min()} to {y.max()}")
    z = logits
    t = y.astype(z.dtype, copy=False)
    softplus_neg_abs = np.log1p(np.exp(-np.abs(z)))  # log(1 + exp(-|z|)) without overflow
    loss = float(np.mean(np.maximum(z, 0) - z * t + softplus_neg_abs))
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1, e) / (1 + e)  # the stable sigmoid
    return loss, ((s - t) / z.size).astype(z.dtype, copy=False)


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all ``M`` entries: ``L = (1/M) sum (pred - target)^2``.

    ``dL/dpred = 2 (pred - target) / M``. Equals torch's ``nn.MSELoss()`` (mean reduction).
    A target of shape ``(N,)`` is accepted for predictions of shape ``(N, 1)``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    _check_float("pred", pred)
    target = np.asarray(target)
    if target.dtype.kind not in "biuf":
        raise TypeError(f"target must be real-valued, got dtype {target.dtype}")
    if target.shape != pred.shape:
        if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == (pred.shape[0],):
            target = target[:, None]
        else:
            raise ValueError(f"target must have the shape of pred {pred.shape}, got {target.shape}")
    if pred.size == 0:
        raise ValueError("pred must not be empty")
    diff = pred - target.astype(pred.dtype, copy=False)
    loss = float(np.mean(diff * diff))
    diff *= 2 / pred.size
    return loss, diff


def _check_weights(weights: Sequence[np.ndarray] | np.ndarray) -> list[np.ndarray]:
    """``weights`` as a list of float arrays; the message names the entry and its dtype."""
    if isinstance(weights, np.ndarray):
        weights = [weights]
    if isinstance(weights, (str, bytes, Mapping)) or not hasattr(weights, "__iter__"):
        hint = " (pass list(weights.values()))" if isinstance(weights, Mapping) else ""
        raise TypeError(
            "weights must be a float array or a list of float arrays (model.weights), got "
            f"{type(weights).__name__}{hint}"
        )
    out = list(weights)
    for k, W in enumerate(out):
        _check_float(f"weights[{k}]", W)
    return out


def l2_penalty(
    weights: Sequence[np.ndarray] | np.ndarray, lam: float
) -> tuple[float, list[np.ndarray]]:
    """``R = (lam/2) * sum_W ||W||_F^2`` and its gradients ``[lam * W for W in weights]``.

    Pass only the weights (not biases or normalization parameters):
    :attr:`dlnotes.model.Sequential.weights`.

    Defined in chapter 09 (Regularization).
    """
    lam = check_scalar("lam", lam, low=0.0)
    ws = _check_weights(weights)
    value = 0.5 * lam * sum(float(np.vdot(W, W)) for W in ws)
    return value, [lam * W for W in ws]


def l1_penalty(
    weights: Sequence[np.ndarray] | np.ndarray, lam: float
) -> tuple[float, list[np.ndarray]]:
    """``R = lam * sum_W sum |W|`` and its (sub)gradients ``[lam * sign(W)]`` (0 at 0).

    Makes the weights sparse, unlike L2: plain (sub)gradient steps leave them hovering within
    about ``lr * lam`` of zero rather than exactly on it; exact zeros come from the proximal
    (soft-threshold) step, ``sign(z) * max(|z| - lr * lam, 0)`` with ``z = W - lr * grad``.

    Defined in chapter 09 (Regularization).
    """
    lam = check_scalar("lam", lam, low=0.0)
    ws = _check_weights(weights)
    value = lam * sum(float(np.abs(W).sum()) for W in ws)
    return value, [lam * np.sign(W) for W in ws]


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is at the label: ``mean(argmax_c z_nc == y_n)``.

    Logits holding inf or NaN raise :class:`~dlnotes._validate.NonFiniteError`; an empty batch
    raises ``ValueError``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    logits = _check_logits("logits", logits)
    y = check_labels(y, logits.shape[0], logits.shape[1])
    if logits.shape[0] == 0:
        raise ValueError("logits must hold at least one example, got shape (0, C)")
    # a NaN row's argmax is its first NaN: a plausible-looking accuracy of a diverged model
    check_finite("logits", logits, where="in accuracy (a diverged model?)")
    return float(np.mean(logits.argmax(axis=1) == y))


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """How far a classifier's confidence is from its accuracy, on average (ECE).

    ``probs (N, C)`` are predicted class probabilities (rows of a softmax), ``y (N,)`` the
    labels (each row must sum to 1 within rounding). Each example's confidence is its largest
    probability; the examples are grouped in ``bins`` equal-width confidence bins
    ``(k/bins, (k+1)/bins]``, and::

        ECE = sum_k (n_k / N) · | mean confidence in bin k − accuracy in bin k |

    0 for a calibrated model; an overconfident one has confidence above accuracy.

    Defined in chapter 09 (Regularization).
    """
    probs = _check_logits("probs", probs)
    y = check_labels(y, probs.shape[0], probs.shape[1])
    bins = int(check_scalar("bins", bins, low=1, integer=True))
    if probs.shape[0] == 0:
        raise ValueError("probs must hold at least one example, got shape (0, C)")
    if not np.all((probs >= 0) & (probs <= 1)):  # also False for NaN
        raise ValueError("probs must be probabilities in [0, 1] (rows of a softmax, not logits)")
    sums = probs.sum(axis=1, dtype=np.float64)
    tol = max(1e-4, 10 * probs.shape[1] * float(np.finfo(probs.dtype).eps))
    off = np.abs(sums - 1.0) > tol
    if np.any(off):
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"probs must have rows summing to 1 (rows of a softmax), got row {row} summing "
            f"to {sums[row]:.6g}"
        )
    if bins > 10**6:
        raise ValueError(f"bins must be <= 1000000 (equal-width confidence bins), got {bins}")
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    # each example's bin k, with edges[k] < conf <= edges[k + 1]; only non-empty bins are visited
    bin_of = np.searchsorted(edges, conf, side="left") - 1
    total = 0.0
    for k in np.unique(bin_of[(bin_of >= 0) & (bin_of < bins)]):
        in_bin = bin_of == k
        total += np.mean(in_bin) * abs(conf[in_bin].mean() - right[in_bin].mean())
    return float(total)


LossFn = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]

_LOSSES: dict[str, LossFn] = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "cross_entropy": softmax_cross_entropy,
    "sigmoid_cross_entropy": sigmoid_cross_entropy,
    "binary_cross_entropy": sigmoid_cross_entropy,
    "mse": mse,
}


def get_loss(loss: str | LossFn) -> LossFn:
    """A loss by name (``"softmax_cross_entropy"`` / ``"cross_entropy"``,
    ``"sigmoid_cross_entropy"`` / ``"binary_cross_entropy"``, ``"mse"``) or the callable
    itself: ``loss(output, target) -> (value, doutput)``.

    Defined in chapter 01 (Setting up a learning problem).
    """
    if isinstance(loss, str):
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {sorted(_LOSSES)} or a callable, got {loss!r}")
        return _LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {loss!r}")
    return loss


def penalty(
    weights: Sequence[np.ndarray], *, l2: float = 0.0, l1: float = 0.0
) -> tuple[float, list[np.ndarray] | None]:
    """The sum of :func:`l2_penalty` (``lam = l2``) and :func:`l1_penalty` (``lam = l1``).

    Returns ``(value, grads)`` with ``grads`` aligned with ``weights``, or ``(0.0, None)`` when
    both strengths are 0.

    Defined in chapter 09 (Regularization).
    """
    l2 = check_scalar("l2", l2, low=0.0)
    l1 = check_scalar("l1", l1, low=0.0)
    weights = _check_weights(weights)  # a list: a generator would be used up by the first term
    if l2 == 0 and l1 == 0:
        return 0.0, None
    value = 0.0
    grads: list[np.ndarray] | None = None
    for lam, fn in ((l2, l2_penalty), (l1, l1_penalty)):
        if lam:
            v, g = fn(weights, lam)
            value += v
            grads = g if grads is None else [a + b for a, b in zip(grads, g)]
    return value, grads
