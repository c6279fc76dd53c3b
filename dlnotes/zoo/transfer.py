"""Transfer learning with numpy: the source and target tasks, freezing, new heads, fine-tuning.

The course's transfer problem splits Fashion-MNIST in two halves of five classes each:

* the **source task** (T-shirt/top, trouser, pullover, dress, coat), on which the zoo's
  network ``fashion5_mlp`` was pretrained (``tools/make_zoo.py``), and
* the **target task** (sandal, shirt, sneaker, bag, ankle boot), which we pretend to have only
  a few labelled examples of.

It also holds a second pair in which the source **covers** the target:

* the source is all ten classes of the subset's 6000 training images (the zoo's
  ``fashion10_mlp``), and
* the **shifted task** (:func:`shifted_task`) is the same ten classes on the 2000 held-out test
  images, never seen in pretraining, under heavy Gaussian pixel noise: a domain shift.

Layers are counted by their :class:`~dlnotes.layers.Linear` layers: an MLP
``784 -> 256 -> 128 -> 5`` has three, numbered 0, 1, 2; the last one is the **head**, the rest
the **body**. Freezing ``n_frozen`` layers freezes the parameters of every layer before the
``(n_frozen + 1)``-th Linear layer (activations and norms of the frozen block included):
``n_frozen = 0`` fine-tunes everything and ``n_frozen = 2`` trains the head alone (a linear
probe).

Defined in chapter 12 (Transfer learning).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlnotes._validate import check_array, check_int, check_scalar
from dlnotes.data import FASHION_MNIST_CLASSES, load_fashion_mnist_subset
from dlnotes.layers import Linear
from dlnotes.layers._base import seed_to_rng
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD, Optimizer
from dlnotes.optim.base import LearningRate
from dlnotes.schedules import cosine
from dlnotes.train import evaluate, fit

__all__ = [
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "ParamGroups",
    "discriminative_lrs",
    "linear_layer_indices",
    "replace_head",
    "sample_per_class",
    "shifted_task",
    "source_task",
    "target_task",
    "trainable_params",
    "transfer_run",
]

#: Fashion-MNIST labels of the source task (the zoo network's classes, relabelled 0..4).
SOURCE_CLASSES = (0, 1, 2, 3, 4)
#: Fashion-MNIST labels of the target task (relabelled 0..4).
TARGET_CLASSES = (5, 6, 7, 8, 9)

Task = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _restrict(
    X: np.ndarray, y: np.ndarray, classes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isin(y, classes)
    relabel = np.full(10, -1, dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    return X[keep], relabel[y[keep]]


def _task(classes: Sequence[int]) -> Task:
    X_train, y_train, X_test, y_test = load_fashion_mnist_subset()
    return (*_restrict(X_train, y_train, classes), *_restrict(X_test, y_test, classes))


def source_task() -> Task:
    """The source task: Fashion-MNIST subset images of :data:`SOURCE_CLASSES`.

    Returns ``(X_train, y_train, X_test, y_test)``: 3000 + 1000 images as rows of 784 pixels in
    ``[0, 1]`` (float32), labels 0..4 in the order T-shirt/top, trouser, pullover, dress, coat.

    Defined in chapter 12 (Transfer learning).
    """
    return _task(SOURCE_CLASSES)


def target_task() -> Task:
    """The target task: Fashion-MNIST subset images of :data:`TARGET_CLASSES`.

    Returns ``(X_train, y_train, X_test, y_test)``: 3000 + 1000 images (784 pixels in
    ``[0, 1]``), labels 0..4 in the order sandal, shirt, sneaker, bag, ankle boot.

    Defined in chapter 12 (Transfer learning).
    """
    return _task(TARGET_CLASSES)


def shifted_task(noise_std: float = 0.5, seed: int | np.random.Generator | None = 0) -> Task:
    """The shifted task: the ten classes of the subset's **test** images (never used to train
    the zoo models), with Gaussian pixel noise, split into a labelled pool and an evaluation set.

    Every test image gets ``x + noise_std * z`` with ``z`` standard normal (one draw per pixel,
    from ``np.random.default_rng(seed)``; ``seed`` an int >= 0, a Generator or None), clipped
    to ``[0, 1]``; then, per class, a
    seeded permutation puts 100 images in the pool and the other 100 in the evaluation set.
    Returns ``(X_pool, y_pool, X_eval, y_eval)``: ``(1000, 784)`` float32 and labels 0..9
    each (the Fashion-MNIST labels, the same classes as ``fashion10_mlp``'s).

    Defined in chapter 12 (Transfer learning).
    """
    noise_std = check_scalar("noise_std", noise_std, low=0.0)
    rng = seed_to_rng(seed)
    _, _, X_test, y_test = load_fashion_mnist_subset()
    noisy = np.clip(X_test + noise_std * rng.standard_normal(X_test.shape), 0.0, 1.0)
    noisy = noisy.astype(np.float32)
    pool, held = [], []
    for c in range(10):
        members = rng.permutation(np.flatnonzero(y_test == c))
        half = len(members) // 2
        pool.append(members[:half])
        held.append(members[half:])
    pool_idx, eval_idx = np.sort(np.concatenate(pool)), np.sort(np.concatenate(held))
    return noisy[pool_idx], y_test[pool_idx], noisy[eval_idx], y_test[eval_idx]


def class_names(classes: Sequence[int]) -> list[str]:
    """The Fashion-MNIST names of ``classes`` (e.g. :data:`TARGET_CLASSES`): a sequence of
    labels, each an integer from 0 to 9 (a negative label, which indexing would count from the
    end, is refused).

    Defined in chapter 12 (Transfer learning).
    """
    if isinstance(classes, (str, bytes)) or np.ndim(classes) != 1:
        raise TypeError(f"classes must be a sequence of Fashion-MNIST labels, got {classes!r}")
    last = len(FASHION_MNIST_CLASSES) - 1
    labels = [
        int(check_scalar(f"classes[{i}]", c, low=0, high=last, integer=True))
        for i, c in enumerate(classes)
    ]
    return [FASHION_MNIST_CLASSES[c] for c in labels]


def sample_per_class(
    y: np.ndarray, n_per_class: int, seed: int | np.random.Generator | None = 0
) -> np.ndarray:
    """Indices of ``n_per_class`` examples of every class in ``y`` (shape ``(N,)``), drawn
    without replacement, returned sorted; shape ``(n_per_class * n_classes,)``.

    ``y`` must be 1-D class labels (for one-hot labels pass ``y.argmax(axis=1)``: the indices
    of a 2-D ``y`` would count its entries, not its rows), without NaN.

    Defined in chapter 12 (Transfer learning).
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"y must be 1-D class labels of shape (N,), got shape {y.shape} "
            "(for one-hot labels pass y.argmax(axis=1))"
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y must hold finite class labels, got NaN or inf (a NaN is in no class)")
    n = int(check_scalar("n_per_class", n_per_class, low=1, integer=True))
    rng = seed_to_rng(seed)
    picks = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < n:
            raise ValueError(
                f"n_per_class must be at most {len(members)} (examples of class {c}), got {n}"
            )
        picks.append(rng.choice(members, size=n, replace=False))
    return np.sort(np.concatenate(picks))


def linear_layer_indices(model: Sequential) -> list[int]:
    """Positions in ``model.layers`` of the Linear layers (the last one is the head).

    Defined in chapter 12 (Transfer learning).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a dlnotes Sequential, got {type(model).__name__}")
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]


def _check_n_frozen(model: Sequential, n_frozen: int) -> tuple[list[int], int]:
    linears = linear_layer_indices(model)
    n = int(check_scalar("n_frozen", n_frozen, low=0, integer=True))
    if n > len(linears):
        raise ValueError(
            f"n_frozen must be at most {len(linears)} (the model's Linear layers), got {n}"
        )
    return linears, n


def trainable_params(model: Sequential, n_frozen: int) -> list[np.ndarray]:
    """The parameters left to train when the first ``n_frozen`` Linear layers are frozen.

    Every layer before the ``(n_frozen + 1)``-th Linear layer is frozen; the parameters of the
    layers from there on are returned in model order (the model's own arrays, not copies):
    pass them to the optimizer. ``n_frozen = 0`` returns ``model.params``; ``n_frozen = len(
    linear_layer_indices(model)) - 1`` returns the head's ``[W, b]`` (a linear probe).

    Defined in chapter 12 (Transfer learning).
    """
    linears, n = _check_n_frozen(model, n_frozen)
    start = linears[n] if n < len(linears) else len(model.layers)
    return [p for layer in model.layers[start:] for p in layer.params]


def replace_head(
    model: Sequential, n_classes: int, seed: int | np.random.Generator | None = 0
) -> Sequential:
    """A new model: a deep copy of ``model``'s body with a freshly initialised last Linear layer
    ``Linear(D, n_classes)`` (torch's default init), ``D`` the old head's input features. The
    original ``model`` is left untouched.

    Defined in chapter 12 (Transfer learning).
    """
    linears = linear_layer_indices(model)
    if not linears:
        raise ValueError("model has no Linear layer to replace")
    n_classes = int(check_scalar("n_classes", n_classes, low=1, integer=True))
    head = model.layers[linears[-1]]
    body = model.copy().layers[: linears[-1]]
    new_head = Linear(
        int(head.in_features),  # type: ignore[arg-type]
        n_classes,
        seed=seed,
        dtype=model.dtype,
    )
    return Sequential(*body, new_head)


def discriminative_lrs(base_lr: float, n_layers: int, factor: float) -> list[float]:
    """Layer-wise learning rates: ``lr_k = base_lr * factor ** (n_layers - 1 - k)`` for Linear
    layer ``k = 0 .. n_layers - 1``: the head (``k = n_layers - 1``) gets ``base_lr``, each layer
    below it ``factor`` times the rate of the layer above.

    Defined in chapter 12 (Transfer learning).
    """
    base_lr = check_scalar("base_lr", base_lr, low=0.0)
    n = int(check_scalar("n_layers", n_layers, low=1, integer=True))
    factor = check_scalar("factor", factor, low=0.0)
    try:
        lrs = [base_lr * factor ** (n - 1 - k) for k in range(n)]
    except OverflowError:
        lrs = [math.inf]
    if not all(math.isfinite(lr) for lr in lrs):
        raise ValueError(
            f"factor ** (n_layers - 1) = {factor:g} ** {n - 1} overflows: the first layer's rate "
            "would not be a finite number"
        )
    return lrs


class ParamGroups(LearningRate):
    """Several optimizers over disjoint groups of a model's parameters, each at its own
    learning rate ``lr * multiplier``; parameters in no group are frozen (never updated).

    It is what ``torch.optim``'s parameter groups do, on top of dlnotes' one-lr optimizers, and
    it speaks :func:`dlnotes.train.fit`'s protocol: ``step(grads)`` takes the gradients of
    **all** ``model_params`` (``model.grads``) and hands each group its own; setting ``lr`` sets
    every group's rate to ``lr * multiplier``.

    Parameters
    ----------
    model_params : list of ndarray
        ``model.params`` (the order of ``model.grads``), a list or tuple of arrays.
    groups : sequence of (params, multiplier)
        Pairs, e.g. ``[(body_params, 0.1), (head_params, 1.0)]``: each ``params`` a list of
        arrays from ``model_params`` (a single array too: ``[W]``), in no other group;
        ``multiplier >= 0``.
    make : callable
        ``make(params, lr) -> optimizer``, e.g. ``lambda p, lr: SGD(p, lr=lr, momentum=0.9)``;
        what it returns must have a ``step`` method.
    lr : float
        The base learning rate.

    Defined in chapter 12 (Transfer learning).
    """

    def __init__(
        self,
        model_params: Sequence[np.ndarray],
        groups: Sequence[tuple[Sequence[np.ndarray], float]],
        make: Callable[[list[np.ndarray], float], Any],
        *,
        lr: float,
    ) -> None:
        if not (
            isinstance(model_params, (list, tuple))
            and all(isinstance(p, np.ndarray) for p in model_params)
        ):
            raise TypeError(
                "model_params must be the model's list of parameter arrays (model.params), "
                f"got {type(model_params).__name__}"
            )
        if not isinstance(groups, (list, tuple)):
            raise TypeError(
                "groups must be a list of (params, multiplier) pairs, e.g. "
                f"[(model.params, 1.0)], got {type(groups).__name__}"
            )
        if not callable(make):
            raise TypeError(f"make must be a function make(params, lr) -> optimizer, got {make!r}")
        position = {id(p): i for i, p in enumerate(model_params)}
        self._n = len(model_params)
        self._lr = check_scalar("lr", lr, low=0.0)
        self.indices: list[list[int]] = []
        self.multipliers: list[float] = []
        self.optimizers: list[Any] = []
        seen: set[int] = set()
        for g, group in enumerate(groups):
            params, mult = _param_group(g, group)
            idx = []
            for p in params:
                if id(p) not in position:
                    raise ValueError(f"groups[{g}] holds an array that is not in model_params")
                if id(p) in seen:
                    raise ValueError(f"groups[{g}] repeats a parameter of an earlier group")
                seen.add(id(p))
                idx.append(position[id(p)])
            if not idx:
                continue
            mult = check_scalar(f"groups[{g}] multiplier", mult, low=0.0)
            self.indices.append(idx)
            self.multipliers.append(mult)
            opt = make([model_params[i] for i in idx], self._lr * mult)
            if not callable(getattr(opt, "step", None)):
                raise TypeError(
                    f"make must return an optimizer (with a step method), got {opt!r} "
                    f"for groups[{g}]"
                )
            self.optimizers.append(opt)
        if not self.optimizers:
            raise ValueError("groups must hold at least one parameter to train")

    def _lr_changed(self) -> None:
        """A new base rate ``lr``: group ``g`` now uses ``lr * multipliers[g]``."""
        for opt, mult in zip(self.optimizers, self.multipliers):
            opt.lr = self._lr * mult

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """One step of every group's optimizer; ``grads`` aligned with ``model_params``.

        Every group's gradients are checked (count, shapes, dtypes) before any group is
        updated, so such a refused step changes nothing; an inf/NaN gradient is found during
        the update, as in :meth:`dlnotes.optim.Optimizer.step`. (An optimizer from ``make``
        that is not a :class:`~dlnotes.optim.Optimizer` is checked by its own ``step``.)
        """
        if not isinstance(grads, (list, tuple)):
            raise TypeError(
                f"grads must be a list of {self._n} arrays (one per model parameter), "
                f"got {type(grads).__name__}"
            )
        if len(grads) != self._n:
            raise ValueError(
                f"grads must hold {self._n} arrays (one per model parameter), got {len(grads)}"
            )
        prepared: list[list[np.ndarray] | None] = []
        for g, (opt, idx) in enumerate(zip(self.optimizers, self.indices)):
            if getattr(type(opt), "step", None) is not Optimizer.step:
                prepared.append(None)  # not ours: its own step checks
                continue
            try:
                prepared.append(opt._prepare_step([grads[i] for i in idx]))
            except (TypeError, ValueError) as err:
                raise type(err)(f"group {g}: {_model_indices(str(err), idx)}") from None
        for opt, idx, checked in zip(self.optimizers, self.indices, prepared):
            if checked is None:
                opt.step([grads[i] for i in idx])
            else:
                opt._apply_step(checked)


def _param_group(g: int, group: Any) -> tuple[Sequence[np.ndarray], Any]:
    """``groups[g]`` as ``(params, multiplier)``: a pair whose ``params`` is a list or tuple."""
    if not (isinstance(group, (list, tuple)) and len(group) == 2):
        got = (
            f"a {type(group).__name__} of length {len(group)}"
            if isinstance(group, (list, tuple))
            else repr(group)
        )
        raise TypeError(
            f"groups[{g}] must be a pair (params, multiplier), e.g. (model.params, 1.0), got {got}"
        )
    params, mult = group
    if not isinstance(params, (list, tuple)):
        raise TypeError(
            f"groups[{g}] must be a pair (params, multiplier) with params a list of arrays from "
            f"model_params (wrap a single array in a list: [W]), got ({type(params).__name__}, "
            f"{type(mult).__name__})"
        )
    return params, mult


def _model_indices(message: str, idx: list[int]) -> str:
    """A group optimizer's message with ``grads[k]``/``params[k]`` (its k-th array) renamed to
    the model's index ``idx[k]``."""
    return re.sub(
        r"\b(grads|params)\[(\d+)\]", lambda m: f"{m.group(1)}[{idx[int(m.group(2))]}]", message
    )


def _sgd(params: list[np.ndarray], lr: float, momentum: float) -> SGD:
    return SGD(params, lr=lr, momentum=momentum)


def _check_task(X_train: Any, y_train: Any, X_test: Any, y_test: Any) -> int:
    """Check a target task's data (arrays ``X (N, D)`` of reals, labels ``y (N,)`` of class
    indices ``>= 0``, one ``D`` for both sets, at least one training example) and return its
    number of classes: one more than the largest label of either set."""
    for part, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        X = check_array(f"X_{part}", X, where="transfer_run")
        y = check_array(f"y_{part}", y, where="transfer_run")
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(
                f"transfer_run: X_{part} must have shape (N, D), N >= 1, got {X.shape}"
            )
        if y.shape != (len(X),) or y.dtype.kind not in "iu":
            raise ValueError(
                f"transfer_run: y_{part} must be integer class indices of shape ({len(X)},), "
                f"got {y.dtype} of shape {y.shape}"
            )
        if y.min() < 0:
            raise ValueError(f"transfer_run: y_{part} must be >= 0, got {int(y.min())}")
    if X_train.shape[1] != X_test.shape[1]:
        raise ValueError(
            f"transfer_run: X_train and X_test must have the same number of features, got "
            f"{X_train.shape[1]} and {X_test.shape[1]}"
        )
    return int(max(np.max(y_train), np.max(y_test))) + 1


def transfer_run(
    pretrained: Sequential | None,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    n_frozen: int = 0,
    lr_mult: float = 0.1,
    lr: float = 0.05,
    momentum: float = 0.9,
    examples: int = 3000,
    batch_size: int = 32,
    hidden: Sequence[int] = (256, 128),
    seed: int = 0,
) -> tuple[Sequential, float]:
    """Train on a target task starting from ``pretrained`` (or from scratch when None) and
    return ``(model, test accuracy)``.

    * From ``pretrained``: :func:`replace_head` with a new head for the target's classes,
      freeze the first ``n_frozen`` Linear layers, train the head at ``lr`` and the unfrozen
      body at ``lr * lr_mult`` (SGD with ``momentum``). When the whole body is frozen (a linear
      probe) the body's features are computed once and only the head is trained on them,
      which gives the same result much faster.
    * From scratch (``pretrained=None``): ``mlp([D, *hidden, K], seed=seed)`` at ``lr``.

    The number of epochs is ``ceil(examples / N)``, so every run sees about ``examples``
    examples whatever the training-set size ``N``; the learning rate follows a cosine schedule
    from ``lr`` to 0 over the run (:func:`dlnotes.schedules.cosine`); ``seed`` sets the head's
    (or the scratch model's) initialisation and the shuffling.

    Defined in chapter 12 (Transfer learning).
    """
    n_classes = _check_task(X_train, y_train, X_test, y_test)
    examples = check_int("examples", examples, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    if pretrained is None and n_frozen != 0:  # nothing to freeze in a model built from scratch
        raise ValueError(f"n_frozen applies to a pretrained model, got n_frozen={n_frozen!r}")
    epochs = max(1, math.ceil(examples / len(X_train)))
    batch_size = min(batch_size, len(X_train))
    lr_mult = check_scalar("lr_mult", lr_mult, low=0.0)
    schedule = cosine(lr, epochs * math.ceil(len(X_train) / batch_size))

    def make(params: list[np.ndarray], rate: float) -> SGD:
        return _sgd(params, rate, momentum)

    def train(net: Sequential, inputs: np.ndarray, optimizer: Any) -> None:
        """The one training run every branch below shares: same epochs, batches, schedule."""
        fit(
            net,
            inputs,
            y_train,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            schedule=schedule,
            progress=False,
        )

    if pretrained is None:
        model = mlp([X_train.shape[1], *hidden, n_classes], seed=seed)
        train(model, X_train, make(model.params, lr))
    else:
        model = replace_head(pretrained, n_classes, seed=seed)
        linears, n = _check_n_frozen(model, n_frozen)
        if n >= len(linears) - 1:  # linear probe: train the head on cached features
            body = Sequential(*model.layers[: linears[-1]])
            head = Sequential(*model.layers[linears[-1] :])
            train(head, body.predict(X_train), make(head.params, lr))
        else:
            head_params = model.layers[linears[-1]].params
            body_params = [
                p for p in trainable_params(model, n) if not any(p is h for h in head_params)
            ]
            groups = [(body_params, lr_mult), (head_params, 1.0)]
            train(model, X_train, ParamGroups(model.params, groups, make, lr=lr))
    return model, float(evaluate(model, X_test, y_test)[1] or 0.0)
