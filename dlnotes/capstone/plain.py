"""Models as plain data: a flat dict of str/int/float/arrays that crosses a process boundary.

A grader must not unpickle what a learner's process sends back (unpickling runs code), so a
trained :class:`~dlnotes.model.Sequential` travels as *layer specs plus arrays*::

    {"format": "dlnotes-plain-model/1", "n_layers": 3,
     "0.type": "Linear", "0.in_features": 784, "0.out_features": 64, "0.W": (784, 64), "0.b": (64,),
     "1.type": "ReLU",
     "2.type": "Linear", ...}

Every value is a ``str``, ``int``, ``float`` or numeric ``ndarray``, so the dict can be written
with ``np.savez`` and read back with ``allow_pickle=False``. :func:`model_from_plain` rebuilds
the model and rejects anything else (unknown layer types, missing or misshapen arrays, object
arrays) with a clear error.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dlnotes.layers import (
    BatchNorm,
    Dropout,
    Flatten,
    LayerNorm,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
)
from dlnotes.layers._base import Layer
from dlnotes.model import Sequential

__all__ = ["FORMAT", "LAYER_TYPES", "model_from_plain", "model_to_plain"]

FORMAT = "dlnotes-plain-model/1"
#: The layer types a plain model may contain (exact classes: no subclasses such as DropConnect).
LAYER_TYPES = (
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Dropout",
    "BatchNorm",
    "LayerNorm",
    "Flatten",
)
_CLASSES: dict[str, type[Layer]] = {
    "Linear": Linear,
    "ReLU": ReLU,
    "LeakyReLU": LeakyReLU,
    "Tanh": Tanh,
    "Sigmoid": Sigmoid,
    "Dropout": Dropout,
    "BatchNorm": BatchNorm,
    "LayerNorm": LayerNorm,
    "Flatten": Flatten,
}
_MAX_LAYERS = 256


def _layer_spec(i: int, layer: Layer) -> dict[str, Any]:
    kind = type(layer).__name__
    if kind not in _CLASSES or type(layer) is not _CLASSES[kind]:
        raise TypeError(
            f"model layer {i} is a {kind}; a plain model supports only {', '.join(LAYER_TYPES)}"
        )
    spec: dict[str, Any] = {f"{i}.type": kind}
    if isinstance(layer, Linear):
        spec[f"{i}.in_features"] = int(layer.in_features or 0)
        spec[f"{i}.out_features"] = int(layer.out_features or 0)
    elif isinstance(layer, LeakyReLU):
        spec[f"{i}.negative_slope"] = float(layer.negative_slope)
    elif isinstance(layer, Dropout):
        spec[f"{i}.p"] = float(layer.p)
        spec[f"{i}.kind"] = str(layer.kind)
    elif isinstance(layer, (BatchNorm, LayerNorm)):
        spec[f"{i}.num_features"] = int(layer.in_features or 0)
        spec[f"{i}.eps"] = float(layer.eps)
        if isinstance(layer, BatchNorm):
            spec[f"{i}.momentum"] = float(layer.momentum)
    for name, p in zip(layer.param_names, layer.params):
        spec[f"{i}.{name}"] = np.array(p, copy=True)
    for name, b in layer.buffers.items():
        spec[f"{i}.{name}"] = np.array(b, copy=True)
    return spec


def model_to_plain(model: Sequential) -> dict[str, Any]:
    """``model`` as a flat dict of str/int/float/ndarray (layer specs and copies of its arrays).

    Raises ``TypeError`` for a model that is not a :class:`~dlnotes.model.Sequential` or holds a
    layer type outside :data:`LAYER_TYPES`.

    Defined in chapter 16 (Capstone project).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a dlnotes Sequential, got {type(model).__name__}")
    plain: dict[str, Any] = {"format": FORMAT, "n_layers": len(model.layers)}
    for i, layer in enumerate(model.layers):
        plain.update(_layer_spec(i, layer))
    return plain


def _get(plain: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in plain:
        raise ValueError(f"plain model has no entry {key!r}")
    value = plain[key]
    if isinstance(value, np.ndarray) and value.ndim == 0 and kind is not np.ndarray:
        value = value.item()  # np.savez stores scalars as 0-d arrays
    if kind is int and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if kind is float and isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if kind is str and isinstance(value, (str, np.str_)):
        return str(value)
    if kind is np.ndarray and isinstance(value, np.ndarray):
        if value.dtype.kind != "f":
            raise ValueError(f"plain model entry {key!r} must be a float array, got {value.dtype}")
        return value
    expected = kind.__name__ if isinstance(kind, type) else kind
    raise ValueError(
        f"plain model entry {key!r} must be {expected}, got {type(value).__name__} {value!r:.60}"
    )


def _array(plain: Mapping[str, Any], key: str, shape: tuple[int, ...]) -> np.ndarray:
    value = _get(plain, key, np.ndarray)
    if value.shape != shape:
        raise ValueError(f"plain model entry {key!r} must have shape {shape}, got {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"plain model entry {key!r} contains inf or NaN")
    return value


def _build_layer(plain: Mapping[str, Any], i: int, dtype: np.dtype) -> Layer:
    kind = _get(plain, f"{i}.type", str)
    if kind not in _CLASSES:
        raise ValueError(
            f"plain model layer {i} has unknown type {kind!r:.60}; expected one of "
            f"{', '.join(LAYER_TYPES)}"
        )
    layer: Layer
    if kind == "Linear":
        d_in = _get(plain, f"{i}.in_features", int)
        d_out = _get(plain, f"{i}.out_features", int)
        if not (0 < d_in <= 1 << 16 and 0 < d_out <= 1 << 16):
            raise ValueError(f"plain model layer {i}: sizes {d_in} -> {d_out} out of range")
        W = _array(plain, f"{i}.W", (d_in, d_out))
        has_bias = f"{i}.b" in plain
        layer = Linear(d_in, d_out, bias=has_bias, init=W, dtype=dtype)
        if has_bias:
            layer.params[1][...] = _array(plain, f"{i}.b", (d_out,))
    elif kind == "LeakyReLU":
        layer = LeakyReLU(_get(plain, f"{i}.negative_slope", float))
    elif kind == "Dropout":
        layer = Dropout(_get(plain, f"{i}.p", float), kind=_get(plain, f"{i}.kind", str), seed=0)
    elif kind in ("BatchNorm", "LayerNorm"):
        D = _get(plain, f"{i}.num_features", int)
        eps = _get(plain, f"{i}.eps", float)
        if kind == "BatchNorm":
            momentum = _get(plain, f"{i}.momentum", float)
            layer = BatchNorm(D, momentum=momentum, eps=eps, dtype=dtype)
            for name in ("running_mean", "running_var"):
                layer.buffers[name][...] = _array(plain, f"{i}.{name}", (D,))
        else:
            layer = LayerNorm(D, eps=eps, dtype=dtype)
        layer.params[0][...] = _array(plain, f"{i}.gamma", (D,))
        layer.params[1][...] = _array(plain, f"{i}.beta", (D,))
    else:
        layer = _CLASSES[kind]()
    return layer


def model_from_plain(plain: Mapping[str, Any]) -> Sequential:
    """Rebuild the :class:`~dlnotes.model.Sequential` that :func:`model_to_plain` described.

    ``plain`` may also be an ``np.load`` result (0-d arrays are read as scalars). Raises
    ``TypeError`` if it is not a mapping and ``ValueError`` for a wrong format tag, an unknown
    layer type, a missing or misshapen array, a non-float or non-finite array, extra entries,
    or layers whose sizes do not chain. The model comes back in eval mode, in the dtype of its
    first weight.

    Defined in chapter 16 (Capstone project).
    """
    if not isinstance(plain, Mapping) and not hasattr(plain, "files"):
        raise TypeError(f"plain must be a dict of plain data, got {type(plain).__name__}")
    keys = list(plain.files) if hasattr(plain, "files") else list(plain.keys())
    if not all(isinstance(k, str) for k in keys):
        raise ValueError("plain model keys must all be strings")
    view = {k: plain[k] for k in keys}
    fmt = _get(view, "format", str)
    if fmt != FORMAT:
        raise ValueError(f"plain model format must be {FORMAT!r}, got {fmt!r:.60}")
    n = _get(view, "n_layers", int)
    if not 1 <= n <= _MAX_LAYERS:
        raise ValueError(f"plain model n_layers must be in 1..{_MAX_LAYERS}, got {n}")
    first_float = next(
        (v.dtype for k, v in view.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"),
        np.dtype(np.float32),
    )
    dtype = np.dtype(first_float)
    layers = [_build_layer(view, i, dtype) for i in range(n)]
    expected = {"format", "n_layers"}
    for i, layer in enumerate(layers):
        expected |= set(_layer_spec(i, layer))
    extra = sorted(set(view) - expected)
    if extra:  # the names, like every value quoted, cut: they come from the learner's file
        raise ValueError(f"plain model has unexpected entries {[k[:60] for k in extra[:5]]}")
    model = Sequential(*layers)
    model.eval()
    return model
