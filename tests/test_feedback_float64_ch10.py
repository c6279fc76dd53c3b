"""Feedback fixes from a careless learner's run of chapter 10 (dropout).

1. a known mistake written with an expression that turns float32 into float64
   (``dout * (1 - mask)``, ``mask.astype(float)``, ``np.float64(1 - p)``) is still named, with
   a note on the float64 result; a right answer in float64 keeps its dtype message;
2. the backward pass's mask, an item of ``cache = (mask, p)``, is shown in the inputs line and
   beside each wrong entry.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check


def feedback(name, answer, suite="visible") -> str:
    """The feedback of a failing check, unfolded."""
    with pytest.raises(CheckFailed) as info:
        check(name, answer, suite=suite)
    return str(info.value)


def named(message: str) -> list[str]:
    return re.findall(r"Likely mistake: (.+?) — ", message)


# -- 1. a mistake that also upcasts float32 to float64 -----------------------------------------


def bwd_one_minus_mask(dout, cache):
    mask, p = cache
    return dout * (1 - mask) / (1 - p)  # 1 - mask: an int64 array


def bwd_no_scale_astype_float(dout, cache):
    mask, _ = cache
    return dout * mask.astype(float)


def bwd_no_mask_float64(dout, cache):
    _, p = cache
    return dout / np.float64(1 - p)


def fwd_keeps_with_p_astype_float(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u < p).astype(float) / (1 - p)


UPCASTS = [
    ("ch10_dropout_backward", bwd_one_minus_mask, "uses the dropped units' mask"),
    ("ch10_dropout_backward", bwd_no_scale_astype_float, "missing the 1/(1 − p) scale"),
    ("ch10_dropout_backward", bwd_no_mask_float64, "ignores the mask"),
    ("ch10_dropout_forward", fwd_keeps_with_p_astype_float, "keeps with probability p"),
]


@pytest.mark.parametrize("suite", ["visible", "hidden"])
@pytest.mark.parametrize(("exercise", "answer", "mistake"), UPCASTS)
def test_a_mistake_that_also_makes_float32_float64_is_named(exercise, answer, mistake, suite):
    message = feedback(exercise, answer, suite)
    assert named(message) == [mistake], message
    note = [ln for ln in message.splitlines() if "float64 where float32 is expected" in ln]
    assert len(note) == 1, message
    first = "dout" if exercise == "ch10_dropout_backward" else "X"
    assert f"{first} is float32" in note[0] and f"keep {first}'s dtype" in note[0], note[0]


def test_the_upcast_note_names_the_float32_checks():
    message = feedback("ch10_dropout_backward", bwd_one_minus_mask)
    note = next(ln for ln in message.splitlines() if "float32 is expected" in ln)
    # the visible suite's float32 case is its 4th
    assert "in check 4, where dout is float32, your result" in note, note


def test_the_upcast_note_says_only_true_things_about_numpy():
    """Each promotion rule the note states holds in this numpy."""
    message = feedback("ch10_dropout_backward", bwd_one_minus_mask)
    note = next(ln for ln in message.splitlines() if "float32 is expected" in ln)
    assert "a Python number or a bool array" in note and "np.float64" in note
    assert "int64" in note and ".astype(float)" in note
    d, m = np.ones(3, np.float32), np.array([True, False, True])
    assert (d * 2.0).dtype == (d / 0.75).dtype == (d * 2).dtype == (d * m).dtype == np.float32
    assert (1 - m).dtype == np.int64 and m.astype(float).dtype == np.float64
    for other in (np.float64(2.0), np.ones(3), np.arange(3), 1 - m, m.astype(float)):
        assert (d * other).dtype == np.float64
    assert (d * m.astype(d.dtype) / 0.75).dtype == np.float32


@pytest.mark.parametrize("exercise", ["ch10_dropout_backward", "ch10_dropout_forward"])
def test_a_right_answer_in_float64_still_hears_of_its_dtype_only(exercise):
    def backward(dout, cache):
        mask, p = cache
        return dout * mask.astype(float) / (1 - p)  # right values, float64

    def forward(X, p, mode, u):
        if mode != "train":
            return X.astype(float)
        return X * (u >= p).astype(float) / (1 - p)

    answer = backward if exercise == "ch10_dropout_backward" else forward
    message = feedback(exercise, answer)
    assert named(message) == ["right values, wrong dtype"], message
    assert "float64 where float32 is expected" not in message


def test_a_mistake_written_in_float32_reads_as_before():
    def dropped(dout, cache):
        mask, p = cache
        return dout * (1 - mask).astype(dout.dtype) / (1 - p)

    message = feedback("ch10_dropout_backward", dropped)
    assert named(message) == ["uses the dropped units' mask"], message
    assert "float64 where float32 is expected" not in message


# -- 2. the mask of cache = (mask, p) is shown ---------------------------------------------------


def test_argument_parts_are_read_from_the_signature():
    from dlnotes.exercises.core import _argument_parts

    sig = "dropout_backward(dout, cache) -> array like dout, where cache = (mask, p)"
    assert _argument_parts(sig, ["dout", "cache"]) == {"cache": ["mask", "p"]}
    assert _argument_parts(sig, ["dout", "c"]) == {}  # not a parameter: nothing
    assert _argument_parts("f(x) -> (a, b)", ["x"]) == {}


def test_the_backward_inputs_line_shows_the_mask():
    def dropped(dout, cache):
        mask, p = cache
        return dout * ~mask / (1 - p)

    message = feedback("ch10_dropout_backward", dropped)
    inputs = next(ln for ln in message.splitlines() if ln.strip().startswith("inputs:"))
    assert "array of shape (4, 5) (bool)" not in inputs, inputs
    assert "cache = (mask, p), with mask = [[" in inputs and "(bool, shape (4, 5))" in inputs
    assert "p = 0.25" in inputs


def test_each_wrong_entry_of_the_backward_pass_shows_the_mask_there():
    def dropped(dout, cache):
        mask, p = cache
        return dout * ~mask / (1 - p)

    message = feedback("ch10_dropout_backward", dropped)
    entries = [ln.strip() for ln in message.splitlines() if ln.strip().startswith("at (")]
    assert entries, message
    for line in entries:
        got = re.search(r"got (\S+), where dout = \S+, mask = (True|False)$", line)
        assert got, line
        # the gradient is nonzero exactly where the (dropped units') mask is False
        assert (got[1] == "0") == (got[2] == "True"), line
