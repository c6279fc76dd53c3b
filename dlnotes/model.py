"""``Sequential``: a network as a list of layers, with the parameter lists optimizers need.

::

    model = Sequential(Linear(64, 128, seed=0), ReLU(), Linear(128, 10, seed=1))
    logits = model.forward(X)                  # X (N, 64) -> (N, 10)
    loss, dlogits = softmax_cross_entropy(logits, y)
    model.backward(dlogits)                    # fills model.grads
    opt = dlnotes.optim.SGD(model.params, lr=0.1, momentum=0.9)
    opt.step(model.grads)                      # updates model.params in place

``model.params`` are the very arrays the layers compute with, for the model's whole life:
nothing ever rebinds them (``load`` copies into them), so an optimizer built once keeps
working. ``model.grads`` is aligned with ``model.params`` after every ``backward``.

Defined in chapter 07 (Initialization).
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dlnotes._validate import NonFiniteInputError, cast_finite, check_int, check_scalar
from dlnotes.layers import BatchNorm, Dropout, LayerNorm, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from dlnotes.layers._base import Layer, check_float_dtype, check_train_mode, seed_to_rng

__all__ = ["Sequential", "mlp"]


class Sequential:
    """Layers applied in order; ``backward`` runs them in reverse.

    Attributes
    ----------
    layers : list of Layer
    params, grads : list of ndarray
        Every layer's parameters and last gradients, in layer order (aligned).
    param_names : list of str
        ``"<layer index>.<name>"``, e.g. ``"0.W"``, ``"0.b"``, ``"2.gamma"``.
    penalized : list of bool
        Which params are weights penalized by L1/L2 (not biases or normalization parameters);
        :attr:`weights` lists them.
    record : bool
        When True, ``forward`` keeps each layer's output in :attr:`activations` and ``backward``
        keeps the gradient reaching each layer's output in :attr:`activation_grads`
        (for diagnostics; references, no copies).

    Defined in chapter 07 (Initialization).
    """

    def __init__(self, *layers: Layer) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Sequential needs at least one layer, got none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} must be a dlnotes Layer, got {type(layer).__name__}")
            first = next(j for j, other in enumerate(layers) if other is layer)
            if first != i:  # one instance keeps one cache and one set of grads
                raise ValueError(
                    f"layer {i} is the same object as layer {first}; a Sequential needs a new "
                    "layer at each position (a layer caches its last input for backward)"
                )
        self.layers: list[Layer] = list(layers)
        for i, layer in enumerate(self.layers):
            layer.index = i
        self._check_shapes()
        dtypes = {p.dtype for layer in self.layers for p in layer.params}
        if len(dtypes) > 1:
            raise TypeError(f"all layers must share one dtype, got {sorted(map(str, dtypes))}")
        self.dtype: np.dtype = dtypes.pop() if dtypes else np.dtype(np.float32)
        self._params = [p for layer in self.layers for p in layer.params]
        self.param_names = [
            f"{i}.{n}" for i, layer in enumerate(self.layers) for n in layer.param_names
        ]
        self.penalized = [d for layer in self.layers for d in layer.penalized]
        self.record = False
        self.activations: list[np.ndarray] = []
        self.activation_grads: list[np.ndarray] = []

    def _check_shapes(self) -> None:
        features: int | None = None
        source: Layer | None = None
        for layer in self.layers:
            if layer.in_features is not None:
                if features is not None and source is not None and features != layer.in_features:
                    raise ValueError(
                        f"{layer.name} expects {layer.in_features} input features but "
                        f"{source.name} produces {features}: shapes (N, {features}) and "
                        f"(N, {layer.in_features}) do not match"
                    )
            if layer.out_features is not None:
                features, source = layer.out_features, layer
            elif not layer.shape_preserving:
                features, source = None, None

    # -- parameters --------------------------------------------------------------------------
    @property
    def params(self) -> list[np.ndarray]:
        """The trainable arrays, in layer order (the same objects for the model's whole life)."""
        return list(self._params)

    @property
    def grads(self) -> list[np.ndarray]:
        """``dL/dparams`` from the last :meth:`backward`, aligned with :attr:`params`.

        Before any backward pass there are no gradients: a ``RuntimeError`` says so (the zeros
        the layers start with would make ``opt.step(model.grads)`` silently change nothing).
        """
        for layer in self.layers:
            if layer.params and not getattr(layer, "has_grads", True):
                raise RuntimeError(
                    f"model.grads: {layer.name} has had no backward pass yet, so there are no "
                    "gradients to read (only zeros): call model.backward(dout) first, after "
                    "model.forward(X) and the loss"
                )
        return [g for layer in self.layers for g in layer.grads]

    @property
    def weights(self) -> list[np.ndarray]:
        """The params that L1/L2 penalties apply to (Linear weights, not biases or BN)."""
        return [p for p, d in zip(self._params, self.penalized) if d]

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state (BatchNorm running statistics) by name, e.g. ``"1.running_var"``."""
        return {
            f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.buffers.items()
        }

    @property
    def num_params(self) -> int:
        """Total number of trainable scalars."""
        return int(sum(p.size for p in self._params))

    # -- modes ---------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Sequential:
        """Put every layer in train mode (``mode=True``) or eval mode (``False``); returns the
        model."""
        mode = check_train_mode(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> Sequential:
        """Eval mode for every layer: dropout off, BatchNorm on its running statistics."""
        return self.train(False)

    @property
    def training(self) -> bool:
        """True when the layers are in train mode."""
        return all(layer.training for layer in self.layers)

    # -- passes --------------------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Run ``X`` (``(N, D)``, or images for a leading Flatten) through every layer.

        ``X`` is converted to the model's dtype (float32 by default) if needed.
        """
        if not isinstance(X, np.ndarray):
            raise TypeError(f"X must be a numpy array, got {type(X).__name__}")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must be real-valued, got dtype {X.dtype}")
        out = X.astype(self.dtype, copy=False)
        acts = []
        for layer in self.layers:
            out = layer.forward(out)
            if self.record:
                acts.append(out)
        self.activations = acts
        return out

    __call__ = forward

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``dout = dL/d(output)``; fills :attr:`grads` and returns ``dL/dX``.

        ``input_grad=False`` skips the first layer's input gradient (what training needs;
        returns None).
        """
        grads_out = []
        for layer in reversed(self.layers):
            if self.record:
                grads_out.append(dout)
            need = input_grad or layer is not self.layers[0]
            dout = layer.backward(dout, input_grad=need)  # type: ignore[assignment]
        self.activation_grads = grads_out[::-1]
        return dout

    def predict(self, X: np.ndarray, *, batch_size: int = 2048) -> np.ndarray:
        """Outputs (logits) for ``X`` in eval mode, computed in batches; the mode is restored."""
        batch_size = int(check_scalar("batch_size", batch_size, low=1, integer=True))
        was_training = [layer.training for layer in self.layers]
        record, self.record = self.record, False
        self.eval()
        try:
            outs = [self.forward(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        finally:
            for layer, mode in zip(self.layers, was_training):
                layer.train(mode)
            self.record = record
        if not outs:
            raise ValueError("X must hold at least one example, got 0")
        return np.concatenate(outs)

    # -- copies, saving, loading ---------------------------------------------------------------
    def copy(self) -> Sequential:
        """An independent deep copy (own parameters, dropout generators in the same state)."""
        return copy.deepcopy(self)

    def astype(self, dtype: Any) -> Sequential:
        """A deep copy with parameters, gradients and buffers in ``dtype`` (e.g. float64 for
        gradient checking). The original model is untouched."""
        dt = check_float_dtype(dtype)  # float16 would overflow Adam's v and lose SGD's steps
        layers = copy.deepcopy(self.layers)
        for layer in layers:
            layer.astype(dt)
        new = Sequential(*layers)
        new.dtype = dt
        return new

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers by name (copies)."""
        state = {n: p.copy() for n, p in zip(self.param_names, self._params)}
        state.update({n: b.copy() for n, b in self.buffers.items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into the parameters and buffers (in place; names and shapes must match,
        values must be finite, also once cast to the model's dtype: a float64 ``1e40`` would
        become inf in float32). Everything is checked before anything is copied."""
        if not isinstance(state, Mapping):
            raise TypeError(
                "state must be a dict of arrays by name (from state_dict()), got "
                f"{type(state).__name__}"
            )
        targets = dict(zip(self.param_names, self._params))
        targets.update(self.buffers)
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets) - {"__architecture__"})
        if missing or unexpected:
            raise ValueError(
                f"state does not match this model: missing {missing}, unexpected {unexpected}"
            )
        values = {}
        for name, target in targets.items():
            value = np.asarray(state[name])
            if value.dtype.kind not in "iuf":  # a bool array is a mask, not parameter values
                raise TypeError(
                    f"{name} must be a real-valued array (int or float), got dtype {value.dtype}"
                )
            if value.shape != target.shape:
                raise ValueError(f"{name} must have shape {target.shape}, got {value.shape}")
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                bad = tuple(int(k) for k in np.argwhere(~np.isfinite(value))[0])
                raise NonFiniteInputError(
                    f"{name} holds {value[bad]} at index {bad}: a state's arrays must be finite "
                    "(was it saved from a diverged run?); nothing was loaded"
                )
            try:
                values[name] = cast_finite(name, value, target.dtype)
            except NonFiniteInputError as err:
                raise NonFiniteInputError(f"{err}; nothing was loaded") from None
        for name, target in targets.items():
            target[...] = values[name]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save parameters and buffers to a ``.npz`` file (keys as :attr:`param_names`).

        As with ``np.savez``, ``.npz`` is appended to a ``path`` not ending in it (``"m"`` writes
        ``m.npz``); :meth:`load` finds it under either name."""
        state = self.state_dict()
        np.savez(path, __architecture__=np.array(repr(self)), **state)  # type: ignore[arg-type]

    def load(self, path: str | os.PathLike[str]) -> Sequential:
        """Load a file written by :meth:`save` into this model (in place); returns the model.

        ``path`` is the name given to :meth:`save`: when no file has that name and it does not
        end in ``.npz``, the file ``path + ".npz"`` that ``np.savez`` wrote is read."""
        if not isinstance(path, (str, bytes, os.PathLike)):
            raise TypeError(f"path must be a file name (str or Path), got {type(path).__name__}")
        name = os.fspath(path)
        if (
            isinstance(name, str)
            and not name.endswith(".npz")
            and not os.path.exists(name)
            and os.path.exists(name + ".npz")
        ):
            path = name + ".npz"  # where np.savez (hence save) wrote it
        where = repr(os.fspath(path))
        try:
            data = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise
        except (ValueError, OSError, EOFError):  # numpy's text would suggest allow_pickle
            raise ValueError(
                f"{where} is not a model saved by Sequential.save (an .npz archive of arrays)"
            ) from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{where} holds one array, not a model saved by Sequential.save")
        with data:
            state = {k: data[k] for k in data.files}
        self.load_state_dict(state)
        return self

    # -- display -------------------------------------------------------------------------------
    def summary(self) -> str:
        """A table of layers, output features and parameter counts."""
        lines = [f"{'#':>3}  {'layer':<28} {'params':>10}"]
        for i, layer in enumerate(self.layers):
            n = sum(p.size for p in layer.params)
            lines.append(f"{i:>3}  {layer.describe():<28} {n:>10,}")
        lines.append(f"     {'total':<28} {self.num_params:>10,}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        inner = ", ".join(layer.describe() for layer in self.layers)
        return f"Sequential({inner})"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]


_ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid}


def mlp(
    sizes: Sequence[int],
    *,
    activation: str = "relu",
    init: Any = "default",
    norm: str | None = None,
    dropout: float = 0.0,
    seed: int | np.random.Generator | None = 0,
    dtype: Any = np.float32,
) -> Sequential:
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    Hidden blocks are ``Linear -> [BatchNorm | LayerNorm] -> activation -> [Dropout]``; the last
    Linear outputs logits. ``sizes`` holds ints >= 1. ``init`` is passed to every
    :class:`~dlnotes.layers.Linear`; ``norm`` is None, ``"batchnorm"`` or ``"layernorm"``;
    ``dropout`` is the drop probability ``p``. One ``seed`` makes the weights and the dropout
    masks reproducible.

    Defined in chapter 07 (Initialization).
    """
    if isinstance(sizes, str) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(
            f"sizes must be a list of layer sizes such as [784, 128, 10], got {sizes!r}"
        )
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
    sizes = [check_int(f"sizes[{k}]", size, low=1) for k, size in enumerate(sizes)]
    if not isinstance(activation, str) or activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    if norm not in (None, "batchnorm", "layernorm"):
        raise ValueError(f"norm must be None, 'batchnorm' or 'layernorm', got {norm!r}")
    dropout = check_scalar("dropout", dropout, low=0.0, high=1.0, high_inclusive=False)
    rng = seed_to_rng(seed)
    layers: list[Layer] = []
    for k, (d_in, d_out) in enumerate(itertools.pairwise(sizes)):
        last = k == len(sizes) - 2
        layers.append(
            Linear(d_in, d_out, init=init, seed=rng, dtype=dtype, bias=last or norm != "batchnorm")
        )
        if last:
            break
        if norm == "batchnorm":
            layers.append(BatchNorm(d_out, dtype=dtype))
        elif norm == "layernorm":
            layers.append(LayerNorm(d_out, dtype=dtype))
        layers.append(_ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(Dropout(dropout, seed=rng.spawn(1)[0]))
    return Sequential(*layers)
