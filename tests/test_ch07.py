"""Chapter 07 (Initialization): the exercise references and the signal-propagation explorer.

The exercise catalogue itself (solutions pass, mistakes are named) is covered by
``tests/test_exercises_catalogue.py``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dlnotes import init
from dlnotes.exercises import ch07 as ex
from dlnotes.exercises import check
from dlnotes.explorers import all_explorers
from dlnotes.explorers import ch07 as explorers
from dlnotes.layers import Linear, ReLU, Tanh
from dlnotes.model import Sequential


def test_xavier_uniform_reference_is_the_library_draw():
    got = ex.xavier_uniform(30, 70, np.random.default_rng(5))
    expected = init.xavier_uniform((30, 70), seed=np.random.default_rng(5))
    np.testing.assert_array_equal(got, expected)
    a = math.sqrt(6 / 100)
    assert got.shape == (30, 70) and np.abs(got).max() <= a
    assert np.abs(got).max() > 0.99 * a  # 2100 draws reach close to the bound


def test_kaiming_normal_reference_is_the_library_draw():
    got = ex.kaiming_normal(40, 90, np.random.default_rng(6))
    expected = init.kaiming_normal((40, 90), seed=np.random.default_rng(6))
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("fn", "variance"),
    [
        (ex.xavier_uniform, lambda fi, fo: 2 / (fi + fo)),
        (ex.kaiming_normal, lambda fi, fo: 2 / fi),
    ],
)
def test_initializer_variances(fn, variance):
    fan_in, fan_out = 200, 600
    W = fn(fan_in, fan_out, np.random.default_rng(0))
    # 120000 draws: the sample variance is within 2% of the target
    assert abs(W.var() / variance(fan_in, fan_out) - 1) < 0.02
    assert abs(W.mean()) < 0.01 * math.sqrt(variance(fan_in, fan_out))


def test_std_versus_variance_mistake_is_named(capsys):
    with pytest.raises(AssertionError, match="variance passed as the std"):
        check("ch07_kaiming_normal", ex._kn_variance_as_scale)
    with pytest.raises(AssertionError, match="std used as the bound"):
        check("ch07_xavier_uniform", ex._xu_std_as_bound)


def test_propagate_matches_a_sequential_network():
    """Forward and backward of the explorer's propagate equal a bias-free dlnotes MLP's."""
    rng = np.random.default_rng(3)
    sizes = [7, 11, 5, 9]
    weights = [rng.normal(0, 0.6, (a, b)) for a, b in itertools.pairwise(sizes)]
    X = rng.standard_normal((13, 7))
    upstream = rng.standard_normal((13, 9))
    for act, layer in [("relu", ReLU), ("tanh", Tanh)]:
        model = Sequential(
            *[
                m
                for W in weights
                for m in (Linear(*W.shape, bias=False, init=W, dtype=np.float64), layer())
            ]
        )
        model.record = True
        model.forward(X)
        model.backward(upstream)
        zs, grads = explorers.propagate(X, weights, act, upstream)
        for k in range(len(weights)):
            np.testing.assert_allclose(zs[k], model.activations[2 * k], rtol=1e-12)
            np.testing.assert_allclose(grads[k], model.activation_grads[2 * k], rtol=1e-12)


def test_propagate_linear_is_a_matrix_product():
    rng = np.random.default_rng(8)
    weights = [rng.standard_normal((4, 4)) for _ in range(3)]
    X, up = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    zs, grads = explorers.propagate(X, weights, "linear", up)
    product = weights[0] @ weights[1] @ weights[2]
    np.testing.assert_allclose(zs[-1], X @ product, rtol=1e-12)
    np.testing.assert_allclose(grads[0], up @ (weights[1] @ weights[2]).T, rtol=1e-12)


def test_propagate_validates_its_inputs():
    X, W, up = explorers.random_network(2, 1.0, width=6, batch=4)
    with pytest.raises(ValueError, match="nonlinearity"):
        explorers.propagate(X, W, "sigmoid", up)
    with pytest.raises(ValueError, match=r"weights\[1\] must have 6 rows"):
        explorers.propagate(X, [W[0], np.ones((5, 6))], "relu", up)
    with pytest.raises(ValueError, match="upstream must have shape"):
        explorers.propagate(X, W, "relu", up[:, :3])
    with pytest.raises(ValueError, match="depth"):
        explorers.random_network(0, 1.0)


def test_random_network_scales_one_set_of_matrices():
    X1, W1, up1 = explorers.random_network(3, 1.0, width=8, batch=5, seed=2)
    X2, W2, up2 = explorers.random_network(3, 2.5, width=8, batch=5, seed=2)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(up1, up2)
    for a, b in zip(W1, W2):
        np.testing.assert_allclose(b, 2.5 * a, rtol=1e-15)


def test_deep_linear_variance_follows_the_gain():
    """Linear layers with Var W = g²/n multiply the variance by g² per layer (wide: ~exact)."""
    X, W, up = explorers.random_network(6, 1.0, width=400, batch=300, seed=1)
    for gain in (0.8, 1.2):
        zs, _ = explorers.propagate(X, [gain * w for w in W], "linear", up)
        ratio = zs[-1].var() / zs[0].var()
        assert abs(math.log(ratio) / math.log(gain**10) - 1) < 0.1


def test_relu_needs_gain_sqrt2():
    X, W, up = explorers.random_network(20, 1.0, width=300, batch=200, seed=4)
    zs_lecun, _ = explorers.propagate(X, W, "relu", up)
    zs_he, _ = explorers.propagate(X, [math.sqrt(2) * w for w in W], "relu", up)
    assert 0.2 < zs_lecun[-1].var() / zs_lecun[0].var() / 2.0**-19 < 5
    assert 0.5 < zs_he[-1].var() / zs_he[0].var() < 2


def test_explorer_is_registered_and_updates():
    assert "ch07.signal_propagation" in all_explorers()
    explorer = explorers.signal_propagation()
    fig, state = explorer.setup()
    try:
        status = explorer.redraw(state, gain=1.414, depth=10, nonlinearity="relu")
        assert "PyTorch's calculate_gain('relu') = √2 ≈ 1.414" in status
        assert "recommended" not in status
        x, y = state["fwd"].get_data()
        assert len(x) == 10 and np.all(np.asarray(y) > 0)
        explorer.redraw(state, gain=3.0, depth=50, nonlinearity="linear")  # 3^50: no overflow
        assert np.all(np.isfinite(state["fwd"].get_data()[1]))
        explorer.redraw(state, gain=3.0, depth=50, nonlinearity="tanh")
        assert "saturated" in state["ax2"].get_title()
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_status_names_torch_calculate_gain_neither_a_default_nor_a_recommendation():
    """5/3 is what PyTorch's calculate_gain('tanh') returns, but no initializer applies it by
    default, and at depth 50 it grows the gradient (85x): the status line names the function,
    calls it neither a default nor recommended. Each written gain is the value to 3 decimals."""
    explorer = explorers.signal_propagation()
    for name, text in explorers.GAIN_TEXT.items():
        assert f"{explorers.LIBRARY_GAIN[name]:.3f}".rstrip("0").rstrip(".") in text
    status = explorer.compute(gain=5 / 3, depth=50, nonlinearity="tanh")["status"]
    assert status.endswith("PyTorch's calculate_gain('tanh') = 5/3 ≈ 1.667")
    assert "recommended" not in status and "default" not in status


def _tanh_ratios(explorer, gain):
    frame = explorer.compute(gain=gain, depth=50, nonlinearity="tanh")
    forward, backward = frame["forward"], frame["backward"]
    return forward[-1] / forward[0], backward[0] / backward[-1]


def test_exercise_3_has_one_answer_per_question():
    """Chapter 07's exercise 3 (tanh, depth 50): the forward ratio rises with the gain to the
    slider's end (no flattest forward gain), the smallest gain keeping more than a third of the
    forward std is 1.2, the backward ratio is closest to 1 at 1.1, and 5/3 grows it over 50x."""
    explorer = explorers.signal_propagation()
    ratios = {g: _tanh_ratios(explorer, g) for g in explorers.GAINS}
    forward = [ratios[g][0] for g in explorers.GAINS]
    assert np.all(np.diff(forward) > 0)
    keeps = [g for g in explorers.GAINS if ratios[g][0] > 1 / 3]
    assert keeps[0] == 1.2 and 0.25 < ratios[1.1][0] < 0.32 < 0.4 < ratios[1.2][0] < 0.5
    closest = min(explorers.GAINS, key=lambda g: abs(math.log(ratios[g][1])))
    assert closest == 1.1 and 0.7 < ratios[1.1][1] < 0.95 and 1.4 < ratios[1.2][1] < 2.2
    assert 0.6 < ratios[5 / 3][0] < 0.75 and 50 < ratios[5 / 3][1] < 150
