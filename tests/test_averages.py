"""Exponentially weighted averages, EMA and Polyak averaging of parameters."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.averages import EMA, PolyakAverage, effective_window, ewa


def test_ewa_recursion_by_hand():
    # v1 = 0.5 * 2 = 1; v2 = 0.5 * 1 + 0.5 * 4 = 2.5; v3 = 1.25 + 0.5 * (-1) = 0.75
    np.testing.assert_allclose(ewa([2.0, 4.0, -1.0], 0.5), [1.0, 2.5, 0.75], rtol=1e-15)
    # corrected: divide by 1 - 0.5^t = 0.5, 0.75, 0.875
    np.testing.assert_allclose(
        ewa([2.0, 4.0, -1.0], 0.5, bias_correction=True),
        [2.0, 2.5 / 0.75, 0.75 / 0.875],
        rtol=1e-15,
    )


def test_ewa_closed_form_weights():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(30)
    beta = 0.8
    t = np.arange(1, 31)
    closed = [(1 - beta) * np.sum(beta ** (k - t[:k]) * x[:k]) for k in t]
    np.testing.assert_allclose(ewa(x, beta), closed, rtol=1e-12)


def test_bias_correction_makes_the_first_averages_unbiased():
    # a constant series is reproduced exactly from the very first value
    np.testing.assert_allclose(ewa(np.full(5, 3.0), 0.9, bias_correction=True), 3.0, rtol=1e-14)
    raw = ewa(np.full(5, 3.0), 0.9)
    assert raw[0] == pytest.approx(0.3)  # without correction: pulled towards v0 = 0
    # noisy series with mean mu: over many seeds the corrected first averages have mean mu
    rng = np.random.default_rng(1)
    mu = 2.0
    xs = mu + rng.standard_normal((4000, 5))
    corrected = np.array([ewa(row, 0.9, bias_correction=True) for row in xs])
    np.testing.assert_allclose(corrected.mean(axis=0), mu, atol=0.05)
    uncorrected = np.array([ewa(row, 0.9) for row in xs])
    assert uncorrected.mean(axis=0)[0] == pytest.approx(0.1 * mu, abs=0.01)


def test_effective_window():
    assert effective_window(0.9) == pytest.approx(10.0)
    assert effective_window(0.98) == pytest.approx(50.0)


def test_ema_of_parameters_with_bias_correction():
    w = np.array([[1.0, 2.0]])
    b = np.array([4.0])
    ema = EMA([w, b], decay=0.5)
    ema.update([w, b])
    first = ema.averaged
    np.testing.assert_allclose(first[0], w)  # corrected first average = the first iterate
    np.testing.assert_allclose(first[1], b)
    ema.update([np.array([[3.0, 0.0]]), np.array([0.0])])
    # shadow = 0.5 * 0.5 * x1 + 0.5 * x2 ; / (1 - 0.25) = (x1 + 2 x2) / 3
    np.testing.assert_allclose(ema.averaged[0], [[7 / 3, 2 / 3]], rtol=1e-15)
    np.testing.assert_allclose(ema.shadow[1], [1.0], rtol=1e-15)
    assert ema.t == 2


def test_ema_without_bias_correction_and_single_array():
    x = np.array([2.0, -2.0])
    ema = EMA(x, decay=0.9, bias_correction=False)
    ema.update(x)
    ema.update(x)
    np.testing.assert_allclose(ema.averaged, 0.19 * x, rtol=1e-14)  # (1 - 0.9^2) x
    target = np.zeros(2)
    ema.copy_to(target)
    np.testing.assert_allclose(target, 0.19 * x, rtol=1e-14)


def test_averaged_returns_copies():
    x = np.array([1.0])
    avg = PolyakAverage(x)
    avg.update(x)
    out = avg.averaged
    out[0] = 100.0
    assert avg.averaged[0] == 1.0


def test_polyak_is_the_running_mean():
    rng = np.random.default_rng(2)
    iterates = [rng.standard_normal((3, 2)) for _ in range(7)]
    avg = PolyakAverage([np.zeros((3, 2))])
    for x in iterates:
        avg.update([x])
    np.testing.assert_allclose(avg.averaged[0], np.mean(iterates, axis=0), rtol=1e-13)
    model = [np.zeros((3, 2))]
    avg.copy_to(model)
    np.testing.assert_allclose(model[0], np.mean(iterates, axis=0), rtol=1e-13)


def test_polyak_average_reduces_sgd_noise():
    """Noisy SGD on f = x^2/2 hovers around 0; the average of its iterates is much closer."""
    rng = np.random.default_rng(3)
    x = np.array([0.0])
    avg = PolyakAverage(x)
    last = []
    for _ in range(2000):
        x -= 0.1 * (x + rng.standard_normal(1))
        avg.update(x)
        last.append(abs(x[0]))
    # typical |x| ~ sqrt(lr / (2 - lr)) ~ 0.18; the mean of 2000 correlated iterates ~ 0.02
    assert abs(avg.averaged[0]) < 0.3 * np.mean(last)


def test_float32_parameters_keep_their_dtype():
    x = np.ones(3, dtype=np.float32)
    ema = EMA(x, decay=0.99)
    ema.update(x)
    assert ema.averaged.dtype == np.float32


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: ewa([[1.0, 2.0]], 0.9), ValueError, r"series must be 1-dimensional"),
        (lambda: ewa([1.0, 2.0], 1.0), ValueError, r"beta must be < 1\.0"),
        (lambda: ewa([1.0, 2.0], -0.1), ValueError, r"beta must be >= 0\.0"),
        (lambda: ewa([1.0], 0.5, bias_correction=1), TypeError, r"bias_correction must be True"),
        (lambda: EMA(np.zeros(2), decay=1.0), ValueError, r"decay must be < 1\.0"),
        (lambda: EMA([np.zeros(2, dtype=int)]), TypeError, r"params\[0\] must be a float"),
        (lambda: PolyakAverage([]), TypeError, r"params must be a float array or a non-empty"),
        (lambda: PolyakAverage(np.zeros(2)).averaged, ValueError, r"no average yet"),
        (
            lambda: PolyakAverage(np.zeros(2)).update(np.zeros(3)),
            ValueError,
            r"params must have shape \(2,\), got \(3,\)",
        ),
        (
            lambda: EMA([np.zeros(2), np.zeros(1)]).update([np.zeros(2)]),
            ValueError,
            r"params must match the 2 parameter array\(s\)",
        ),
    ],
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_copy_to_needs_writeable_float_arrays():
    avg = PolyakAverage([np.zeros(2)])
    avg.update([np.ones(2)])
    with pytest.raises(TypeError, match=r"params\[0\] must be a float numpy array"):
        avg.copy_to([[0.0, 0.0]])
    ro = np.zeros(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\] must be writeable"):
        avg.copy_to([ro])
