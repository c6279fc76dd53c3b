"""Checkpoints and networks that cross between dlnotes and PyTorch.

dlnotes never needs torch: this module imports it only inside the functions that build torch
objects, so ``import dlnotes.torch_bridge`` works without it. Two conventions differ and are
converted here:

* **Weight layout.** dlnotes computes ``X @ W`` with ``W`` of shape ``(in, out)``; torch's
  ``nn.Linear`` computes ``X @ weight.T`` with ``weight`` of shape ``(out, in)``. So
  ``weight = W.T``.
* **Names.** dlnotes calls a model's arrays ``"0.W"``, ``"0.b"``, ``"1.gamma"``, ``"1.beta"``;
  torch's ``nn.Sequential`` calls them ``"0.weight"``, ``"0.bias"``, ``"1.weight"``,
  ``"1.bias"``. BatchNorm's running statistics have the same names in both; torch adds
  ``num_batches_tracked``, which it uses only when ``momentum=None`` (dlnotes always has a
  momentum), so it is written as 0 and dropped on the way back.

Optimizer checkpoints already use torch's layout and buffer names
(:meth:`dlnotes.optim.Optimizer.state_dict`); :func:`optimizer_state_to_torch` turns the
arrays into tensors and transposes the buffers of Linear weights, which are shaped like the
weights.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "model_state_from_torch",
    "model_state_to_torch",
    "optimizer_state_from_torch",
    "optimizer_state_to_torch",
    "torch_sequential",
]


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - exercised by tests/test_without_torch.py
        raise ImportError(
            "this function needs PyTorch; install the CPU build with "
            "`pip install torch --index-url https://download.pytorch.org/whl/cpu`"
        ) from None
    return torch


def _check_state(state: Any, what: str) -> None:
    """``state`` is a dict of named entries (a ``state_dict()``)."""
    if not isinstance(state, Mapping) or not all(isinstance(k, str) for k in state):
        raise TypeError(f"{what} must be a dict name -> array (a state_dict()), got {state!r:.80}")


def _check_model(model: Any) -> None:
    """``model`` is a dlnotes ``Sequential`` (its layers, parameters and their names)."""
    if not all(hasattr(model, a) for a in ("layers", "params", "param_names", "dtype")):
        raise TypeError(f"model must be a dlnotes Sequential, got {type(model).__name__}")


def _optimizer_ids(state_dict: Any, model: Any) -> list[Any]:
    """The parameter ids of an optimizer ``state_dict`` (one group) that trains ``model``."""
    _check_model(model)
    groups = state_dict.get("param_groups") if isinstance(state_dict, Mapping) else None
    if not (isinstance(groups, list) and len(groups) == 1 and "params" in groups[0]):
        raise ValueError(
            "state_dict must be an optimizer's state_dict() with 'state' and one entry in "
            f"'param_groups' (a dict with 'params'), got {state_dict!r:.80}"
        )
    ids = list(groups[0]["params"])
    if len(ids) != len(model.params):
        raise ValueError(
            f"the optimizer holds {len(ids)} parameters and the model {len(model.params)}: "
            "is it the optimizer of this model?"
        )
    unknown = [i for i in state_dict.get("state", {}) if i not in ids]
    if unknown:
        raise ValueError(f"state_dict['state'] has ids {unknown} that are not in its params")
    return ids


def _check_buffer_shape(buffer: np.ndarray, model: Any, k: int, key: str) -> None:
    """An optimizer buffer has its parameter's shape (in dlnotes' orientation)."""
    want = np.shape(model.params[k])
    if buffer.shape != want:
        raise ValueError(
            f"the optimizer's {key!r} of parameter {k} ({model.param_names[k]}) has shape "
            f"{buffer.shape}, the model's parameter {want}: is it the optimizer of this model?"
        )


def model_state_to_torch(state: dict[str, np.ndarray]) -> dict[str, Any]:
    """A dlnotes model ``state_dict()`` as an ``nn.Sequential`` state dict of tensors.

    ``"i.W" (in, out) -> "i.weight" (out, in)`` (transposed), ``"i.b" -> "i.bias"``,
    ``"i.gamma" -> "i.weight"``, ``"i.beta" -> "i.bias"``, running statistics unchanged, plus
    ``"i.num_batches_tracked" = 0`` for each BatchNorm. Tensors are copies.

    Defined in chapter 15 (From numpy to a framework).
    """
    _check_state(state, "state")
    torch = _torch()
    out: dict[str, Any] = {}
    for name, value in state.items():
        if name.startswith("__"):
            continue
        index, _, key = name.partition(".")
        arr = np.array(value, copy=True)
        if arr.dtype not in (np.float32, np.float64):
            raise TypeError(f"state[{name!r}] must be float32 or float64, got dtype {arr.dtype}")
        if key == "W":
            out[f"{index}.weight"] = torch.from_numpy(np.ascontiguousarray(arr.T))
        elif key in ("b", "beta"):
            out[f"{index}.bias"] = torch.from_numpy(arr)
        elif key == "gamma":
            out[f"{index}.weight"] = torch.from_numpy(arr)
        elif key in ("running_mean", "running_var"):
            out[name] = torch.from_numpy(arr)
            out[f"{index}.num_batches_tracked"] = torch.tensor(0)
        else:
            raise ValueError(f"state has {name!r}, which has no torch counterpart")
    return out


def model_state_from_torch(state: dict[str, Any]) -> dict[str, np.ndarray]:
    """The inverse of :func:`model_state_to_torch`: an ``nn.Sequential`` state dict (tensors)
    as a dlnotes model ``state_dict()`` of numpy arrays (copies).

    A 2-D ``weight`` is a Linear's (transposed to ``(in, out)``); a 1-D ``weight``/``bias`` pair
    is a normalization layer's ``gamma``/``beta``. ``num_batches_tracked`` is dropped.

    Defined in chapter 15 (From numpy to a framework).
    """
    _check_state(state, "state")
    arrays = {
        k: np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v, copy=True)
        for k, v in state.items()
    }
    for name, arr in arrays.items():
        key = name.partition(".")[2]
        if key in ("weight", "bias", "running_mean", "running_var") and arr.dtype.kind != "f":
            raise TypeError(f"torch state {name!r} must be a float tensor, got dtype {arr.dtype}")
        if key == "weight" and arr.ndim not in (1, 2):
            raise ValueError(
                f"torch state {name!r} has shape {arr.shape}: a dlnotes model holds Linear "
                "weights (2-D) and normalization scales (1-D) only, not convolutions"
            )
    linear = {
        k.partition(".")[0] for k, v in arrays.items() if k.endswith(".weight") and v.ndim == 2
    }
    out: dict[str, np.ndarray] = {}
    for name, arr in arrays.items():
        index, _, key = name.partition(".")
        if key == "num_batches_tracked":
            continue
        if key == "weight":
            out[f"{index}.W" if index in linear else f"{index}.gamma"] = (
                np.ascontiguousarray(arr.T) if index in linear else arr
            )
        elif key == "bias":
            out[f"{index}.b" if index in linear else f"{index}.beta"] = arr
        elif key in ("running_mean", "running_var"):
            out[name] = arr
        else:
            raise ValueError(f"torch state has {name!r}, which has no dlnotes counterpart")
    return out


def _transposed_params(model: Any) -> set[int]:
    """Indices of ``model.params`` that are Linear weights (stored transposed by torch)."""
    return {k for k, name in enumerate(model.param_names) if name.endswith(".W")}


def optimizer_state_to_torch(state_dict: dict[str, Any], model: Any) -> dict[str, Any]:
    """A dlnotes optimizer ``state_dict()`` for ``torch.optim.Optimizer.load_state_dict``.

    Arrays become tensors; the buffers of Linear weights are transposed like the weights
    themselves (a momentum buffer is shaped like its parameter: ``(in, out)`` here, ``(out, in)``
    in torch), which is why the ``model`` the optimizer trains is needed; ``"step"`` becomes a
    float32 tensor, as torch keeps it.

    Defined in chapter 15 (From numpy to a framework).
    """
    ids = _optimizer_ids(state_dict, model)
    torch = _torch()
    transposed = _transposed_params(model)
    state = {}
    for i, entry in state_dict["state"].items():
        flip = ids.index(i) in transposed
        converted = {}
        for k, v in entry.items():
            if k == "step":
                converted[k] = torch.tensor(float(v))
            else:
                _check_buffer_shape(np.asarray(v), model, ids.index(i), k)
                arr = np.ascontiguousarray(np.asarray(v).T if flip else v)
                converted[k] = torch.from_numpy(np.array(arr, copy=True))
        state[i] = converted
    groups = [dict(g) for g in state_dict["param_groups"]]
    return {"state": state, "param_groups": groups}


def optimizer_state_from_torch(state_dict: dict[str, Any], model: Any) -> dict[str, Any]:
    """A ``torch.optim`` state dict for a dlnotes optimizer training ``model``: numpy arrays
    (copies; Linear weights' buffers transposed back to ``(in, out)``) and an integer
    ``"step"``.

    Defined in chapter 15 (From numpy to a framework).
    """
    ids = _optimizer_ids(state_dict, model)
    transposed = _transposed_params(model)
    state: dict[int, dict[str, Any]] = {}
    for i, entry in state_dict["state"].items():
        flip = ids.index(i) in transposed
        converted: dict[str, Any] = {}
        for k, v in entry.items():
            if v is None:
                continue
            value = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
            if k == "step":
                converted[k] = round(float(value))
            else:
                converted[k] = np.ascontiguousarray(value.T if flip else value).copy()
                _check_buffer_shape(converted[k], model, ids.index(i), k)
        state[i] = converted
    return {"state": state, "param_groups": [dict(g) for g in state_dict["param_groups"]]}


def torch_sequential(model: Any) -> Any:
    """An ``nn.Sequential`` that computes what the dlnotes ``Sequential`` ``model`` computes.

    Layer by layer: Linear -> ``nn.Linear`` (weight ``W.T``), BatchNorm -> ``nn.BatchNorm1d``
    (same momentum and eps), LayerNorm -> ``nn.LayerNorm``, ReLU/Tanh/Sigmoid, LeakyReLU (same
    slope), Dropout (inverted)
    -> ``nn.Dropout(p)`` (torch draws its own masks), Flatten -> ``nn.Flatten``. The parameters
    and running statistics are copied; the dtype is the model's; the mode (train/eval) too.

    Defined in chapter 15 (From numpy to a framework).
    """
    _check_model(model)
    torch = _torch()
    nn = torch.nn
    dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(model.dtype)
    ]
    modules = []
    for i, layer in enumerate(model.layers):
        kind = type(layer).__name__
        if kind == "Linear":
            modules.append(
                nn.Linear(layer.in_features, layer.out_features, bias=layer.b is not None)
            )
        elif kind in ("BatchNorm", "BatchNorm1d"):
            modules.append(
                nn.BatchNorm1d(layer.in_features, eps=layer.eps, momentum=layer.momentum)
            )
        elif kind == "LayerNorm":
            modules.append(nn.LayerNorm(layer.in_features, eps=layer.eps))
        elif kind in ("ReLU", "Tanh", "Sigmoid", "Flatten"):
            modules.append(getattr(nn, kind)())
        elif kind == "LeakyReLU":
            modules.append(nn.LeakyReLU(layer.negative_slope))
        elif kind == "Dropout":
            if layer.kind != "inverted":
                raise ValueError(f"layer {i}: torch has only inverted dropout, got {layer.kind}")
            modules.append(nn.Dropout(layer.p))
        else:
            raise TypeError(f"layer {i} ({layer.describe()}) has no torch counterpart here")
    net = nn.Sequential(*modules).to(dtype)
    net.load_state_dict(model_state_to_torch(model.state_dict()))
    net.train(model.training)
    return net
