"""From the careless-learner leftovers of the last review and a new careless-learner review:
answers that passed, or failed with a misleading message, are now rejected and named.

* ch10_dropout_forward: ``mode is "train"`` passed (every case's mode was the interned literal);
  a mode built at run time, as one read from a config file would be, now fails and is named;
* ch02_clip_by_norm: no case had a zero gradient; ``max_norm / float(norm)`` raised on one and
  ``g / norm * min(norm, max_norm)`` returned NaN (named). The task says what a zero gradient
  gives;
* ch14_ema_update: the promise "each result in the dtype of its pair" had no mixed list.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from verdicts import feedback, mistake_names

from dlnotes.exercises import check

SUITES = ("visible", "hidden")


def _learner(source: str, name: str):
    """The function ``name`` a learner's cell ``source`` defines (compiled as a notebook would,
    its SyntaxWarnings silenced)."""
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        exec(compile(source, "<learner's cell>", "exec"), namespace)
    return namespace[name]


_MODE_IS = """
import numpy as np

def dropout_forward(X, p, mode, u):
    if mode is "train":
        return X * (u >= p) / (1 - p)
    return X.copy()
"""


@pytest.mark.parametrize("suite", SUITES)
def test_mode_compared_with_is_is_named(suite):
    message = feedback("ch10_dropout_forward", _learner(_MODE_IS, "dropout_forward"), suite)
    assert mistake_names(message) == ["mode compared with is"]
    assert 'mode == "train"' in message


def _clip_with_float(g, max_norm):
    return g * min(1.0, max_norm / float(np.linalg.norm(g)))  # 0.0 is a Python float: 1/0 raises


def _clip_normalized_first(g, max_norm):
    norm = np.linalg.norm(g)
    return g / norm * min(norm, max_norm)


def _clip_numpy_division(g, max_norm):
    with np.errstate(divide="ignore"):
        return g * min(1.0, max_norm / np.linalg.norm(g))  # numpy: c/0 = inf, min(1, inf) = 1


@pytest.mark.parametrize("suite", SUITES)
def test_a_zero_gradient_is_checked(suite):
    """A zero gradient (every unit dead) comes back as zeros: ``float(norm)`` division raises and
    g/‖g‖ first gives NaN (named); numpy's inf, clamped by min, is right."""
    message = feedback("ch02_clip_by_norm", _clip_with_float, suite)
    assert "ZeroDivisionError" in message and "zero" in message
    message = feedback("ch02_clip_by_norm", _clip_normalized_first, suite)
    assert mistake_names(message) == ["normalized first: 0/0 for a zero gradient"]
    check("ch02_clip_by_norm", _clip_numpy_division, suite=suite)


def _ema_one_dtype(avg_params, params, decay):
    dtype = avg_params[0].dtype  # "the model's dtype"
    return [(decay * a + (1 - decay) * p).astype(dtype) for a, p in zip(avg_params, params)]


def test_each_ema_pair_keeps_its_own_dtype():
    """A list mixing a float32 weight and a float64 bias: one dtype for the whole list fails the
    hidden suite, with the dtype diagnosis."""
    check("ch14_ema_update", _ema_one_dtype)  # every visible list has one dtype
    message = feedback("ch14_ema_update", _ema_one_dtype, "hidden")
    assert "a float32 weight and a float64 bias" in message
    assert "expected float64, got float32" in message
