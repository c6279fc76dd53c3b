"""check() gives a verdict whatever the learner's function returns (or the learner enters), never
a traceback from dlnotes' internals: a property-based test over every registered exercise, and
the crashes found by hand before it (issue 17).

Hypothesis runs derandomized (the same examples on every run), with a fixed number of examples
per exercise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlnotes.exercises import CheckFailed, check, exercises
from dlnotes.exercises.core import CHECKER_FAILED

FUNCTION_EXERCISES = [ex for ex in exercises() if ex.kind == "function"]
VALUE_EXERCISES = [ex for ex in exercises() if ex.kind == "value"]

# --------------------------------------------------------------------------------------------
# Objects a learner can return that fight back
# --------------------------------------------------------------------------------------------


class LyingEq:
    """Equal to everything, unequal to nothing."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class LyingArray:
    """Claims to be an array and is not."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no array here")

    shape = (3,)
    dtype = np.dtype("float64")


class LyingLen(list):
    """A list whose length is a lie."""

    def __len__(self):
        return 2

    def __iter__(self):
        raise RuntimeError("cannot iterate")


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr")

    def __str__(self):
        raise RuntimeError("no str")


class BadParams:
    @property
    def params(self):
        raise RuntimeError("params exploded")


class BadFloat(float):
    def __repr__(self):
        raise ValueError("no repr either")


class HugeLen:
    def __len__(self):
        return 10**12

    def __getitem__(self, i):
        raise IndexError(i)


def _generator():
    yield from range(3)


class Unbool(np.ndarray):
    """An ndarray subclass that refuses to be a truth value or compared."""

    def __bool__(self):
        raise ValueError("no truth")

    def __eq__(self, other):
        raise TypeError("no comparison")

    __hash__ = None


ODD = [
    LyingEq(),
    LyingArray(),
    LyingLen([1.0, 2.0, 3.0]),
    BadRepr(),
    BadParams(),
    BadFloat(1.5),
    HugeLen(),
    _generator(),
    np.arange(6.0).view(Unbool),
    np.array(3.0),
    np.array([np.nan, np.inf, -np.inf]),
    np.array(["a", "b"]),
    np.array([object(), None], dtype=object),
    np.empty((0, 3)),
    np.ones((2, 0, 4), dtype=np.complex128),
    1e308,
    -1e308,
    math.nan,
    10**400,
    b"bytes",
    {"a": 1},
    {1, 2},
    Ellipsis,
    print,
    type,
    ((((1,),),),),
    [[1, [2, [3]]]],
]


def _odd(i: int):
    return ODD[i]


numbers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
arrays = hnp.arrays(
    dtype=st.one_of(
        hnp.integer_dtypes(),
        hnp.unsigned_integer_dtypes(),
        hnp.floating_dtypes(),
        hnp.complex_number_dtypes(),
        hnp.boolean_dtypes(),
        hnp.byte_string_dtypes(max_len=3),
        hnp.datetime64_dtypes(),
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
values = st.recursive(
    st.one_of(numbers, arrays, st.integers(0, len(ODD) - 1).map(_odd)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
    ),
    max_leaves=6,
)

SETTINGS = settings(
    derandomize=True,
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _verdict(exercise, answer) -> str:
    """The verdict check() gives (✓ ... or the feedback); anything else propagates."""
    try:
        check(exercise, answer, time_limit=2.0)
    except CheckFailed as failed:
        message = str(failed)
    else:
        return "passed"
    assert isinstance(message, str) and message.startswith(exercise.name), message
    assert CHECKER_FAILED not in message, message  # the last-resort guard was never needed
    assert "Traceback" not in message, message
    return message


@pytest.mark.slow
@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda ex: ex.name)
def test_any_return_value_gets_a_verdict(exercise):
    @SETTINGS
    @given(value=values)
    def property(value):
        verdict = _verdict(exercise, lambda *args, **kwargs: value)
        assert verdict != "passed"  # no constant passes every check

    property()


@pytest.mark.slow
@pytest.mark.parametrize("exercise", VALUE_EXERCISES, ids=lambda ex: ex.name)
def test_any_value_gets_a_verdict(exercise):
    @SETTINGS
    @given(value=values)
    def property(value):
        _verdict(exercise, value)

    property()


@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda ex: ex.name)
@pytest.mark.parametrize("odd", range(len(ODD)))
def test_each_odd_object_gets_a_verdict(exercise, odd):
    value = ODD[odd]
    _verdict(exercise, lambda *args, **kwargs: value)


@pytest.mark.parametrize("exercise", VALUE_EXERCISES, ids=lambda ex: ex.name)
@pytest.mark.parametrize("odd", range(len(ODD)))
def test_each_odd_value_gets_a_verdict(exercise, odd):
    _verdict(exercise, ODD[odd])


def test_the_crashes_found_by_hand_are_verdicts():
    with pytest.raises(CheckFailed, match="expected a string such as 'high variance'"):
        check("ch01_diagnose", lambda *a, **k: np.array([0.1, 0.2]))
    with pytest.raises(CheckFailed, match="cannot be used"):
        check("ch04_momentum_challenge", np.array(3.0))


def test_a_lying_eq_does_not_pass():
    with pytest.raises(CheckFailed, match="expected a string"):
        check("ch01_diagnose", lambda *a, **k: LyingEq())


def test_an_exception_that_cannot_be_printed_is_reported():
    class Mute(Exception):
        def __str__(self):
            raise RuntimeError("mute")

    def raises(*args, **kwargs):
        raise Mute

    with pytest.raises(CheckFailed, match=r"raised Mute: \(its message could not be shown\)"):
        check("ch02_clip_by_norm", raises)
