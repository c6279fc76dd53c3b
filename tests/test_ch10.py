"""Chapter 10 (Dropout): the exercise reference solutions against hand values, the library and
finite differences; the explorer's mask helper, its unit and the explorer itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes.exercises import ch10 as ex
from dlnotes.explorers import all_explorers, ch10
from dlnotes.layers import dropout_backward, dropout_forward

# --------------------------------------------------------------------------------------------
# the exercise reference solutions
# --------------------------------------------------------------------------------------------


def test_dropout_forward_hand_values():
    x = np.array([[0.5, -2.0, 1.5], [3.0, -0.25, 0.75]])
    u = np.array([[0.9, 0.1, 0.3], [0.2, 0.6, 0.05]])
    # p = 0.25: keep where u >= 0.25, scale by 1/0.75 = 4/3
    expected = np.array([[0.5 * 4 / 3, 0.0, 1.5 * 4 / 3], [0.0, -0.25 * 4 / 3, 0.0]])
    np.testing.assert_allclose(ex.dropout_forward(x, 0.25, "train", u), expected, rtol=1e-15)
    out = ex.dropout_forward(x, 0.25, "eval", u)
    np.testing.assert_array_equal(out, x)
    assert out is not x


def test_dropout_forward_matches_the_library_and_leaves_x_alone():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(7, 5))
    u = rng.random(x.shape)
    before = x.copy()
    for p in (0.1, 0.3, 0.65):
        lib, _ = dropout_forward(x, p, "train", mask=(u >= p).astype(float))
        np.testing.assert_allclose(ex.dropout_forward(x, p, "train", u), lib, rtol=1e-15)
        np.testing.assert_allclose(ex.dropout_forward(x, p, "eval", u), x, rtol=0)
    np.testing.assert_array_equal(x, before)


def test_dropout_forward_is_unbiased_over_uniform_draws():
    rng = np.random.default_rng(4)
    x = np.array([1.2, -0.7, 2.5])
    p, n = 0.4, 200_000
    outs = ex.dropout_forward(np.broadcast_to(x, (n, 3)), p, "train", rng.random((n, 3)))
    sigma = np.abs(x) * math.sqrt(p / (1 - p))
    assert np.all(np.abs(outs.mean(axis=0) - x) < 5 * sigma / math.sqrt(n))


def test_dropout_exercises_take_the_librarys_arguments_in_its_order():
    """The learner writes ``dropout_forward(X, p, mode, u)``: the library's ``(X, p, mode)``
    first, then the uniform draws that replace its generator; backward takes ``(dout, cache)``."""
    import inspect

    ours = list(inspect.signature(ex.dropout_forward).parameters)
    theirs = list(inspect.signature(dropout_forward).parameters)
    assert ours[:3] == theirs[:3] == ["X", "p", "mode"] and ours[3] == "u"
    assert list(inspect.signature(ex.dropout_backward).parameters) == list(
        inspect.signature(dropout_backward).parameters
    )


def test_dropout_backward_hand_values_and_library():
    dout = np.array([[1.0, -2.0], [0.5, 4.0]])
    mask = np.array([[True, False], [True, True]])
    expected = np.array([[1.0 / 0.7, 0.0], [0.5 / 0.7, 4.0 / 0.7]])
    np.testing.assert_allclose(ex.dropout_backward(dout, (mask, 0.3)), expected, rtol=1e-15)
    _, cache = dropout_forward(dout, 0.3, "train", mask=mask.astype(float))
    np.testing.assert_allclose(
        ex.dropout_backward(dout, (mask, 0.3)), dropout_backward(dout, cache), rtol=1e-15
    )


def test_dropout_backward_matches_central_differences():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4))
    u = rng.random(x.shape)
    dout = rng.normal(size=x.shape)
    p, eps = 0.35, 1e-6

    def loss(z):
        return float(np.sum(ex.dropout_forward(z, p, "train", u) * dout))

    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        numeric[i] = (loss(x + step) - loss(x - step)) / (2 * eps)
    analytic = ex.dropout_backward(dout, (u >= p, p))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------------------------------
# the explorer
# --------------------------------------------------------------------------------------------


def test_keep_mask_repeats_each_block_decision():
    u = np.array([[0.9, 0.1, 0.5, 0.2]])  # a 2x2 grid of blocks of 2x2 pixels (side 4)
    mask = ch10.keep_mask(u, 0.3, block=2, side=4).reshape(4, 4)
    expected = np.array(
        [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]], dtype=bool
    )  # kept: blocks 0 and 2 (u >= 0.3)
    np.testing.assert_array_equal(mask, expected)
    pixels = ch10.keep_mask(np.array([[0.4, 0.2, 0.7, 0.1]]), 0.3, block=1, side=2)
    np.testing.assert_array_equal(pixels, [[True, False, True, False]])


def test_keep_mask_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"u must have shape \(K, 16\)"):
        ch10.keep_mask(np.zeros((3, 15)), 0.5, block=7)
    with pytest.raises(ValueError, match="divisible"):
        ch10.keep_mask(np.zeros((3, 25)), 0.5, block=5, side=28)


def test_sneaker_unit_is_a_positive_sneaker_detector():
    w, x, name = ch10.sneaker_unit()
    assert name == "Sneaker" and w.shape == x.shape == (784,)
    assert w.dtype == np.float64
    assert w @ x > 5.0  # the sneaker excites its detector
    assert abs(w.sum()) > 0 and not np.all(w == w[0])


def test_unit_output_over_masks_has_the_test_time_mean_and_the_predicted_spread():
    w, x, _ = ch10.sneaker_unit()
    rng = np.random.default_rng(0)
    p = 0.3
    outs = (ch10.keep_mask(rng.random((10_000, 784)), p, 1) * x) @ w / (1 - p)
    sd = math.sqrt(p / (1 - p) * np.sum(w**2 * x**2))
    assert abs(outs.mean() - w @ x) < 5 * sd / math.sqrt(len(outs))
    assert abs(outs.std() / sd - 1) < 0.04


def test_explorer_is_registered():
    assert ch10.EXPLORERS == ["dropout_masks"]
    assert all_explorers()["ch10.dropout_masks"] is ch10.dropout_masks


@pytest.mark.slow
def test_explorer_updates_for_every_grouping():
    explorer = ch10.dropout_masks(n_masks=300)
    fig, state = explorer.setup()
    for group in ch10.GROUPS:
        msg = explorer.redraw(state, p=0.5, group=group, sample=2)
        assert group in msg and "std" in msg
    import matplotlib.pyplot as plt

    plt.close(fig)
    assert len(explorer.frames("p")) <= 25


@pytest.mark.slow
def test_explorer_static_pages_are_small():
    explorer = ch10.dropout_masks()
    for sweep in ("p", "group", "sample"):  # the notebook's players
        assert len(explorer.static_html(sweep)) < 1_500_000


# --------------------------------------------------------------------------------------------
# the exercises' feedback: float32 cases and the named mistakes of a learner's answer
# --------------------------------------------------------------------------------------------


def _named(answer, suite="visible"):
    """The mistake names in check's verdict on ``answer``, which must fail."""
    import re

    from dlnotes.exercises import check

    with pytest.raises(AssertionError) as info:
        check("ch10_dropout_forward", answer, suite=suite)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value)), str(info.value)


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_dropout_forward_suites_have_float32_cases_that_keep_their_dtype(suite):
    from dlnotes.exercises import get

    cases = get("ch10_dropout_forward").cases(suite)
    float32 = [c for c in cases if c.args[0].dtype == np.float32]
    assert float32 and any(c.args[2] == "train" for c in float32)
    for c in float32:
        assert ex.dropout_forward(*c.args).dtype == np.float32

    def always_float64(X, p, mode, u):
        out = X * (u >= p) / (1 - p) if mode == "train" else X.copy()
        return out.astype(np.float64)

    names, _ = _named(always_float64, suite)
    assert names == ["right values, wrong dtype"]


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_dropout_forward_that_returns_the_mask_is_named(suite):
    def mask_always(X, p, mode, u):
        mask = u >= p
        out = X * mask / (1 - p) if mode == "train" else X.copy()
        return out, mask

    def mask_in_train_only(X, p, mode, u):
        if mode == "eval":
            return X.copy(), None
        mask = u >= p
        return X * mask / (1 - p), mask

    def like_the_library(X, p, mode, u):
        if mode == "eval":
            return X.copy(), 1.0
        cache = (u >= p).astype(X.dtype) / (1 - p)
        return X * cache, cache

    for answer, mistake in [
        (mask_always, "returns (out, mask)"),
        (mask_in_train_only, "returns (out, mask), no mask in eval mode"),
        (like_the_library, "returns (out, cache) as the library does"),
    ]:
        names, message = _named(answer, suite)
        assert names == [mistake]
        assert "return only the output array" in message


def test_dropout_backward_keeps_float32_and_names_a_float64_result():
    from dlnotes.exercises import CheckFailed, check, get

    for suite in ("visible", "hidden"):
        float32 = [
            c for c in get("ch10_dropout_backward").cases(suite) if c.args[0].dtype == np.float32
        ]
        assert float32, suite

    def promoted(dout, cache):
        mask, p = cache
        return dout * mask.astype(np.float64) / (1.0 - p)  # float32 gradients come back float64

    with pytest.raises(CheckFailed) as failed:
        check("ch10_dropout_backward", promoted)
    assert "right values, wrong dtype" in str(failed.value)
