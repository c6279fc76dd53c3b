"""dlnotes.gradcheck: the O(h^2) two-sided difference, relative error and thresholds, and that
layer/model checks catch real bugs while respecting the pitfalls (float64, dropout, penalties)."""

import numpy as np
import pytest

from dlnotes import gradcheck as gc
from dlnotes import layers as L
from dlnotes.model import Sequential, mlp


def test_numerical_gradient_golden_and_restores_x():
    x = np.array([0.3, -1.2, 2.0])
    x0 = x.copy()
    g = gc.numerical_gradient(lambda z: float(np.sum(z**3)), x, h=1e-4)
    # central difference of z^3 is exact up to h^2: ((z+h)^3 - (z-h)^3) / 2h = 3z^2 + h^2
    np.testing.assert_allclose(g, 3 * x0**2 + 1e-8, rtol=1e-9)
    np.testing.assert_array_equal(x, x0)


def test_two_sided_error_is_second_order():
    x = np.array([0.7, -0.4])
    exact = np.cos(x)
    errors = [
        np.abs(gc.numerical_gradient(lambda z: float(np.sin(z).sum()), x, h=h) - exact).max()
        for h in (1e-2, 5e-3)
    ]
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.01)


def test_numerical_gradient_array_uses_the_upstream_gradient():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    dout = np.array([[0.1, 0.2], [-1.0, 0.5]])
    g = gc.numerical_gradient_array(lambda z: z**2, x, dout)
    np.testing.assert_allclose(g, 2 * x * dout, rtol=1e-9)


def test_relative_error_and_verdicts():
    assert gc.relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(
        np.sqrt(2) / 2
    )
    assert gc.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gc.relative_error(np.array([2.0]), np.array([2.0 + 4e-8])) == pytest.approx(1e-8)
    assert [gc.verdict(e) for e in (1e-9, 1e-6, 1e-4, 1e-2, np.nan)] == [
        "great",
        "fine",
        "suspicious",
        "bug?",
        "bug?",
    ]
    assert gc.GREAT == 1e-7 and gc.WORRY == 1e-3
    with pytest.raises(ValueError, match="same shape"):
        gc.relative_error(np.zeros(2), np.zeros(3))


class BuggyLinear(L.Linear):
    """A learner's mistake: the bias gradient is the mean instead of the sum over examples."""

    def _backward(self, dout, input_grad):
        dX = super()._backward(dout, input_grad)
        self.grads[1] = dout.mean(axis=0)
        return dX


def test_check_layer_catches_a_wrong_gradient():
    X = np.random.default_rng(0).standard_normal((6, 4))
    report = gc.check_layer(BuggyLinear(4, 3, seed=0), X)
    rows = {r["name"]: r for r in report.rows}
    assert rows["W"]["verdict"] == "great" and rows["X"]["verdict"] == "great"
    assert rows["b"]["verdict"] == "bug?" and rows["b"]["error"] > 0.5
    assert not report.passed() and report.max_error == rows["b"]["error"]
    assert "bug?" in str(report)


def test_check_layer_flags_a_missing_gradient_that_is_not_zero():
    class NoBiasGrad(L.Linear):
        def _backward(self, dout, input_grad):
            dX = super()._backward(dout, input_grad)
            self.grads[1] = np.zeros_like(self.grads[1])
            return dX

    report = gc.check_layer(NoBiasGrad(4, 3, seed=0), np.ones((5, 4)))
    assert {r["name"]: r["verdict"] for r in report.rows}["b"] == "bug?"


def test_check_model_includes_penalties_and_turns_dropout_off():
    model = mlp([5, 7, 3], dropout=0.5, seed=0)
    X = np.random.default_rng(1).standard_normal((8, 5))
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    report = gc.check_model(model, X, y, l2=0.1, l1=0.02, num_checks=None)
    assert report.passed(1e-7), str(report)
    assert model.training and model.dtype == np.float32


def test_check_model_samples_entries_and_supports_mse():
    model = Sequential(L.Linear(4, 30, seed=0), L.Tanh(), L.Linear(30, 2, seed=1))
    X = np.random.default_rng(2).standard_normal((6, 4))
    Y = np.random.default_rng(3).standard_normal((6, 2))
    report = gc.check_model(model, X, Y, loss="mse", num_checks=10)
    assert [r["checked"] for r in report.rows] == [10, 10, 10, 2]
    assert report.passed(1e-7)


def test_float32_differences_are_useless_which_is_why_checks_use_float64():
    X = np.random.default_rng(4).standard_normal((6, 5)).astype(np.float32)
    W = np.random.default_rng(5).standard_normal((5, 3)).astype(np.float32)
    dout = np.ones((6, 3), dtype=np.float32)
    _, cache = L.linear_forward(X, W, None)
    _, dW, _ = L.linear_backward(dout, cache)
    num32 = gc.numerical_gradient_array(lambda _: L.linear_forward(X, W, None)[0], W, dout)
    assert gc.relative_error(dW, num32) > 1e-5  # float32 rounding / 2h swamps the result
    assert gc.check_layer(L.Linear(5, 3, seed=0), X).passed(1e-7)  # check_layer uses float64


# -- fuzz-review refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "dtype"), [(1000.0, np.float32), (1.0, np.float16), (1e12, np.float64)]
)
def test_numerical_gradient_refuses_a_step_below_the_precision_of_x(x, dtype):
    arr = np.array([0.5 if dtype != np.float16 else 0.0, x], dtype=dtype)
    with pytest.raises(ValueError, match=r"h = 1e-05 is below the precision of x .*flat index 1"):
        gc.numerical_gradient(lambda z: float(z.sum()), arr)
    assert arr[1] == dtype(x)  # restored


def test_numerical_gradient_says_f_must_return_a_scalar():
    x = np.ones(3)
    with pytest.raises(TypeError, match=r"f must return a scalar \(the loss\).*shape \(3,\)"):
        gc.numerical_gradient(lambda z: z * 2, x)
    with pytest.raises(TypeError, match=r"f must return a scalar"):
        gc.numerical_gradient(lambda z: "loss", x)
    with pytest.raises(TypeError, match=r"f must return a real scalar"):
        gc.numerical_gradient(lambda z: None, x)
    np.testing.assert_array_equal(x, 1.0)
    np.testing.assert_allclose(gc.numerical_gradient(lambda z: np.sum(z**2), x), 2 * x)


def test_numerical_gradient_array_validates_dout():
    with pytest.raises(TypeError, match=r"dout must be a real-valued array.*object"):
        gc.numerical_gradient_array(lambda z: z * 2, np.ones(3), [None] * 3)
    with pytest.raises(ValueError, match=r"dout must be finite"):
        gc.numerical_gradient_array(lambda z: z * 2, np.ones(3), np.array([1.0, np.nan, 1.0]))


def test_verdict_refuses_negative_and_non_numeric_errors():
    with pytest.raises(ValueError, match=r"error must be >= 0 \(a relative error\), got -1.0"):
        gc.verdict(-1.0)
    for bad in ("x", None, True):
        with pytest.raises(TypeError, match=r"error must be a real number"):
            gc.verdict(bad)
    assert gc.verdict(0.0) == "great" and gc.verdict(np.nan) == "bug?"
    assert gc.verdict(np.float32(1e-4)) == "suspicious"
