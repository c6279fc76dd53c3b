"""Chapters 01, 04 and 07: wrong answers a careless learner writes that got only generic or
misleading feedback are named.

* ch04_nesterov: the iterates list started with x_1 (x_0 never stored) got only "wrong shape";
  ``x += v; xs.append(x)`` after storing a copy of x0 got "28 of 32 entries differ" (the
  registered aliasing mistake stores x0 itself, so its row 0 is wrong too);
* ch07_xavier_uniform: the target variance 2 / (fan_in + fan_out) used as the bound got
  "off by a factor" (ch07_kaiming_normal names its variance passed as the std);
* ch01_dev_set_size: ``int(x) + 1`` got only "expected 16, got 17";
* ch01_standardize: a function that raises (per-example statistics applied to the other set, or
  a parameter named ``Xtrain`` while the body reads the notebook's ``X_train``) ends the checks
  with the exception: no registered mistake or diagnosis can match a raising function, so the
  feedback is the error, its line and the inputs, and for the misspelt parameter a note that
  names the notebook's variable read instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from verdicts import feedback, mistake_names

from dlnotes.exercises import FunctionExercise, check, get

SUITES = ("visible", "hidden")


def _learner(source: str, name: str, **notebook):
    """The function ``name`` a learner's cell ``source`` defines, in a namespace holding the
    ``notebook``'s variables (compiled as a notebook would, its SyntaxWarnings silenced)."""
    namespace: dict = dict(notebook)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        exec(compile(source, "<learner's cell>", "exec"), namespace)
    return namespace[name]


_NESTEROV_NO_X0 = """
import numpy as np

def nesterov(grad, x0, lr, rho, steps):
    x = x0.astype(float)
    v = np.zeros_like(x)
    xs = []
    for _ in range(steps):
        v = rho * v - lr * grad(x + rho * v)
        x = x + v
        xs.append(x)
    return np.array(xs)
"""


@pytest.mark.parametrize("suite", SUITES)
def test_nesterov_without_x0_is_named(suite):
    message = feedback("ch04_nesterov", _learner(_NESTEROV_NO_X0, "nesterov"), suite)
    assert mistake_names(message) == ["x_0 not stored"]
    assert "steps + 1" in message


_NESTEROV_ALIASED = """
import numpy as np

def nesterov(grad, x0, lr, rho, steps):
    x = {start}
    v = np.zeros_like(x)
    xs = [{first}]
    for _ in range(steps):
        v = rho * v - lr * grad(x + rho * v)
        x += v
        xs.append(x)
    return np.array(xs)
"""


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("start", "first", "name"),
    [
        ("x0.copy()", "x0.copy()", "aliasing (only x0 copied)"),
        ("np.array(x0, dtype=float)", "x0", "aliasing (only x0 copied)"),
        ("np.array(x0, dtype=float)", "x", "aliasing"),
    ],
)
def test_nesterov_aliasing_is_named_whether_or_not_x0_was_copied(suite, start, first, name):
    """Every stored iterate but a copied x0 is one array: named, with the same advice as the
    aliasing of chapter 02's gradient descent (a new array or a copy)."""
    source = _NESTEROV_ALIASED.format(start=start, first=first)
    message = feedback("ch04_nesterov", _learner(source, "nesterov"), suite)
    assert mistake_names(message) == [name]
    assert "new array or a copy" in message


def _xavier(bound):
    def xavier_uniform(fan_in, fan_out, rng):
        a = bound(fan_in, fan_out)
        return rng.uniform(-a, a, size=(fan_in, fan_out))

    return xavier_uniform


@pytest.mark.parametrize("suite", SUITES)
def test_xavier_bound_from_the_variance_or_the_std_is_named(suite):
    """2 / (fan_in + fan_out) was "off by a factor"; its square root, the std, was named."""
    message = feedback("ch07_xavier_uniform", _xavier(lambda i, o: 2 / (i + o)), suite)
    assert mistake_names(message) == ["variance used as the bound"]
    assert "off by a factor" not in message
    message = feedback("ch07_xavier_uniform", _xavier(lambda i, o: np.sqrt(2 / (i + o))), suite)
    assert mistake_names(message) == ["std used as the bound"]


def _dev_set_size_floor_plus_one(p, se):
    return int(p * (1 - p) / se**2) + 1


def test_the_visible_dev_set_suite_has_whole_number_sizes():
    """int(x) + 1 is ceil(x) but where x is whole: the visible suite has such cases."""
    ex = get("ch01_dev_set_size")
    assert isinstance(ex, FunctionExercise)
    whole = [c for c in ex.cases("visible") if "exactly" in c.label]
    assert whole
    for case in whole:
        p, se = case.args
        assert p * (1 - p) / se**2 == int(p * (1 - p) / se**2)


@pytest.mark.parametrize("suite", SUITES)
def test_dev_set_size_floor_plus_one_is_named(suite):
    message = feedback("ch01_dev_set_size", _dev_set_size_floor_plus_one, suite)
    assert mistake_names(message) == ["one too many when p(1 − p)/se² is a whole number"]
    assert "whole number" in message


_STANDARDIZE_PER_ROW = """
import numpy as np

def standardize(X_train, X_other):
    mu = X_train.mean(axis=1, keepdims=True)
    sigma = X_train.std(axis=1, keepdims=True)
    sigma = np.where(sigma < 1e-8, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma
"""

_STANDARDIZE_PARAMETER_TYPO = """
import numpy as np

def standardize(Xtrain, Xother):
    mu = X_train.mean(axis=0)
    sigma = X_train.std(axis=0)
    sigma = np.where(sigma < 1e-8, 1.0, sigma)
    return (X_train - mu) / sigma, (Xother - mu) / sigma
"""


def test_a_raising_standardize_is_told_its_error_and_line():
    """No mistake can be named for a function that raises (check stops at the exception, before
    matching): the learner reads numpy's error, the line that raised and the inputs' shapes.
    A notebook's ``X_train`` read in place of a parameter named ``Xtrain`` is pointed out."""
    message = feedback("ch01_standardize", _learner(_STANDARDIZE_PER_ROW, "standardize"))
    assert "raised ValueError: operands could not be broadcast" in message
    assert "(5,3) (12,1)" in message
    assert "line 8 of <learner's cell>" in message and "shape (12, 3)" in message

    notebook_X_train = np.random.default_rng(0).standard_normal((50, 784))
    typo = _learner(_STANDARDIZE_PARAMETER_TYPO, "standardize", X_train=notebook_X_train)
    message = feedback("ch01_standardize", typo)
    assert "raised ValueError" in message and "(5,3) (784,)" in message
    assert "line 8 of <learner's cell>" in message
    assert "your function reads X_train, a variable of your notebook" in message, message


def test_the_right_standardize_with_other_parameter_names_passes():
    """Renamed parameters are fine when the body uses them (the typo above is not)."""
    source = _STANDARDIZE_PARAMETER_TYPO.replace("X_train", "Xtrain")
    check("ch01_standardize", _learner(source, "standardize"))
