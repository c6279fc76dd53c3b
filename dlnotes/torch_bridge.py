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


def model_state_to_torch(state: dict[str, np.ndarray]) -> dict[str, Any]:
    """A dlnotes model ``state_dict()`` as an ``nn.Sequential`` state dict of tensors.

    ``"i.W" (in, out) -> "i.weight" (out, in)`` (transposed), ``"i.b" -> "i.bias"``,
    ``"i.gamma" -> "i.weight"``, ``"i.beta" -> "i.bias"``, running statistics unchanged, plus
    ``"i.num_batches_tracked" = 0`` for each BatchNorm. Tensors are copies.

    Defined in chapter 15 (From numpy to a framework).
    """
    torch = _torch()
    out: dict[str, Any] = {}
    for name, value in state.items():
        if name.startswith("__"):
            continue
        index, _, key = name.partition(".")
        arr = np.array(value, copy=True)
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
    arrays = {
        k: np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v, copy=True)
        for k, v in state.items()
    }
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
    torch = _torch()
    transposed = _transposed_params(model)
    ids = state_dict["param_groups"][0]["params"]
    state = {}
    for i, entry in state_dict["state"].items():
        flip = ids.index(i) in transposed
        converted = {}
        for k, v in entry.items():
            if k == "step":
                converted[k] = torch.tensor(float(v))
            else:
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
    transposed = _transposed_params(model)
    ids = list(state_dict["param_groups"][0]["params"])
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
        state[i] = converted
    return {"state": state, "param_groups": [dict(g) for g in state_dict["param_groups"]]}


def torch_sequential(model: Any) -> Any:
    """An ``nn.Sequential`` that computes what the dlnotes ``Sequential`` ``model`` computes.

    Layer by layer: Linear -> ``nn.Linear`` (weight ``W.T``), BatchNorm -> ``nn.BatchNorm1d``
    (same momentum and eps), LayerNorm -> ``nn.LayerNorm``, ReLU/Tanh/Sigmoid, Dropout (inverted)
    -> ``nn.Dropout(p)`` (torch draws its own masks), Flatten -> ``nn.Flatten``. The parameters
    and running statistics are copied; the dtype is the model's; the mode (train/eval) too.

    Defined in chapter 15 (From numpy to a framework).
    """
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
