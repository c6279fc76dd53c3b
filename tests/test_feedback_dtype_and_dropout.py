"""Feedback fixes from a learner's run of chapter 10 (dropout).

1. a result in the wrong dtype, in an exercise whose checks pass float32 inputs and float64
   ones, is told to follow the input's dtype (``.astype(X.dtype)``), never to hard-code
   ``np.float32`` or ``np.float64``: that advice fixed one check and broke the others, and the
   mirror advice sent the learner back;
2. a dropout backward pass that draws a mask of its own hears the chapter's lesson (use the
   mask the forward pass stored in the cache), not only "compute from the arguments";
3. a forward pass keeping ``u <= p`` is named, as ``u < p`` and ``u > p`` are.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check

SUITES = ("visible", "hidden")

#: Advice to hard-code a float dtype: ``.astype(np.float32)``, ``dtype=np.float64`` ...
HARD_CODED = re.compile(r"astype\(np\.float|dtype=np\.float")


def feedback(name: str, answer: object, suite: str = "visible") -> str:
    """The feedback of a failing check, unfolded."""
    with pytest.raises(CheckFailed) as info:
        check(name, answer, suite=suite)
    return str(info.value)


def likely(message: str) -> str:
    """The "Likely mistake" line of a verdict."""
    lines = [ln for ln in message.splitlines() if "Likely mistake:" in ln]
    assert len(lines) == 1, message
    return lines[0]


def named(message: str) -> list[str]:
    return re.findall(r"Likely mistake: (.+?) — ", message)


# -- 1. the dtype to follow, in a suite of float32 and float64 inputs ---------------------------


def forward_float64_mask(X, p, mode, u):
    if mode != "train":
        return X.copy()
    mask = (u >= p).astype(np.float64)  # a float64 mask makes a float32 X float64
    return X * mask / (1 - p)


def forward_float32_at_the_end(X, p, mode, u):
    if mode != "train":
        return X.copy()
    mask = (u >= p).astype(np.float64)
    return (X * mask / (1 - p)).astype(np.float32)  # what the old advice said: float64 X fails


def backward_float64_mask(dout, cache):
    mask, p = cache
    return dout * mask.astype(np.float64) / (1 - p)


def backward_float32_at_the_end(dout, cache):
    mask, p = cache
    return (dout * mask / (1 - p)).astype(np.float32)


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("exercise", "answer", "first", "wanted"),
    [
        ("ch10_dropout_forward", forward_float64_mask, "X", "float32"),
        ("ch10_dropout_forward", forward_float32_at_the_end, "X", "float64"),
        ("ch10_dropout_backward", backward_float64_mask, "dout", "float32"),
        ("ch10_dropout_backward", backward_float32_at_the_end, "dout", "float64"),
    ],
)
def test_a_mixed_dtype_suite_says_to_follow_the_input_dtype(exercise, answer, first, wanted, suite):
    line = likely(feedback(exercise, answer, suite))
    assert "right values, wrong dtype" in line, line
    assert f".astype({first}.dtype)" in line, line
    assert f"{wanted} in this check" in line, line  # and the other dtype in other checks
    assert not HARD_CODED.search(line), line
    assert "rather than a fixed dtype" in line, line


def test_a_float64_mask_is_told_to_multiply_by_the_bool_mask_and_the_advice_passes():
    line = likely(feedback("ch10_dropout_forward", forward_float64_mask))
    assert "multiply by a bool mask as it is" in line, line

    def followed(X, p, mode, u):  # the advice taken: .astype(X.dtype) at the end
        if mode != "train":
            return X.copy()
        mask = (u >= p).astype(np.float64)
        return (X * mask / (1 - p)).astype(X.dtype)

    for suite in SUITES:  # passes every check: the advice does not send the learner back
        check("ch10_dropout_forward", followed, suite=suite)


@pytest.mark.parametrize("suite", SUITES)
def test_a_mixed_dtype_list_of_parameters_is_not_told_a_fixed_dtype(suite):
    """ch09's gradients follow float32 parameters in some checks, float64 ones in others: no
    single argument is their dtype, and the advice still names none to hard-code."""

    def l2_penalty_and_grad(params, lam):
        pen = sum(0.5 * lam * np.sum(p**2) for p in params if p.ndim == 2)
        grads = [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]
        return pen, [g.astype(np.float32) for g in grads]

    line = likely(feedback("ch09_l2_penalty_and_grad", l2_penalty_and_grad, suite))
    assert "right values, wrong dtype" in line, line
    assert ".astype(a.dtype)" in line and not HARD_CODED.search(line), line


@pytest.mark.parametrize("follow", [None, "X"])
@pytest.mark.parametrize(("expected", "got"), [("float32", "float64"), ("float64", "float32")])
def test_dtype_advice_with_other_expected_dtypes_never_hard_codes_one(follow, expected, got):
    from dlnotes.exercises.diagnose import _dtype_advice

    other = "float64" if expected == "float32" else "float32"
    advice = _dtype_advice(
        np.dtype(expected),
        np.dtype(got),
        {np.dtype("float32"), np.dtype("float64")},
        follow=follow,
        others=[other],
    )
    assert not HARD_CODED.search(advice), advice
    assert f".astype({follow or 'a'}.dtype)" in advice, advice


# -- 2. a backward pass that draws its own mask ------------------------------------------------


def backward_fresh_mask(dout, cache):
    _, p = cache
    mask = np.random.rand(*dout.shape) >= p  # noqa: NPY002  (a new mask, not the forward's)
    return dout * mask / (1 - p)


@pytest.mark.parametrize("suite", SUITES)
def test_a_fresh_mask_in_backward_is_told_to_use_the_cached_one(suite):
    line = likely(feedback("ch10_dropout_backward", backward_fresh_mask, suite))
    assert "not repeatable" in line, line
    assert "the mask the forward pass stored in the cache" in line, line
    assert "mask, p = cache" in line, line


# -- 3. u <= p in the forward pass ---------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_keeping_u_at_most_p_is_named(suite):
    def forward(X, p, mode, u):
        if mode != "train":
            return X.copy()
        return X * (u <= p) / (1 - p)

    message = feedback("ch10_dropout_forward", forward, suite)
    assert named(message) == ["u <= p instead of u >= p"], message
    assert "the keep mask is u >= p" in message, message
