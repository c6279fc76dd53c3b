"""Input validation shared by every public function.

Errors name the argument, the expected value and the actual one, e.g.
``ValueError: lr must be >= 0, got -0.1``. Kept tiny and numpy-only (ground floor).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class NonFiniteError(FloatingPointError):
    """A value became inf or NaN (a diverging run); the message says where and when."""


class NonFiniteInputError(NonFiniteError, ValueError):
    """An input array holds inf or NaN where the function refuses it (batch norm's training
    batch): a bad argument (``ValueError``) that usually means a diverging run (caught as
    :class:`NonFiniteError` by :func:`dlnotes.train.fit`)."""


def as_float_array(
    name: str, x: Any, *, ndim: int | None = None, shape: tuple[int | None, ...] | None = None
) -> np.ndarray:
    """Return ``x`` as a float ndarray (float64 unless already float32/64), or raise.

    ``shape`` may use ``None`` for "any size along this axis".
    """
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        arr = x
    else:
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if shape is not None:
        ok = len(shape) == arr.ndim and all(s is None or s == a for s, a in zip(shape, arr.shape))
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    return arr


def check_array(name: str, x: Any, *, where: str = "") -> np.ndarray:
    """Require a real-valued numpy array (no silent conversion of lists or objects).

    ``where`` names the function for the message, e.g. ``"linear_forward: X must be ..."``.
    """
    at = f"{where}: " if where else ""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{at}{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{at}{name} must be a real-valued array, got dtype {x.dtype}")
    return x


def check_float_array(name: str, x: Any, *, where: str = "") -> np.ndarray:
    """Require a floating-point numpy array: an int or bool array would be computed in its own
    dtype (``bool @ bool`` is a logical or, int8 products wrap around).

    ``where`` names the function for the message, e.g. ``"linear_forward: X must be ..."``.
    """
    check_array(name, x, where=where)
    if x.dtype.kind != "f":
        at = f"{where}: " if where else ""
        raise TypeError(
            f"{at}{name} must be a float array (float32 or float64), got dtype {x.dtype}"
        )
    return x


def check_same_shape(name: str, x: Any, shape: tuple[int, ...], *, where: str, what: str) -> None:
    """Require ``x`` to be an array of exactly ``shape`` (``what`` says whose shape it is)."""
    check_array(name, x, where=where)
    if x.shape != shape:
        raise ValueError(f"{where}: {name} must have the shape of {what} {shape}, got {x.shape}")


def check_mask(
    name: str, mask: Any, shape: tuple[int, ...], *, where: str, what: str
) -> np.ndarray:
    """Require a dropout mask of exactly ``shape`` holding 0/1 (or False/True) only.

    Returns it as booleans (True = keep). A mask of other values (e.g. already scaled by
    ``1/(1 - p)``) would be read as "keep" wherever it is nonzero, so it is refused.
    """
    check_same_shape(name, mask, shape, where=where, what=what)
    keep = mask != 0
    if mask.dtype.kind != "b" and not np.all(keep == (mask == 1)):
        bad = mask[keep != (mask == 1)].flat[0]
        raise ValueError(f"{where}: {name} must hold only 0 and 1 (1 = keep), got {bad}")
    return keep


def is_real(value: Any) -> bool:
    """Whether ``value`` is one real number: a Python or numpy int or float, not a bool (which
    Python counts as an int) and not an array."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(
        value, (int, float, np.integer, np.floating)
    )


def check_scalar(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Return ``value`` as a float (or int) after checking type and range."""
    if not is_real(value):
        kind = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if integer and not float(value).is_integer():
        raise TypeError(f"{name} must be an integer, got {value!r}")
    v = int(value) if integer else float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v < low or (v == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and (v > high or (v == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {value!r}")
    return v


def check_bool(name: str, value: Any) -> bool:
    """Require ``True`` or ``False`` (a numpy bool too); return a Python bool.

    ``nesterov=1`` or ``shuffle="False"`` is more likely a typo than a choice, and ``bool()``
    would turn the string ``"False"`` into True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_seed(name: str, seed: Any) -> Any:
    """Refuse a negative integer seed (numpy's generators take seeds >= 0); return ``seed``.

    Only the sign is checked here: the caller decides which other kinds of seed it takes.
    """
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed < 0:
        raise ValueError(f"{name} must be >= 0 (numpy's random generators need it), got {seed}")
    return seed


def check_float_dtype(dtype: Any) -> np.dtype:
    """A ``dtype`` argument for parameters, weights or data: float32 or float64 (what every
    layer and optimizer takes; float16's range ends at 65504, and an integer dtype would
    truncate every draw), else a TypeError naming it (a misspelt ``"flaot32"`` included)."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def check_finite(name: str, x: np.ndarray, *, where: str = "") -> None:
    """Raise :class:`NonFiniteError` if ``x`` holds inf or NaN."""
    if not np.all(np.isfinite(x)):
        bad = np.argwhere(~np.isfinite(np.atleast_1d(x)))[0]
        at = f" {where}" if where else ""
        raise NonFiniteError(
            f"{name} is not finite{at}: first bad entry at index "
            f"{tuple(int(i) for i in bad)} = {np.atleast_1d(x)[tuple(bad)]}"
        )


def check_int(name: str, value: Any, *, low: int | None = None) -> int:
    """Require an integer (a Python or numpy int, not a bool or a float such as ``3.0``) that is
    ``>= low``; return it as a Python int.

    For counts and sizes (``Linear(in_features, out_features)``): torch refuses ``3.0`` there,
    and a float size is usually a computed value that should have been rounded on purpose.
    (:func:`check_scalar` with ``integer=True`` accepts an integral float; this does not.)
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return int(value)


def cast_finite(name: str, x: Any, dtype: Any) -> np.ndarray:
    """Return ``x`` cast to the float ``dtype``; refuse an entry that is finite in ``x`` but
    overflows to inf in ``dtype`` (``1e40`` in float32) with :class:`NonFiniteInputError`
    naming ``name``, the entry and the dtype's range.

    Entries that are already inf or NaN in ``x`` pass through: whether those are allowed is the
    caller's decision. A cast that fits costs one pass over the result.
    """
    x = np.asarray(x)
    dt = np.dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        cast = x.astype(dt, copy=False)
    if dt.kind != "f" or np.all(np.isfinite(cast)):
        return cast
    overflowed = ~np.isfinite(cast) & np.isfinite(x)
    if not np.any(overflowed):
        return cast
    bad = tuple(int(k) for k in np.argwhere(overflowed)[0])
    what = f"{name} holds {x[bad]} at index {bad}," if bad else f"{name} = {x[bad]} is"
    raise NonFiniteInputError(
        f"{what} beyond the range of {dt} (largest finite value {np.finfo(dt).max:.7g}): it "
        f"would be stored as {cast[bad]}"
    )
