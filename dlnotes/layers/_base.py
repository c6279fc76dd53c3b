"""The module base class shared by every layer, and the checks every layer uses.

A *module* (``Linear``, ``ReLU``, ...) owns its parameters and their gradients and keeps the
cache of its last forward pass, so a network is a list of modules and a training step is

    out = layer.forward(X)          # caches what backward needs
    dX = layer.backward(dout)       # fills layer.grads, aligned with layer.params

Rows are examples: ``X`` has shape ``(N, D)``. Every error names the layer (``layer 2 (Linear
784 -> 256)`` inside a :class:`~dlnotes.model.Sequential`) and the shapes involved.

Defined in chapter 07 (Initialization).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validate import check_float_array, check_float_dtype, check_same_shape, check_seed

__all__ = [
    "Layer",
    "cache_mismatch",
    "check_cache",
    "check_dout",
    "check_float_dtype",
    "check_mode",
    "check_train_mode",
    "seed_to_rng",
]

MODES = ("train", "eval")


def check_mode(mode: str) -> str:
    """Return ``"train"`` or ``"eval"``; ``"test"`` (cs231n's name) is accepted for ``"eval"``."""
    if mode == "test":
        return "eval"
    if mode not in MODES:
        raise ValueError(f"mode must be 'train' or 'eval' (or 'test'), got {mode!r}")
    return mode


def check_cache(
    cache: Any,
    items: tuple[str | None, ...] | None,
    *,
    where: str,
    forward: str,
    name: str = "cache",
) -> Any:
    """Require the cache a forward function returned; return it.

    ``items`` is None when the cache is a single array, else one entry per item of the tuple:
    what ``forward`` stores there when it is an array (``"X, the input"``), or None for an item
    that is not an array (batch norm's mode, leaky ReLU's slope; the caller checks those). A
    hand-made or mixed-up cache gets a message naming the item instead of an unpacking error
    or an ``AttributeError``; :func:`cache_mismatch` words the error when the items' shapes
    disagree with each other. ``name`` is the cache's name in messages (``"cache[0]"`` for a
    cache nested in another).
    """
    if items is None:
        ok = isinstance(cache, np.ndarray)
        want = "an array"
    else:
        ok = isinstance(cache, tuple) and len(cache) == len(items)
        want = f"a tuple of {len(items)}"
    if not ok:
        got = f"tuple of {len(cache)}" if isinstance(cache, tuple) else type(cache).__name__
        raise TypeError(f"{where}: {name} must be what {forward} returned ({want}), got {got}")
    for k, what in enumerate(items or ()):
        if what is not None and not isinstance(cache[k], np.ndarray):
            raise TypeError(
                f"{where}: {name} must be what {forward} returned, whose item {k} is {what} "
                f"(an array), got {type(cache[k]).__name__}"
            )
    return cache


def check_dout(
    dout: Any, shape: tuple[int, ...], *, where: str, what: str = "the forward output"
) -> np.ndarray:
    """Require the upstream gradient ``dout`` of a functional backward: a float array (a bool or
    int ``dout`` would give a bool or int gradient: ``dout * mask`` keeps ``dout``'s dtype) of
    exactly ``shape`` (``what`` says whose shape it is)."""
    check_same_shape("dout", dout, shape, where=where, what=what)
    return check_float_array("dout", dout, where=where)


def cache_mismatch(where: str, forward: str, detail: str) -> ValueError:
    """The error for a cache whose arrays do not fit together (``detail`` says how): its items
    were mixed up or come from different calls, so the cache is at fault, not ``dout``."""
    return ValueError(
        f"{where}: cache is not what {forward} returned: {detail} (are its items in the order "
        f"{forward} returns them?)"
    )


def check_train_mode(mode: Any) -> bool:
    """The ``mode`` of :meth:`Layer.train`: True (train mode) or False (eval mode), as torch's
    ``Module.train(mode)`` takes it; return it. One way per face: the layers and models switch
    with ``train()`` / ``eval()``, the functional forwards take ``mode="train"`` / ``"eval"``; a
    string given to ``train()`` is told the layer's way."""
    if isinstance(mode, (bool, np.bool_)):
        return bool(mode)
    hint = ""
    if isinstance(mode, str):
        hint = (
            " (a layer switches with .train() and .eval(); the strings 'train' and 'eval' are "
            "the functional forwards' mode)"
        )
    raise TypeError(f"mode must be True (train) or False (eval), got {mode!r}{hint}")


def seed_to_rng(seed: int | np.random.Generator | None, name: str = "seed") -> np.random.Generator:
    """An int seed, a Generator (used as is) or None (fresh OS entropy) -> a Generator."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(check_seed(name, seed)))
    raise TypeError(f"{name} must be an int, a numpy Generator or None, got {seed!r}")


class Layer:
    """Base class of every module: parameters, gradients, train/eval mode, a cache.

    Attributes
    ----------
    params : list of ndarray
        The trainable arrays. They are the *same objects* for the layer's whole life (optimizers
        update them in place; :meth:`dlnotes.model.Sequential.load` copies into them).
    grads : list of ndarray
        ``grads[k]`` is ``dL/dparams[k]`` from the last :meth:`backward` (overwritten, not
        accumulated as in torch), same shape and dtype as ``params[k]``; zeros before the first
        backward pass (:attr:`has_grads` is then False).
    has_grads : bool
        Whether :meth:`backward` has run (``Sequential.grads`` refuses to hand out the zeros
        of a layer that has never had a backward pass).
    param_names : list of str
        Names matching ``params`` (``"W"``, ``"b"``, ``"gamma"``, ``"beta"``).
    penalized : list of bool
        Whether ``params[k]`` is a weight that L1/L2 penalties apply to (weights yes, biases and
        normalization parameters no).
    buffers : dict of str to ndarray
        Non-trainable state saved with the model (BatchNorm's running statistics).
    training : bool
        Train mode (True) or eval mode (False); see :meth:`train` and :meth:`eval`. Assigning
        anything but True or False raises ``TypeError`` (``layer.training = "eval"`` would
        otherwise leave the layer in train mode without a word).
    in_features, out_features : int or None
        The feature sizes the layer expects and produces (None when any size works). Used by
        :class:`~dlnotes.model.Sequential` to catch mismatched layers when it is built.

    Defined in chapter 07 (Initialization).
    """

    in_features: int | None = None
    out_features: int | None = None
    #: Whether the output has the input's shape (activations, dropout; not Flatten).
    shape_preserving: bool = True

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.param_names: list[str] = []
        self.penalized: list[bool] = []
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self.cache: Any = None
        #: Whether :meth:`backward` has run: until then ``grads`` hold zeros, not gradients.
        self.has_grads = False
        self._out_shape: tuple[int, ...] | None = None
        #: Position in a Sequential (set by it), used in error messages.
        self.index: int | None = None

    # -- what subclasses implement -------------------------------------------------------------
    def describe(self) -> str:
        """A short description such as ``"Linear 784 -> 256"`` used in error messages."""
        return type(self).__name__

    def _forward(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None:
        raise NotImplementedError

    @property
    def name(self) -> str:
        """``"layer 2 (Linear 784 -> 256)"`` inside a Sequential, else ``"Linear 784 -> 256"``."""
        if self.index is None:
            return self.describe()
        return f"layer {self.index} ({self.describe()})"

    # -- the public interface ------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute the layer's output for a batch ``X`` and cache what :meth:`backward` needs."""
        if not isinstance(X, np.ndarray) or X.dtype.kind != "f":
            raise TypeError(
                f"{self.name}: input must be a floating-point numpy array, got "
                f"{type(X).__name__}" + (f" of dtype {X.dtype}" if hasattr(X, "dtype") else "")
            )
        if self.in_features is not None and (X.ndim != 2 or X.shape[1] != self.in_features):
            raise ValueError(
                f"{self.name}: expected input of shape (N, {self.in_features}), got {X.shape}"
            )
        out = self._forward(X)
        self._out_shape = out.shape
        return out

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Given ``dout = dL/dout`` (shape of the last output), fill :attr:`grads`, return dL/dX.

        With ``input_grad=False`` the input gradient is not computed and None is returned (the
        first layer of a network needs no ``dX``: it saves a third of that layer's work).
        """
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward() called before forward()")
        if not isinstance(dout, np.ndarray):
            raise TypeError(
                f"{self.name}: dout must be a numpy array of the last output's shape "
                f"{self._out_shape}, got {type(dout).__name__}"
            )
        if dout.shape != self._out_shape:
            got = dout.shape
            raise ValueError(
                f"{self.name}: dout must have the shape of the last output {self._out_shape}, "
                f"got {got}"
            )
        if dout.dtype.kind != "f":
            raise TypeError(
                f"{self.name}: dout must be a floating-point array, got dtype {dout.dtype}"
            )
        dX = self._backward(dout, input_grad)
        self.has_grads = True
        # grads[k] has the dtype of params[k] (a float64 dout must not turn them float64)
        for k, (g, p) in enumerate(zip(self.grads, self.params)):
            if g.dtype != p.dtype:
                self.grads[k] = g.astype(p.dtype)
        return dX

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    @property
    def training(self) -> bool:
        """True in train mode, False in eval mode (assign True or False only)."""
        return self._training

    @training.setter
    def training(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            hint = " (use layer.train(mode) or layer.eval())" if isinstance(value, str) else ""
            raise TypeError(
                f"{self.name}: training must be True (train mode) or False (eval mode), got "
                f"{value!r}{hint}"
            )
        self._training = bool(value)

    def train(self, mode: bool = True) -> Layer:
        """Switch to train mode (``mode=True``) or eval mode (``False``); returns the layer."""
        self.training = check_train_mode(mode)
        return self

    def eval(self) -> Layer:
        """Switch to eval mode (dropout off, BatchNorm uses its running statistics)."""
        return self.train(False)

    @property
    def mode(self) -> str:
        """``"train"`` or ``"eval"`` (read only: set it with :meth:`train` / :meth:`eval`)."""
        return "train" if self.training else "eval"

    def astype(self, dtype: Any) -> None:
        """Convert parameters, gradients and buffers to ``dtype`` (used on a *copy* of a model)."""
        self.params = [p.astype(dtype) for p in self.params]
        self.grads = [g.astype(dtype) for g in self.grads]
        self.buffers = {k: v.astype(dtype) for k, v in self.buffers.items()}
        self.cache = None
        self._out_shape = None

    def __repr__(self) -> str:
        return self.describe()
