"""Exponentially weighted averages of a series, and averages of parameter iterates.

* :func:`ewa` smooths a 1-D series, ``v_t = beta v_{t-1} + (1 - beta) x_t`` (chapter 03);
* :class:`EMA` keeps an exponential moving average of a model's parameters (chapter 14);
* :class:`PolyakAverage` keeps the arithmetic mean of the iterates (Polyak & Juditsky 1992).

Both parameter averages hold their own copies (in the parameters' dtype): ``update(params)``
after each optimizer step, then read ``.averaged`` or write the average into a model with
``copy_to(params)``. A single array works as well as a list of arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validate import NonFiniteInputError, as_float_array, check_bool, check_scalar

__all__ = ["EMA", "PolyakAverage", "effective_window", "ewa"]


def ewa(series: Any, beta: float, bias_correction: bool = False) -> np.ndarray:
    """Exponentially weighted average of a 1-D ``series`` of length n; returns n values.

    With ``v_0 = 0`` and ``t = 1 .. n`` (``out[t - 1]`` holds ``v_t``)::

        v_t = beta * v_{t-1} + (1 - beta) * x_t
        v_t / (1 - beta**t)                      if bias_correction

    Without correction the first values are pulled towards 0 (``v_1 = (1 - beta) x_1``); the
    correction divides by the total weight ``1 - beta**t`` so that a constant series is
    reproduced from the first step (exactly in exact arithmetic; to within rounding, about
    1e-14 of its value, in floating point). ``beta`` is in [0, 1); the average spans about
    ``1 / (1 - beta)`` values (:func:`effective_window`).

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    x = as_float_array("series", series, ndim=1)
    beta = check_scalar("beta", beta, low=0.0, high=1.0, high_inclusive=False)
    bias_correction = check_bool("bias_correction", bias_correction)
    out = np.empty(x.shape, dtype=np.float64)
    v = 0.0
    for t in range(1, x.size + 1):
        v = beta * v + (1.0 - beta) * float(x[t - 1])
        out[t - 1] = v / (1.0 - beta**t) if bias_correction else v
    return out


def effective_window(beta: float) -> float:
    """``1 / (1 - beta)``: roughly how many recent values an EWA with this ``beta`` averages.

    Defined in chapter 03 (Mini-batches and moving averages).
    """
    beta = check_scalar("beta", beta, low=0.0, high=1.0, high_inclusive=False)
    return 1.0 / (1.0 - beta)


def _copy_params(params: Any) -> tuple[list[np.ndarray], bool]:
    single = isinstance(params, np.ndarray)
    seq = [params] if single else params
    if not isinstance(seq, (list, tuple)) or not seq:
        raise TypeError(
            f"params must be a float array or a non-empty list of them, got {type(params).__name__}"
        )
    out = []
    for i, p in enumerate(seq):
        name = "params" if single else f"params[{i}]"
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            what = p.dtype if isinstance(p, np.ndarray) else type(p).__name__
            raise TypeError(f"{name} must be a float numpy array, got {what}")
        out.append(np.zeros(p.shape, dtype=p.dtype))
    return out, single


class _ParamAverage:
    """Shared plumbing: shape checks, ``averaged`` and ``copy_to``."""

    def __init__(self, params: Any) -> None:
        self._avg, self._single = _copy_params(params)
        self.t = 0

    def _check(self, params: Any, what: str) -> list[np.ndarray]:
        seq = [params] if isinstance(params, np.ndarray) and self._single else params
        if not isinstance(seq, (list, tuple)) or len(seq) != len(self._avg):
            raise ValueError(
                f"{what} must match the {len(self._avg)} parameter array(s) given at construction, "
                f"got {type(params).__name__}"
                + (f" of length {len(seq)}" if isinstance(seq, (list, tuple)) else "")
            )
        out = []
        for i, (a, p) in enumerate(zip(self._avg, seq)):
            name = what if self._single else f"{what}[{i}]"
            p = as_float_array(name, p)
            if p.shape != a.shape:
                raise ValueError(f"{name} must have shape {a.shape}, got {p.shape}")
            if not np.all(np.isfinite(p)):  # one NaN would stay in the average for good
                raise NonFiniteInputError(
                    f"{name} holds inf or NaN (the training diverged?); the average was left "
                    "unchanged"
                )
            out.append(p)
        return out

    def _value(self, i: int) -> np.ndarray:
        return self._avg[i].copy()

    @property
    def averaged(self) -> Any:
        """The current average: a list of new arrays (one array if built from one array)."""
        if self.t == 0:
            raise ValueError(f"{type(self).__name__} has no average yet: call update(params) first")
        values = [self._value(i) for i in range(len(self._avg))]
        return values[0] if self._single else values

    def copy_to(self, params: Any) -> None:
        """Write the average into ``params`` in place (e.g. to evaluate the averaged model)."""
        raw = [params] if isinstance(params, np.ndarray) and self._single else params
        if isinstance(raw, (list, tuple)):
            for i, target in enumerate(raw):
                name = "params" if self._single else f"params[{i}]"
                if not isinstance(target, np.ndarray) or target.dtype.kind != "f":
                    raise TypeError(f"{name} must be a float numpy array to copy the average into")
                if not target.flags.writeable:
                    raise ValueError(f"{name} must be writeable, got a read-only array")
        targets = self._check(params, "params")
        values = self.averaged
        for target, value in zip(targets, [values] if self._single else values):
            target[...] = value


class EMA(_ParamAverage):
    """Exponential moving average of parameters (weights), optionally bias-corrected.

    ``params`` (one float array or a list) fixes the shapes and dtypes; the average starts at
    zeros. Each :meth:`update` with the current parameters ``x`` (``t = 1, 2, ...``)::

        shadow = decay * shadow + (1 - decay) * x
        averaged = shadow / (1 - decay**t)       if bias_correction else shadow

    With bias correction (the default, as ``optax.ema(debias=True)``) the first average is
    exactly the first iterate and each later iterate weighs ``(1 - decay)`` relative to the
    rest. (torch's ``AveragedModel`` with ``get_ema_multi_avg_fn`` instead starts from the first
    iterate and then applies the recursion.)

    Defined in chapter 14 (Ensembles and weight averaging).
    """

    def __init__(self, params: Any, decay: float = 0.999, bias_correction: bool = True) -> None:
        super().__init__(params)
        self.decay = decay
        self.bias_correction = bias_correction

    @property
    def decay(self) -> float:
        """The decay rate in [0, 1); may be reassigned between updates (validated, as the
        constructor validates it: a NaN or a value >= 1 would ruin the average for good)."""
        return self._decay

    @decay.setter
    def decay(self, value: float) -> None:
        self._decay = check_scalar("decay", value, low=0.0, high=1.0, high_inclusive=False)

    @property
    def bias_correction(self) -> bool:
        """Whether :attr:`averaged` divides by ``1 - decay**t`` (True or False; validated)."""
        return self._bias_correction

    @bias_correction.setter
    def bias_correction(self, value: bool) -> None:
        self._bias_correction = check_bool("bias_correction", value)

    @property
    def shadow(self) -> list[np.ndarray]:
        """The raw (uncorrected) running averages, one per parameter."""
        return self._avg

    def update(self, params: Any) -> None:
        """Fold the current parameters into the average (``t`` increases by one)."""
        for avg, x in zip(self._avg, self._check(params, "params")):
            avg *= self.decay
            avg += (1.0 - self.decay) * x
        self.t += 1

    def _value(self, i: int) -> np.ndarray:
        if self.bias_correction:
            return self._avg[i] / (1.0 - self.decay**self.t)
        return self._avg[i].copy()


class PolyakAverage(_ParamAverage):
    """Running arithmetic mean of the iterates (Polyak averaging): after ``t`` updates::

        averaged = (x_1 + ... + x_t) / t,    computed as  avg += (x_t - avg) / t

    Start calling :meth:`update` once the iterates hover around a minimum (averaging the
    early, far-away iterates drags the mean back).

    Defined in chapter 14 (Ensembles and weight averaging).
    """

    def update(self, params: Any) -> None:
        """Fold the current parameters into the mean (``t`` increases by one)."""
        checked = self._check(params, "params")
        self.t += 1
        for avg, x in zip(self._avg, checked):
            avg += (x - avg) / self.t
