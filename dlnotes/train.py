"""The training loop: ``fit`` with history, callbacks, early stopping, progress and diagnostics.

::

    model = mlp([64, 128, 10], seed=0)
    opt = dlnotes.optim.SGD(model.params, lr=0.1, momentum=0.9)
    history = fit(model, X_train, y_train, optimizer=opt, epochs=30, batch_size=64,
                  dev=(X_dev, y_dev), seed=0)
    history.dev_acc[-1]

One step on a mini-batch ``(X_b, y_b)`` is::

    logits = model.forward(X_b)
    loss, dlogits = loss_fn(logits, y_b)
    model.backward(dlogits)
    grads = model.grads  (+ l2 * W + l1 * sign(W) for every weight W)
    optimizer.lr = schedule(step)      # if a schedule is given; step = index from 0
    optimizer.step(grads)

``fit`` talks to the optimizer only through ``step(grads)`` and ``lr``. With the same seeds
(model, ``fit``) two runs give bit-identical histories. Every argument is checked before the
first step (see :func:`fit`), so a refused call leaves the model and the optimizer unchanged.

Defined in chapter 03 (Mini-batches and moving averages).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy as np

from dlnotes._validate import NonFiniteError, check_bool, check_scalar
from dlnotes.data.preprocessing import minibatches
from dlnotes.layers import BatchNorm, BatchNorm2d, ReLU
from dlnotes.layers._base import seed_to_rng
from dlnotes.losses import check_labels, get_loss, penalty, softmax_cross_entropy
from dlnotes.model import Sequential
from dlnotes.optim import Optimizer

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "evaluate",
    "fit",
    "layer_diagnostics",
    "progress_default",
]


@dataclass
class History:
    """What :func:`fit` records.

    Per epoch (lists of equal length): ``epoch`` (1, 2, ...), ``train_loss`` (mean mini-batch
    loss during the epoch, train mode, without penalties), ``train_acc`` (accuracy on those
    mini-batches; classification only), ``dev_loss`` and ``dev_acc`` (eval mode, when ``dev`` is
    given), ``lr`` (learning rate of the epoch's last step), ``examples`` (training examples
    the epoch's optimizer steps used), ``steps`` (the optimizer steps ``fit`` made),
    ``optimizer_t`` (the optimizer's own count of its steps, its ``t``, after the epoch: it grows
    by more than ``steps`` when other code stepped it too, e.g. an ``augment`` function or a
    callback; None for an optimizer that keeps no count) and ``diagnostics`` (when asked
    for).
    Per step: ``step_loss`` and ``step_lr``. ``seconds`` holds wall-clock time per epoch (the
    only field that differs between identical runs). ``stopped_epoch`` is set when training
    stopped early, ``best_epoch`` by :class:`EarlyStopping`; ``diverged`` is True when the loss
    became inf/NaN with ``on_nonfinite="stop"``.

    Defined in chapter 03 (Mini-batches and moving averages).
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    dev_loss: list[float] = field(default_factory=list)
    dev_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    optimizer_t: list[int | None] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    step_lr: list[float] = field(default_factory=list)
    diagnostics: list[list[dict[str, Any]]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped_epoch: int | None = None
    best_epoch: int | None = None
    diverged: bool = False

    def as_dict(self, *, with_time: bool = False) -> dict[str, Any]:
        """The recorded values as a plain dict (``seconds`` only with ``with_time=True``)."""
        out = {k: v for k, v in vars(self).items() if k != "seconds"}
        if with_time:
            out["seconds"] = self.seconds
        return out

    def __len__(self) -> int:
        return len(self.epoch)


class Callback:
    """Hooks :func:`fit` calls. Return True from :meth:`on_epoch_end` to stop training, or
    from :meth:`on_train_begin` to train no epoch at all (``history.stopped_epoch`` is then 0).

    A plain function ``f(epoch, history, model)`` works too (as ``on_epoch_end``).

    Defined in chapter 09 (Regularization).
    """

    def on_train_begin(self, history: History, model: Sequential) -> bool | None:
        """Before the first epoch; True: train no epoch (every callback's ``on_train_begin``
        and ``on_train_end`` still run)."""
        return None

    def on_epoch_end(self, epoch: int, history: History, model: Sequential) -> bool | None:
        """After epoch ``epoch`` (1-based) has been recorded in ``history``."""
        return None

    def on_train_end(self, history: History, model: Sequential) -> None:
        """After the last epoch (also after an early stop)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``monitor`` is a per-epoch :class:`History` field (default ``"dev_loss"``; ``"*_acc"`` is
    maximised, anything else minimised). With ``restore_best=True`` the parameters and buffers
    of the best epoch are copied back into the model (in place) when training ends, and
    ``history.best_epoch`` says which epoch that was.

    Defined in chapter 09 (Regularization).
    """

    def __init__(
        self,
        monitor: str = "dev_loss",
        *,
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        if monitor not in ("train_loss", "train_acc", "dev_loss", "dev_acc"):
            raise ValueError(
                "monitor must be 'train_loss', 'train_acc', 'dev_loss' or "
                f"'dev_acc', got {monitor!r}"
            )
        self.monitor = monitor
        self.patience = int(check_scalar("patience", patience, low=1, integer=True))
        self.min_delta = check_scalar("min_delta", min_delta, low=0.0)
        self.restore_best = check_bool("restore_best", restore_best)
        self.sign = -1.0 if monitor.endswith("acc") else 1.0
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf  # best value seen, times sign (so smaller is better)
        self.best_epoch: int | None = None
        self.wait = 0  # epochs since the last improvement
        self.best_state: dict[str, np.ndarray] | None = None

    def on_train_begin(self, history: History, model: Sequential) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, history: History, model: Sequential) -> bool:
        values = getattr(history, self.monitor)
        if not values:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which fit did not "
                "record (pass dev=(X_dev, y_dev) for dev metrics)"
            )
        value = self.sign * values[-1]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = model.state_dict()
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, history: History, model: Sequential) -> None:
        history.best_epoch = self.best_epoch
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)


def progress_default() -> bool:
    """Whether :func:`fit` shows a progress bar by default: not under pytest and not when
    ``DLNOTES_STATIC_SITE`` is set (the website build).

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    return "PYTEST_CURRENT_TEST" not in os.environ and not os.environ.get("DLNOTES_STATIC_SITE")


def _check_data(name: str, X: Any, y: Any, model: Sequential) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(X).__name__}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real-valued, got dtype {X.dtype}")
    y = np.asarray(y)
    if X.ndim < 2 or len(X) == 0 or y.ndim < 1 or len(y) != len(X):
        raise ValueError(
            f"{name} must have shape (N, D) with N >= 1 and y shape (N,) or (N, K); "
            f"got {name} {X.shape} and labels {y.shape}"
        )
    first = model.layers[0]
    if first.in_features is not None and (X.ndim != 2 or X.shape[1] != first.in_features):
        raise ValueError(
            f"{name} has shape {X.shape} but {first.name} expects (N, {first.in_features})"
        )
    if X.dtype.kind == "f":
        # min and max are NaN if any entry is NaN, +-inf if any is infinite: no big temporary
        low, high = X.min(), X.max()
        if not (np.isfinite(low) and np.isfinite(high)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
            raise ValueError(
                f"{name} contains {X[bad]} at index {bad}: remove or impute "
                "non-finite values before training"
            )
        _check_fits_dtype(name, X.dtype, max(-float(low), float(high)), model.dtype)
    return X, y


def _check_fits_dtype(name: str, dtype: np.dtype, largest: float, model_dtype: Any) -> None:
    """Refuse data whose largest magnitude becomes inf when the model casts it to its dtype
    (float64 data above 3.4e38 for a float32 model): the loss would be NaN at the first step."""
    limit = float(np.finfo(model_dtype).max)
    if largest > limit:
        raise ValueError(
            f"{name} holds values as large as {largest:.3g} in magnitude, which become inf when "
            f"the {np.dtype(model_dtype)} model converts {name} from {dtype} (its largest finite "
            f"value is {limit:.3g}): rescale or standardize {name}, or build the model in "
            "float64"
        )


def _output_features(model: Sequential) -> int | None:
    for layer in reversed(model.layers):
        if layer.out_features is not None:
            return layer.out_features
        if not layer.shape_preserving:
            return None
    return None


def evaluate(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: Any = "softmax_cross_entropy",
    batch_size: int = 2048,
) -> tuple[float, float | None]:
    """``(loss, accuracy)`` of ``model`` on ``(X, y)`` in eval mode (accuracy None for
    regression losses). The model's mode is restored afterwards. ``model`` must be a
    :class:`~dlnotes.model.Sequential` (wrap a single layer: ``Sequential(layer)``).

    Defined in chapter 01 (Setting up a learning problem).
    """
    if not isinstance(model, Sequential):
        raise TypeError(
            f"model must be a dlnotes Sequential, got {type(model).__name__} (wrap a single "
            "layer: Sequential(layer))"
        )
    loss_fn = get_loss(loss)
    out = model.predict(X, batch_size=batch_size)
    value, _ = loss_fn(out, y)
    if loss_fn is softmax_cross_entropy:
        return value, float(np.mean(out.argmax(axis=1) == y))
    return value, None


def _stats(a: np.ndarray) -> tuple[float, float]:
    return float(a.mean()), float(a.std())


def layer_diagnostics(
    model: Sequential, update_ratios: dict[int, float] | None = None
) -> list[dict[str, Any]]:
    """Per-layer health numbers from the model's last recorded forward/backward pass.

    Needs ``model.record = True`` during that pass (``fit(..., diagnostics=True)`` does it).
    One dict per layer: ``layer`` (name), ``act_mean``/``act_std`` (its output),
    ``grad_mean``/``grad_std`` (``dL/d output``), for layers with weights ``weight_std``,
    ``weight_grad_std`` and ``update_ratio = ||dW|| / ||W||`` of the last step (healthy between
    about 1e-3 and 1e-1), and for ReLU ``dead_frac``: the fraction of units that output 0 for
    every example of the batch.

    Defined in chapter 07 (Initialization).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    if len(model.activations) != len(model.layers):
        raise RuntimeError("layer_diagnostics needs a forward pass with model.record = True")
    if update_ratios is not None:
        if not isinstance(update_ratios, Mapping):
            raise TypeError(
                f"update_ratios must map layer indices to ratios, got {update_ratios!r}"
            )
        weighted = [i for i, layer in enumerate(model.layers) if layer.penalized[:1] == [True]]
        unknown = [i for i in update_ratios if i not in weighted]
        if unknown:
            raise ValueError(
                f"update_ratios names layers {unknown}, not layers with weights of this model "
                f"(those are {weighted})"
            )
    rows = []
    for i, layer in enumerate(model.layers):
        act = model.activations[i]
        row: dict[str, Any] = {"layer": layer.describe()}
        row["act_mean"], row["act_std"] = _stats(act)
        if len(model.activation_grads) == len(model.layers):
            row["grad_mean"], row["grad_std"] = _stats(model.activation_grads[i])
        if layer.penalized and layer.penalized[0]:
            row["weight_std"] = float(layer.params[0].std())
            row["weight_grad_std"] = float(layer.grads[0].std())
            if update_ratios is not None and i in update_ratios:
                row["update_ratio"] = update_ratios[i]
        if isinstance(layer, ReLU):
            row["dead_frac"] = float(np.mean(~(act > 0).any(axis=0)))
        rows.append(row)
    return rows


def fit(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: Any,
    epochs: int = 10,
    batch_size: int = 64,
    dev: tuple[np.ndarray, np.ndarray] | None = None,
    loss: str | Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]] = (
        "softmax_cross_entropy"
    ),
    l2: float = 0.0,
    l1: float = 0.0,
    schedule: Callable[[int], float] | None = None,
    callbacks: Sequence[Any] = (),
    early_stopping: EarlyStopping | int | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = 0,
    progress: bool | None = None,
    diagnostics: bool = False,
    on_nonfinite: str = "raise",
) -> History:
    """Train ``model`` with mini-batch ``optimizer`` steps on ``(X, y)``; return a History.

    Parameters
    ----------
    optimizer
        An object with ``step(grads)`` updating ``model.params`` in place and a settable ``lr``
        (e.g. ``dlnotes.optim.SGD(model.params, lr=0.1, momentum=0.9)``; not the class
        ``SGD``). An optimizer built on only some of ``model.params`` (say the last layer's,
        to fine-tune) gets only their gradients; the other parameters stay as they are.
    epochs, batch_size
        Passes over the data and examples per step (the last batch may be smaller). With a
        BatchNorm layer no batch may hold a single example (``batch_size = 1`` or
        ``N % batch_size == 1``): refused up front, with a batch size that works.
    dev
        ``(X_dev, y_dev)`` evaluated in eval mode after every epoch.
    loss
        ``"softmax_cross_entropy"`` (labels ``(N,)``), ``"mse"`` or ``f(out, y) -> (value, dout)``.
    l2, l1
        Penalty strengths on ``model.weights``: ``(l2/2) ||W||^2`` and ``l1 |W|``.
    schedule
        ``step -> lr``; ``optimizer.lr = schedule(step)`` before the step with index ``step``
        (counted from 0, :mod:`dlnotes.schedules`).
    callbacks
        A list of :class:`Callback` objects or functions ``f(epoch, history, model)``; True
        stops (from a callback's ``on_train_begin``: before the first epoch, none trained).
    early_stopping
        An :class:`EarlyStopping`, or an int ``patience`` (on ``dev_loss``, best restored).
    augment
        ``augment(X_batch, rng) -> X_batch`` applied to training batches, returning a batch of
        the same shape (e.g. :class:`dlnotes.data.Augmenter`).
    seed
        Shuffling and augmentation randomness (dropout masks come from the layers' seeds).
    progress
        A tqdm bar over epochs; None shows it except under pytest or ``DLNOTES_STATIC_SITE``.
    diagnostics
        Record :func:`layer_diagnostics` on the last batch of every epoch.
    on_nonfinite
        ``"raise"`` (a :class:`~dlnotes._validate.NonFiniteError` naming epoch and step) or
        ``"stop"`` (end training, ``history.diverged = True``) when the loss becomes inf/NaN.

    ``X`` (and ``X_dev``) must be finite real arrays whose values fit the model's dtype (a
    float64 ``X`` beyond 3.4e38 would become inf in a float32 model).

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    # over 80 lines: 37 of them are the docstring of its options; the loop itself reads as its named
    # parts.
    if progress is not None:
        progress = check_bool("progress", progress)
    run = _Training(
        model,
        X,
        y,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        dev=dev,
        loss=loss,
        l2=l2,
        l1=l1,
        schedule=schedule,
        callbacks=callbacks,
        early_stopping=early_stopping,
        augment=augment,
        shuffle=shuffle,
        seed=seed,
        diagnostics=diagnostics,
        on_nonfinite=on_nonfinite,
    )
    bar = _progress_bar(progress, run.epochs)
    stop_at_once = run.begin()
    try:
        # a diverging run is reported once, clearly: not as a stream of numpy warnings
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(1, 0 if stop_at_once else run.epochs + 1):
                run.train_one_epoch(epoch)
                if run.end_of_epoch(epoch, bar):
                    break
    finally:
        model.record = False
        if bar is not None:
            bar.close()
    run.end()
    return run.history


def _progress_bar(progress: bool | None, epochs: int) -> Any:
    """A tqdm bar over epochs, or None (see :func:`progress_default`)."""
    show = progress_default() if progress is None else progress
    if not (show and epochs > 0):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=epochs, desc="fit", unit="epoch", leave=True)


def step_count(optimizer: Any) -> int | None:
    """``optimizer.t``, the steps it has taken (every dlnotes optimizer counts them), or None
    for an optimizer without such a count (one of the learner's own).

    Defined in chapter 16 (Capstone project).
    """
    try:
        steps = getattr(optimizer, "t", None)
    except Exception:  # a property of the learner's that fails is no count
        return None
    return steps if isinstance(steps, int) and not isinstance(steps, bool) else None


@dataclass
class _Training:
    """The state of one :func:`fit` call, in the three parts its loop is made of: one step,
    one epoch, and the end of an epoch (dev evaluation, records, callbacks).

    Built from :func:`fit`'s arguments, which ``__post_init__`` validates in the order of its
    signature; ``early_stopping`` joins ``callbacks``, ``loss`` becomes ``loss_fn`` and ``seed``
    becomes ``rng``."""

    model: Sequential
    X: np.ndarray
    y: np.ndarray
    optimizer: Any
    epochs: int
    batch_size: int
    dev: tuple[np.ndarray, np.ndarray] | None
    loss: Any
    l2: float
    l1: float
    schedule: Callable[[int], float] | None
    callbacks: Sequence[Any]
    early_stopping: InitVar[EarlyStopping | int | None]
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None
    shuffle: bool
    seed: InitVar[int | np.random.Generator | None]
    diagnostics: bool
    on_nonfinite: str
    loss_fn: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]] = field(init=False)
    rng: np.random.Generator = field(init=False)
    history: History = field(default_factory=History)
    n_steps: int = 0  # optimizer steps so far: the schedule index of the next one
    nonfinite_cause: list[str] = field(default_factory=list)  # why a forward pass refused
    # positions in model.grads of the optimizer's parameters, when it steps on only some of them
    # (or in another order); None when it steps on all of model.params in order
    grad_index: list[int] | None = field(default=None, init=False)

    def __post_init__(
        self,
        early_stopping: EarlyStopping | int | None,
        seed: int | np.random.Generator | None,
    ) -> None:
        """Validate every argument of :func:`fit`, each with its own message, before any
        training: nothing has changed when one is refused."""
        if not isinstance(self.model, Sequential):
            raise TypeError(f"model must be a dlnotes Sequential, got {type(self.model).__name__}")
        self._check_optimizer()
        self.epochs = int(check_scalar("epochs", self.epochs, low=0, integer=True))
        self.batch_size = int(check_scalar("batch_size", self.batch_size, low=1, integer=True))
        self.shuffle = check_bool("shuffle", self.shuffle)
        self.diagnostics = check_bool("diagnostics", self.diagnostics)
        if self.on_nonfinite not in ("raise", "stop"):
            raise ValueError(f"on_nonfinite must be 'raise' or 'stop', got {self.on_nonfinite!r}")
        self.loss_fn = get_loss(self.loss)
        self._check_data()
        self._check_batch_norm_batches()
        penalty(self.model.weights, l2=self.l2, l1=self.l1)  # validates l2 and l1 now
        self._check_functions()
        self.callbacks = self._callbacks_with(early_stopping)
        self.rng = seed_to_rng(seed)

    def _check_optimizer(self) -> None:
        """An optimizer object (not its class) stepping on parameters of this model: on all of
        ``model.params``, or on some of them (the others stay frozen, as in torch), which then
        get only their own gradients (:attr:`grad_index`)."""
        optimizer = self.optimizer
        if isinstance(optimizer, type):
            raise TypeError(
                "optimizer must be an optimizer object built on the model's parameters, e.g. "
                f"{optimizer.__name__}(model.params, lr=0.1), got the class "
                f"{optimizer.__name__} itself"
            )
        if not (hasattr(optimizer, "step") and hasattr(optimizer, "lr")):
            raise TypeError(
                "optimizer must have a step(grads) method and an lr attribute, got "
                f"{type(optimizer).__name__}"
            )
        steps_on = getattr(optimizer, "params", None)
        if isinstance(steps_on, (list, tuple)) and all(isinstance(x, np.ndarray) for x in steps_on):
            position = {id(x): i for i, x in enumerate(self.model.params)}
            if not all(id(x) in position for x in steps_on):
                raise ValueError(
                    "optimizer holds arrays that are not this model's parameters, so its steps "
                    "would not train the model (was the model built again after the optimizer?); "
                    "build the optimizer on model.params"
                )
            index = [position[id(x)] for x in steps_on]
            # a dlnotes Optimizer takes gradients aligned with its own params (another kind of
            # object, e.g. ParamGroups, takes all of model.grads)
            if isinstance(optimizer, Optimizer) and index != list(range(len(position))):
                self.grad_index = index

    def _check_batch_norm_batches(self) -> None:
        """Refuse, before any step, a split into batches that gives a BatchNorm layer (in train
        mode during fit) a batch of one example, whose variance cannot be estimated: with
        ``batch_size = 1``, or when ``N % batch_size == 1`` leaves a last batch of one."""
        n, size = len(self.X), self.batch_size
        if self.epochs == 0 or min(size, n % size or size) != 1:
            return
        bn = [
            i
            for i, layer in enumerate(self.model.layers)
            if isinstance(layer, BatchNorm) and not isinstance(layer, BatchNorm2d)
        ]
        if not bn:
            return
        layer = self.model.layers[bn[0]]
        needs = (
            f"fit: layer {bn[0]} ({layer.describe()}) normalizes with batch statistics in train "
            "mode, which needs at least 2 examples per batch to estimate a variance"
        )
        if n == 1:
            raise ValueError(f"{needs}, but X holds N = 1 example: train on at least 2")
        if size == 1:
            raise ValueError(f"{needs}, but batch_size = 1: use batch_size >= 2")
        nearest = min((b for b in range(2, n + 1) if n % b != 1), key=lambda b: abs(b - size))
        raise ValueError(
            f"{needs}, but N = {n} examples in batches of batch_size = {size} leave a last "
            f"batch of 1 example ({n} = {n // size} * {size} + 1). Use a batch_size that does "
            f"not (e.g. {nearest}), or leave one example out (X[:-1], y[:-1])"
        )

    def _check_functions(self) -> None:
        """``schedule`` and ``augment``: functions (or None), checked now rather than at the
        first step."""
        for name, fn, what in (
            ("schedule", self.schedule, "a function step -> lr (see dlnotes.schedules)"),
            ("augment", self.augment, "a function augment(X_batch, rng) -> X_batch"),
        ):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be {what} or None, got {fn!r}")

    def _callbacks_with(self, early_stopping: EarlyStopping | int | None) -> list[Any]:
        """``callbacks`` (a list or tuple of :class:`Callback` objects or functions ``f(epoch,
        history, model)``) followed by the ``early_stopping`` callback, if any: an
        :class:`EarlyStopping` or an int ``patience``."""
        callbacks = self.callbacks
        if not isinstance(callbacks, (list, tuple)):
            hint = ""
            if isinstance(callbacks, Callback):
                hint = f" (wrap it in a list: callbacks=[{type(callbacks).__name__}(...)])"
            elif callable(callbacks):
                hint = " (wrap it in a list: callbacks=[f])"
            raise TypeError(
                "callbacks must be a list of Callback objects or functions f(epoch, history, "
                f"model), got {type(callbacks).__name__}{hint}"
            )
        for k, cb in enumerate(callbacks):
            if not (isinstance(cb, Callback) or callable(cb)):
                raise TypeError(
                    f"callbacks[{k}] must be a Callback or a function f(epoch, history, model), "
                    f"got {type(cb).__name__} {cb!r}"
                )
        out = list(callbacks)
        if isinstance(early_stopping, EarlyStopping):
            out.append(early_stopping)
        elif early_stopping is not None:
            if isinstance(early_stopping, (bool, np.bool_)) or not isinstance(
                early_stopping, (int, np.integer)
            ):
                raise TypeError(
                    "early_stopping must be an EarlyStopping, an int patience (epochs without "
                    f"improvement of dev_loss) or None, got {early_stopping!r}"
                )
            if early_stopping < 1:
                raise ValueError(
                    "early_stopping must be >= 1 (the patience: epochs without improvement "
                    f"before stopping), got {early_stopping}"
                )
            out.append(EarlyStopping(patience=early_stopping))
        return out

    def _check_data(self) -> None:
        """``X, y`` and ``dev`` as arrays the model takes; class labels in range."""
        model = self.model
        self.X, self.y = _check_data("X", self.X, self.y, model)
        n_classes = _output_features(model)
        if self.classify and n_classes is not None:
            self.y = check_labels(self.y, len(self.X), n_classes)
        if self.dev is not None:
            dev = self.dev
            if not (isinstance(dev, (tuple, list)) and len(dev) == 2):
                raise TypeError("dev must be a pair (X_dev, y_dev)")
            X_dev, y_dev = _check_data("X_dev", dev[0], dev[1], model)
            if self.classify and n_classes is not None:
                y_dev = check_labels(y_dev, len(X_dev), n_classes, name="y_dev")
            self.dev = (X_dev, y_dev)

    @property
    def classify(self) -> bool:
        return self.loss_fn is softmax_cross_entropy

    def begin(self) -> bool:
        """Every callback's ``on_train_begin``; True when one of them asked for no epoch at
        all (``history.stopped_epoch`` is then 0)."""
        stop = False
        for cb in self.callbacks:
            if isinstance(cb, Callback):
                stop = bool(cb.on_train_begin(self.history, self.model)) or stop
        if stop and self.epochs > 0:
            self.history.stopped_epoch = 0
        self.model.train()
        return stop

    def step(self, Xb: np.ndarray, yb: np.ndarray, diagnose: bool) -> tuple[float, np.ndarray]:
        """Forward, loss, backward, penalties, optimizer step; returns ``(loss, output)``."""
        model = self.model
        model.record = diagnose
        try:
            out = model.forward(Xb)
        except NonFiniteError as err:  # e.g. batch norm refusing an inf/NaN batch
            self.nonfinite_cause.append(str(err))
            return math.nan, np.empty((0,))
        value, dout = self._loss(out, yb)
        if not math.isfinite(value):
            return value, out
        model.backward(dout, input_grad=False)
        grads = model.grads
        if self.l2 or self.l1:
            penalized_index = [i for i, d in enumerate(model.penalized) if d]
            _, pgrads = penalty(model.weights, l2=self.l2, l1=self.l1)
            for i, g in zip(penalized_index, pgrads or []):
                grads[i] = grads[i] + g
        if self.grad_index is not None:  # an optimizer over some parameters: theirs only
            grads = [grads[i] for i in self.grad_index]
        if not diagnose:
            self.optimizer.step(grads)
            return value, out
        weight_layers = [
            i for i, layer in enumerate(model.layers) if layer.penalized and layer.penalized[0]
        ]
        before = [model.layers[i].params[0].copy() for i in weight_layers]
        self.optimizer.step(grads)
        ratios = {}
        for i, W0 in zip(weight_layers, before):
            dW = model.layers[i].params[0] - W0
            ratios[i] = float(np.linalg.norm(dW) / max(float(np.linalg.norm(W0)), 1e-30))
        self.history.diagnostics.append(layer_diagnostics(model, ratios))
        model.record = False
        return value, out

    def train_one_epoch(self, epoch: int) -> None:
        """Every mini-batch of one pass; records the epoch's training loss and accuracy."""
        history = self.history
        start = time.perf_counter()
        total_loss, total_correct, seen, steps = 0.0, 0, 0, 0
        n_batches = math.ceil(len(self.X) / self.batch_size)
        batches = minibatches(self.X, self.y, self.batch_size, shuffle=self.shuffle, seed=self.rng)
        for b, (Xb, yb) in enumerate(batches):
            assert yb is not None
            if self.augment is not None:
                Xb = self._augmented(Xb)
            if self.schedule is not None:
                self.optimizer.lr = self._scheduled_lr()
            value, out = self.step(Xb, yb, self.diagnostics and b == n_batches - 1)
            history.step_loss.append(value)
            history.step_lr.append(float(self.optimizer.lr))
            if not math.isfinite(value):
                self._diverged(value, epoch)
                break
            total_loss += value * len(yb)
            seen += len(yb)
            if self.classify:
                total_correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
            self.n_steps += 1
            steps += 1
        history.epoch.append(epoch)
        history.train_loss.append(total_loss / seen if seen else math.nan)
        if self.classify:
            history.train_acc.append(total_correct / seen if seen else math.nan)
        history.lr.append(float(self.optimizer.lr))
        history.examples.append(seen)
        history.steps.append(steps)
        history.optimizer_t.append(step_count(self.optimizer))
        history.seconds.append(time.perf_counter() - start)

    def _loss(self, out: np.ndarray, yb: np.ndarray) -> tuple[float, np.ndarray]:
        """``loss(out, yb)``, which must return ``(value, dout)``: the loss, a real number, and
        its gradient with respect to ``out``, an array of ``out``'s shape."""
        result = self.loss_fn(out, yb)
        contract = "(value, dout): the loss, a real number, and dL/doutput, an array of shape"
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"loss must return {contract} {out.shape}, got {result!r:.80}")
        value, dout = result
        real = np.ndim(value) == 0 and np.asarray(value).dtype.kind in "iuf"
        if isinstance(value, (bool, np.bool_)) or not real:
            raise TypeError(f"loss must return {contract} {out.shape}; its value is {value!r:.80}")
        if not (isinstance(dout, np.ndarray) and dout.shape == out.shape):
            got = dout.shape if isinstance(dout, np.ndarray) else type(dout).__name__
            raise ValueError(f"loss must return {contract} {out.shape}; its dout is {got}")
        return value, dout

    def _scheduled_lr(self) -> float:
        """``schedule(step)`` for the next step, which must be a finite real >= 0."""
        assert self.schedule is not None
        step = self.n_steps
        lr = self.schedule(step)
        try:
            value = float(lr)
        except (TypeError, ValueError):
            raise TypeError(
                f"schedule({step}) returned {lr!r}: a learning rate must be a real number"
            ) from None
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(
                f"schedule({step}) returned {lr!r}: a learning rate must be finite and >= 0"
            )
        return value

    def _augmented(self, Xb: np.ndarray) -> np.ndarray:
        """``augment(Xb, rng)``, which must return a batch of ``Xb``'s shape: one augmented
        example per example (more rows would be a larger training set in disguise), with
        finite values (the data were checked for them)."""
        assert self.augment is not None
        out = self.augment(Xb, self.rng)
        if not (isinstance(out, np.ndarray) and out.shape == Xb.shape):
            got = out.shape if isinstance(out, np.ndarray) else type(out).__name__
            raise ValueError(
                f"augment must return a batch of the shape it was given, {Xb.shape} (one "
                f"augmented example per example), got {got}"
            )
        if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
            raise ValueError(
                f"augment returned a batch holding {out[bad]} at index {bad} (step "
                f"{self.n_steps}): augment must return finite values"
            )
        return out

    def _diverged(self, value: float, epoch: int) -> None:
        if self.on_nonfinite == "raise":
            cause = f" ({self.nonfinite_cause[-1]})" if self.nonfinite_cause else ""
            if self.n_steps == 0:  # nothing was updated yet: not a learning-rate problem
                raise NonFiniteError(
                    f"the training loss was {value} at the first step (epoch {epoch}, step 0), "
                    "before fit updated any parameter, so the learning rate is not the cause: "
                    "check the loss function, the data and the model's initial parameters"
                    f"{cause}"
                )
            raise NonFiniteError(
                f"the training loss became {value} at epoch {epoch}, step {self.n_steps} "
                f"(lr={self.optimizer.lr:g}): training diverged; try a smaller learning rate, "
                f"or fit(..., on_nonfinite='stop') to keep the history{cause}"
            )
        self.history.diverged = True

    def end_of_epoch(self, epoch: int, bar: Any) -> bool:
        """Dev evaluation, progress, callbacks; True when training should stop."""
        history = self.history
        start = time.perf_counter()
        if self.dev is not None and not history.diverged:
            dev_loss, dev_acc = evaluate(self.model, *self.dev, loss=self.loss_fn)
            history.dev_loss.append(dev_loss)
            if dev_acc is not None:
                history.dev_acc.append(dev_acc)
        history.seconds[-1] += time.perf_counter() - start
        if bar is not None:
            bar.set_postfix(_postfix(history))
            bar.update(1)
        stop = history.diverged
        for cb in self.callbacks:
            hook = cb.on_epoch_end if isinstance(cb, Callback) else cb
            stop = bool(hook(epoch, history, self.model)) or stop
        if stop and epoch < self.epochs:
            history.stopped_epoch = epoch
        return stop

    def end(self) -> None:
        for cb in self.callbacks:
            if isinstance(cb, Callback):
                cb.on_train_end(self.history, self.model)


def _postfix(history: History) -> dict[str, str]:
    post = {"loss": f"{history.train_loss[-1]:.4f}"}
    if history.dev_loss:
        post["dev_loss"] = f"{history.dev_loss[-1]:.4f}"
    if history.dev_acc:
        post["dev_acc"] = f"{history.dev_acc[-1]:.3f}"
    return post
