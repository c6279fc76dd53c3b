"""The grader's comparison, in its own process, of plain data from the sandbox with the key.

Both sides are values built by :func:`plain.decode` (builtins, ndarrays, numpy scalars, or an
:class:`plain.Opaque` that equals nothing), so no object the learner made takes part. Values are
compared as :func:`dlnotes.exercises.check` does (type, shape, dtype, then ``np.isclose`` with
the exercise's ``rtol``/``atol``); inputs after the call must equal the inputs before, exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plain

from dlnotes.exercises.core import _compare


def result_problems(expected: Any, got: Any, rtol: float, atol: float) -> list[str]:
    """What is wrong with ``got`` (empty if it matches ``expected``)."""
    if _contains_opaque(got):
        return [
            f"expected {_kind(expected)}, got {_opaque_names(got)}: results must be plain "
            "numbers, strings, tuples, lists or numpy arrays (not a subclass or own class)"
        ]
    problem = _compare(expected, got, rtol, atol)
    return [] if problem is None else list(problem[1])


def same(a: Any, b: Any) -> bool:
    """Exact equality of two decoded values (NaNs equal), for the inputs-unchanged check."""
    if isinstance(a, plain.Opaque) or isinstance(b, plain.Opaque):
        return False
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (
            a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.generic):
        return bool(np.array_equal(np.array(a), np.array(b), equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    return bool(a == b)


def _contains_opaque(x: Any) -> bool:
    if isinstance(x, plain.Opaque):
        return True
    if isinstance(x, (tuple, list)):
        return any(_contains_opaque(v) for v in x)
    if isinstance(x, dict):
        return any(_contains_opaque(v) for v in x.values())
    return False


def _opaque_names(x: Any) -> str:
    if isinstance(x, plain.Opaque):
        return f"a {x.type_name} object"
    if isinstance(x, (tuple, list)):
        inner = [_opaque_names(v) for v in x if _contains_opaque(v)]
        return f"a {type(x).__name__} holding {inner[0]}"
    if isinstance(x, dict):
        inner = [_opaque_names(v) for v in x.values() if _contains_opaque(v)]
        return f"a dict holding {inner[0]}"
    return type(x).__name__


def _kind(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape}"
    return f"a {type(x).__name__}"
