"""Chapters 06, 08, 14 and 15: a schedule returned in a one-element array, a
float32 input to the numerical gradient, the softmax of the ensemble exercise, and the order of
the logsumexp cases (a silent wrong value before a check that raises)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check, get, hint
from tests.mistake_names import SUITES, named


def _verdict(name: str, answer, suite: str = "visible") -> str:
    with pytest.raises(CheckFailed) as info:
        check(name, answer, suite=suite)
    return " ".join(str(info.value).split())


# --------------------------------------------------------------------------------------------
# ch06: a rate in an array of shape (1,) is told to return a float, in both schedules
# --------------------------------------------------------------------------------------------


def _step_decay(step, lr0, step_size, gamma):
    return lr0 * gamma ** (step // step_size)


def _cosine_lr(step, lr_max, lr_min, total_steps, warmup_steps):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    p = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * p)) / 2


SCHEDULES = [("ch06_step_decay", _step_decay), ("ch06_cosine_lr", _cosine_lr)]


@pytest.mark.parametrize(("name", "rate"), SCHEDULES, ids=[n for n, _ in SCHEDULES])
@pytest.mark.parametrize("wrap", [float, np.float64, np.float32, np.array], ids=str)
def test_both_schedules_accept_a_number_and_a_0d_array(name, rate, wrap):
    check(name, lambda *args: wrap(rate(*args)))


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("name", "rate"), SCHEDULES, ids=[n for n, _ in SCHEDULES])
def test_both_schedules_tell_a_one_element_array_to_return_a_float(name, rate, suite):
    answer = lambda *args: np.array([rate(*args)])  # noqa: E731
    assert named(name, answer, suite) == ["the rate in a one-element array"]
    message = _verdict(name, answer, suite)
    assert "shape (1,)" in message, message
    assert "Return a float, e.g. lr.item() or float(lr[0])" in message, message


# --------------------------------------------------------------------------------------------
# ch08: a float32 x; the gradient is float64, taken on a float64 copy
# --------------------------------------------------------------------------------------------


def _differences(x, f, h, grad):
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@pytest.mark.parametrize("suite", SUITES)
def test_each_suite_of_the_numerical_gradient_has_a_float32_input(suite):
    ex = get("ch08_numerical_gradient")
    float32 = [c for c in ex.cases(suite) if c.args[1].dtype == np.float32]
    assert len(float32) == 1
    assert ex.solution(*float32[0].args).dtype == np.float64


@pytest.mark.parametrize("suite", SUITES)
def test_a_float64_copy_of_a_float32_x_passes(suite):
    def numerical_gradient(f, x, h):
        x = x.astype(float)  # float64 whatever x's dtype
        return _differences(x, f, h, np.zeros_like(x))

    check("ch08_numerical_gradient", numerical_gradient, suite=suite)


@pytest.mark.parametrize("suite", SUITES)
def test_a_float32_copy_is_named_and_told_to_difference_in_float64(suite):
    def numerical_gradient(f, x, h):
        x = x.copy()  # a float32 x stays float32
        return _differences(x, f, h, np.zeros_like(x))

    def into_float64(f, x, h):
        x = x.copy()
        return _differences(x, f, h, np.zeros(x.shape))

    assert named("ch08_numerical_gradient", numerical_gradient, suite) == [
        "a float32 x differenced in float32"
    ]
    message = _verdict("ch08_numerical_gradient", numerical_gradient, suite)
    assert "wrong dtype: expected float64, got float32" in message, message
    assert "Make your copy float64 whatever x's dtype" in message, message
    assert named("ch08_numerical_gradient", into_float64, suite) == [
        "a float32 x differenced in float32, stored in float64"
    ]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("float64", [False, True], ids=["x.copy()", "float64 copy"])
def test_a_copy_not_restored_is_named_with_or_without_float64(float64, suite):
    """The float32 case separates x.copy() from a float64 copy: both forms of the mistake
    are still named, and the first is also told to copy into float64."""

    def numerical_gradient(f, x, h):
        x = np.array(x, dtype=np.float64) if float64 else x.copy()
        g = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            x[i] += h
            fp = f(x)
            x[i] -= 2 * h  # x[i] is not put back
            fm = f(x)
            g[i] = (fp - fm) / (2 * h)
        return g

    want = "x not restored (on a float64 copy)" if float64 else "x not restored (on a copy)"
    assert named("ch08_numerical_gradient", numerical_gradient, suite) == [want]
    message = _verdict("ch08_numerical_gradient", numerical_gradient, suite)
    assert ("make the copy float64" in message) is not float64, message


@pytest.mark.parametrize("suite", SUITES)
def test_right_values_returned_in_float32_are_told_the_gradient_is_float64(suite):
    def numerical_gradient(f, x, h):
        copy = np.array(x, dtype=np.float64)
        return _differences(copy, f, h, np.zeros_like(x))  # zeros_like(x): float32

    message = _verdict("ch08_numerical_gradient", numerical_gradient, suite)
    assert "Likely mistake: right values, wrong dtype" in message, message
    assert "the gradient is float64 whatever x's dtype" in message, message


# --------------------------------------------------------------------------------------------
# ch14: the softmax is written by hand; dlnotes' own is the reference, as the prompt says
# --------------------------------------------------------------------------------------------


def test_the_ensemble_hint_says_to_write_the_softmax_as_the_prompt_does():
    said = str(hint("ch14_ensemble_predict"))
    assert "Write the softmax yourself" in said
    assert "dlnotes.losses.softmax" in said and "counts as the reference" in said


def test_dlnotes_softmax_in_the_ensemble_is_refused_as_the_prompt_says():
    from dlnotes.losses import softmax

    def ensemble_predict(logit_list):
        return np.mean([softmax(z) for z in logit_list], axis=0).argmax(axis=1)

    message = _verdict("ch14_ensemble_predict", ensemble_predict)
    assert "calls dlnotes.losses.softmax (this exercise asks you to write the softmax yourself" in (
        " ".join(message.split())
    ), message


# --------------------------------------------------------------------------------------------
# ch15: no check gives silently wrong values before the check that raises
# --------------------------------------------------------------------------------------------


def _g_as_row(x, g):  # g against the classes: raises when N != C, silently wrong when N = C
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return g * (e / e.sum(axis=1, keepdims=True))


def _no_keepdims(x, g):  # the row max without keepdims: the same, one line earlier
    m = x.max(axis=1)
    e = np.exp(x - m)
    return g[:, None] * e / e.sum(axis=1)


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("answer", [_g_as_row, _no_keepdims], ids=lambda f: f.__name__)
def test_a_broadcasting_slip_raises_on_the_first_logsumexp_check(answer, suite):
    """check() stops at the first check that raises: every check before it must have passed,
    or the learner never hears of its wrong values (the N = C case came first)."""
    ex = get("ch15_logsumexp_backward")
    cases = ex.cases(suite)
    raising = []
    for k, case in enumerate(cases):
        try:
            got = answer(*case.args)
        except ValueError:
            raising.append(k)
            continue
        if not raising:  # before the first check that raises: right values
            np.testing.assert_allclose(got, ex.solution(*case.args), err_msg=case.label)
    assert raising, "the slip must raise on some check"
    message = _verdict("ch15_logsumexp_backward", answer, suite)
    shown = re.search(r"check (\d+) of \d+ \(", message)
    assert shown is not None and int(shown.group(1)) == raising[0] + 1, message
    assert "your function raised ValueError" in message, message
