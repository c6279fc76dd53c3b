"""Chapter 11 (Batch normalization): the exercise references and the explorer.

The exercise catalogue itself (solutions pass, mistakes are named) is covered by
``tests/test_exercises_catalogue.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes.data import load_fashion_mnist_subset
from dlnotes.exercises import ch11 as ex
from dlnotes.explorers import all_explorers
from dlnotes.explorers import ch11 as explorers
from dlnotes.gradcheck import numerical_gradient_array, relative_error
from dlnotes.layers import BatchNorm, Linear, batchnorm_backward, batchnorm_forward


def _batch(seed: int, n: int = 7, d: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, d) + rng.uniform(0.3, 3, d) * rng.standard_normal((n, d))


def test_forward_golden_values():
    # both columns have mean-deviations of squared sum 14, so var = 14/3; eps = 1/3 -> sigma = √5
    x = np.array([[1.0, 0.0], [2.0, 4.0], [6.0, -1.0]])
    gamma, beta = np.array([2.0, -1.0]), np.array([0.5, 0.25])
    out, (x_hat, mean, var) = ex.batchnorm_forward(x, gamma, beta, 1.0 / 3.0)
    s5 = math.sqrt(5.0)
    np.testing.assert_allclose(mean, [3.0, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(var, [14 / 3, 14 / 3], rtol=1e-15)
    np.testing.assert_allclose(x_hat[:, 0], np.array([-2.0, -1.0, 3.0]) / s5, rtol=1e-14)
    np.testing.assert_allclose(x_hat[:, 1], np.array([-1.0, 3.0, -2.0]) / s5, rtol=1e-14)
    np.testing.assert_allclose(out, gamma * x_hat + beta, rtol=1e-15)


def test_forward_matches_library_train_mode():
    x = _batch(1)
    rng = np.random.default_rng(2)
    gamma, beta = rng.uniform(0.5, 2, 3), rng.uniform(-1, 1, 3)
    out, (x_hat, _, _) = ex.batchnorm_forward(x, gamma, beta, 1e-5)
    lib_out, lib_cache = batchnorm_forward(x, gamma, beta, None, None, "train")
    np.testing.assert_allclose(out, lib_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x_hat, lib_cache[1], rtol=1e-12, atol=1e-14)


def test_backward_matches_finite_differences_and_library():
    x = _batch(3, n=6, d=4)
    rng = np.random.default_rng(4)
    gamma, beta = rng.uniform(0.5, 2, 4), rng.uniform(-1, 1, 4)
    dout = rng.standard_normal((6, 4)) + 0.3
    eps = 1e-3
    dx, dgamma, dbeta = ex.batchnorm_backward(dout, x, gamma, eps)

    def fwd_x(z):
        return ex.batchnorm_forward(z, gamma, beta, eps)[0]

    assert relative_error(dx, numerical_gradient_array(fwd_x, x.copy(), dout)) < 1e-8
    g_num = numerical_gradient_array(
        lambda g: ex.batchnorm_forward(x, g, beta, eps)[0], gamma.copy(), dout
    )
    b_num = numerical_gradient_array(
        lambda b: ex.batchnorm_forward(x, gamma, b, eps)[0], beta.copy(), dout
    )
    assert relative_error(dgamma, g_num) < 1e-8
    assert relative_error(dbeta, b_num) < 1e-8
    _, cache = batchnorm_forward(x, gamma, beta, None, None, "train", eps=eps)
    lib = batchnorm_backward(dout, cache)
    for mine, theirs in zip((dx, dgamma, dbeta), lib):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-13)
    # the mean path: dx sums to zero over the batch in every feature
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)


def test_dropping_mean_terms_fails_gradcheck():
    x = _batch(5)
    gamma = np.array([1.5, -0.7, 0.9])
    dout = np.random.default_rng(6).standard_normal(x.shape)
    wrong_dx = ex._bwd_no_mean_terms(dout, x, gamma, 1e-5)[0]
    right_dx = ex.batchnorm_backward(dout, x, gamma, 1e-5)[0]
    assert relative_error(wrong_dx, right_dx) > 1e-2


def test_update_running_stats_golden_values_and_inputs_untouched():
    rm, rv = np.array([1.0, -1.0]), np.array([2.0, 0.5])
    bm, bv = np.array([3.0, 1.0]), np.array([1.5, 3.0])
    new_mean, new_var = ex.update_running_stats(rm, rv, bm, bv, 4, 0.25)
    # unbiased batch var = [2, 4]; 0.75 * old + 0.25 * new
    np.testing.assert_allclose(new_mean, [1.5, -0.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_var, [2.0, 1.375], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(rm, [1.0, -1.0])
    np.testing.assert_array_equal(rv, [2.0, 0.5])


def test_update_running_stats_matches_library_buffers():
    x = _batch(7, n=5, d=3)
    rm, rv = np.array([0.2, -0.4, 1.0]), np.array([1.3, 0.8, 2.0])
    lib_m, lib_v = rm.copy(), rv.copy()
    batchnorm_forward(x, np.ones(3), np.zeros(3), lib_m, lib_v, "train", momentum=0.3)
    new_m, new_v = ex.update_running_stats(rm, rv, x.mean(0), x.var(0), 5, 0.3)
    np.testing.assert_allclose(new_m, lib_m, rtol=1e-13)
    np.testing.assert_allclose(new_v, lib_v, rtol=1e-13)


def test_smoothed_loss_caps_and_averages():
    loss = np.array([2.0, 1.0, 0.0, np.nan, 50.0])
    got = explorers.smoothed_loss(loss, window=2)
    cap = explorers.LOSS_CAP
    np.testing.assert_allclose(got, [2.0, 1.5, 0.5, cap / 2, cap])


def test_fashion_slice_is_standardized():
    X_train, y_train, X_dev, y_dev = explorers.fashion_slice(n_train=300, n_dev=100)
    assert X_train.shape == (300, 196) and X_dev.shape == (100, 196)
    assert y_train.shape == (300,) and y_dev.shape == (100,)
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-5)
    raw, _, _, _ = load_fashion_mnist_subset()
    pooled = raw[:300].reshape(300, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(300, 196)
    # pixel (3, 5) of image 2 is the mean of a 2x2 block of the original image
    assert math.isclose(
        pooled[2, 3 * 14 + 5], raw[2].reshape(28, 28)[6:8, 10:12].mean(), rel_tol=1e-6
    )
    expected = (pooled - pooled.mean(axis=0)) / pooled.std()
    np.testing.assert_allclose(X_train, expected, rtol=1e-5, atol=1e-5)


def test_deep_mlp_structure_and_scale():
    plain = explorers.deep_mlp(None, scale=1.0)
    scaled = explorers.deep_mlp(None, scale=0.5)
    linears = [layer for layer in plain.layers if isinstance(layer, Linear)]
    assert len(linears) == explorers.DEPTH + 1
    for a, b in zip(plain.params, scaled.params):
        if a.ndim == 2:
            np.testing.assert_allclose(b, 0.5 * a, rtol=1e-6)
    bn = explorers.deep_mlp("batchnorm")
    assert sum(isinstance(layer, BatchNorm) for layer in bn.layers) == explorers.DEPTH


def _fake_grid():
    grid = {}
    rng = np.random.default_rng(0)
    for norm in explorers.NORMS:
        for lr in (0.01, 0.1):
            for scale in (0.5, 1.0, 2.0):
                diverged = norm == "plain" and lr == 0.1
                loss = np.abs(rng.standard_normal(30)) + 0.5
                if diverged:
                    loss[-1] = np.inf
                grid[norm, lr, scale] = {
                    "step_loss": loss,
                    "dev_acc": 0.1 if diverged else 0.7,
                    "diverged": diverged,
                }
    return grid


def test_bn_training_explorer_redraws_and_reports():
    explorer = explorers.bn_training(_fake_grid())
    fig, state = explorer.setup()
    msg = explorer.redraw(state, lr=0.1, scale=1.0)
    assert "plain: diverged" in msg and "with BatchNorm: dev acc 70%" in msg
    # a live slider value between grid points snaps to the nearest one
    msg2 = explorer.redraw(state, lr=0.012, scale=0.6)
    assert "plain: dev acc 70%" in msg2
    x, y = state["lines"]["plain"].get_data()
    assert len(x) == 30 and np.max(y) <= explorers.LOSS_CAP
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_bn_training_static_sweep_is_small():
    explorer = explorers.bn_training(_fake_grid())
    html = explorer.static_html("lr")
    assert "dlnotes-explorer" in html and len(html) < 1_000_000


def test_explorer_is_registered():
    assert "ch11.bn_training" in all_explorers()


@pytest.mark.slow
def test_lr_init_grid_claims():
    grid = explorers.lr_init_grid()
    plain = grid["plain", 0.3, 1.0]
    assert plain["diverged"] or plain["dev_acc"] < 0.2  # overflows, or ends at chance level
    assert not grid["batchnorm", 0.3, 1.0]["diverged"]
    assert grid["batchnorm", 0.3, 1.0]["dev_acc"] > 0.6
