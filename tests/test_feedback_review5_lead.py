"""Feedback found by the fifth round of learner reviews and mended by the lead: a registered
mistake is still named when the learner also kept float32 on a float32 input, and the ch01
verdicts are listed in the book's order when a label is misspelt."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check


def _one_sided_on_a_plain_copy(f, x, h):
    """A one-sided difference on ``x.copy()``: two slips, the copy keeps a float32 x float32."""
    x = x.copy()
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old
        grad[i] = (f_plus - f(x)) / h
    return grad


def _right_on_a_plain_copy(f, x, h):
    """The two-sided difference, right but on ``x.copy()`` (float32 stays float32)."""
    x = x.copy()
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_a_mistake_made_on_a_float32_copy_is_still_named(suite):
    with pytest.raises(CheckFailed) as failed:
        check("ch08_numerical_gradient", _one_sided_on_a_plain_copy, suite=suite)
    message = str(failed.value)
    assert "Likely mistake: one-sided difference" in message, message
    assert "matches every check without a float32 input" in message, message


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_a_right_answer_on_a_float32_copy_gets_no_float32_note_without_a_mistake(suite):
    """Only the float32 check fails: no other mistake is named and the note is not added."""
    with pytest.raises(CheckFailed) as failed:
        check("ch08_numerical_gradient", _right_on_a_plain_copy, suite=suite)
    message = str(failed.value)
    assert "matches every check without a float32 input" not in message, message
    assert "float32" in message and "one-sided" not in message, message


def test_a_misspelt_verdict_lists_the_four_in_the_books_order():
    def diagnose(train_err, dev_err, bayes_err, tol=0.02):
        bias, variance = train_err - bayes_err > tol, dev_err - train_err > tol
        if bias and variance:
            return "high bias and high variance"
        if bias:
            return "high bias"
        if variance:
            return "high varience"
        return "low bias and low variance"

    with pytest.raises(CheckFailed) as failed:
        check("ch01_diagnose", diagnose, suite="hidden")
    message = " ".join(str(failed.value).split())
    assert "'high variance'" in message, message
    positions = [
        message.find(f"'{v}'")
        for v in (
            "high bias",
            "high variance",
            "high bias and high variance",
            "low bias and low variance",
        )
    ]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), message
