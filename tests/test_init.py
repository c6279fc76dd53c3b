"""dlnotes.init: torch.nn.init's formulas (gains, fans in our (D_in, D_out) layout), empirical
variances, and the deep-network experiment of chapter 07."""

import functools
import math

import numpy as np
import pytest

from dlnotes import init
from dlnotes.layers import Linear, ReLU, Tanh
from dlnotes.model import Sequential

SHAPE = (400, 250)  # (D_in, D_out): fan_in = 400, fan_out = 250


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match=r"nonlinearity must be one of .* got 'gelu'"):
        init.calculate_gain("gelu")


def test_fans_follow_our_layout():
    assert init.fans((784, 256)) == (784, 256)
    with pytest.raises(ValueError, match=r"2-D weight shape \(D_in, D_out\), got shape \(5,\)"):
        init.fans((5,))


# (initializer, kwargs, expected variance for SHAPE)
CASES = [
    (init.uniform, {"a": -0.3, "b": 0.5}, 0.8**2 / 12),
    (init.normal, {"mean": 0.0, "std": 0.05}, 0.05**2),
    (init.xavier_uniform, {}, 2 / (400 + 250)),
    (init.xavier_uniform, {"gain": 5 / 3}, (5 / 3) ** 2 * 2 / 650),
    (init.xavier_normal, {}, 2 / 650),
    (init.xavier_normal, {"gain": 5 / 3}, (5 / 3) ** 2 * 2 / 650),
    (init.kaiming_uniform, {}, 2 / 400),
    (init.kaiming_uniform, {"mode": "fan_out", "nonlinearity": "relu"}, 2 / 250),
    (init.kaiming_uniform, {"a": math.sqrt(5)}, 1 / (3 * 400)),
    (init.kaiming_normal, {"nonlinearity": "relu"}, 2 / 400),
    (init.kaiming_normal, {"mode": "fan_out", "nonlinearity": "tanh"}, (25 / 9) / 250),
    (init.kaiming_normal, {"a": 0.2, "nonlinearity": "leaky_relu"}, 2 / 1.04 / 400),
    (init.torch_default, {}, 1 / (3 * 400)),
]


@pytest.mark.parametrize(
    "fn, kwargs, variance", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_empirical_variance_matches_formula(fn, kwargs, variance):
    W = fn(SHAPE, seed=0, **kwargs)
    assert W.shape == SHAPE and W.dtype == np.float64
    # 100000 samples: the variance estimate is within ~1% of the truth
    assert W.var() == pytest.approx(variance, rel=0.03)


def test_uniform_initialisers_respect_their_bounds():
    a = math.sqrt(6 / 650)
    W = init.xavier_uniform(SHAPE, seed=1)
    assert np.abs(W).max() <= a and np.abs(W).max() > 0.99 * a
    bound = math.sqrt(3) * math.sqrt(2) / math.sqrt(400)
    W = init.kaiming_uniform(SHAPE, seed=1)
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound


def test_zeros_constant_seeds_and_dtype():
    np.testing.assert_array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(init.constant((2,), 0.7), [0.7, 0.7])
    np.testing.assert_array_equal(
        init.kaiming_normal((5, 4), seed=3), init.kaiming_normal((5, 4), seed=3)
    )
    assert not np.array_equal(
        init.kaiming_normal((5, 4), seed=3), init.kaiming_normal((5, 4), seed=4)
    )
    assert init.xavier_uniform((5, 4), seed=0, dtype=np.float32).dtype == np.float32
    assert init.he_normal is init.kaiming_normal and init.glorot_uniform is init.xavier_uniform


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal((3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal((3, 3), std=-1.0)
    with pytest.raises(TypeError, match="shape must be a tuple of non-negative ints"):
        init.zeros((2.5, 3))
    with pytest.raises(TypeError, match="seed must be an int"):
        init.normal((2, 2), seed="zero")


def _layer_variances(activation, weight_init, depth=10, width=256, seed=0):
    """Variance of each hidden layer's activations in a deep net fed standard normal inputs."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        layers += [Linear(width, width, init=weight_init, seed=rng, dtype=np.float64), activation()]
    model = Sequential(*layers)
    model.record = True
    model.forward(rng.standard_normal((1000, width)))
    return np.array([a.var() for a in model.activations[1::2]])


@pytest.mark.parametrize(
    "activation, weight_init",
    [
        (ReLU, "kaiming_normal"),
        (ReLU, "kaiming_uniform"),
        (Tanh, functools.partial(init.xavier_normal, gain=init.calculate_gain("tanh"))),
        (Tanh, functools.partial(init.xavier_uniform, gain=init.calculate_gain("tanh"))),
    ],
    ids=[
        "relu-kaiming-normal",
        "relu-kaiming-uniform",
        "tanh-xavier-normal",
        "tanh-xavier-uniform",
    ],
)
def test_matching_initializer_keeps_activation_variance(activation, weight_init):
    v = _layer_variances(activation, weight_init)
    ratios = v[1:] / v[:-1]
    assert np.all((ratios > 0.5) & (ratios < 2)), ratios


def test_without_the_matching_initializer_signals_vanish_or_explode():
    small = functools.partial(init.normal, std=0.01)
    large = functools.partial(init.normal, std=1.0)
    for activation in (ReLU, Tanh):
        v = _layer_variances(activation, small)
        assert v[-1] / v[0] < 1e-12  # vanishes: each layer multiplies the variance by ~0.02
    v = _layer_variances(ReLU, large)
    assert np.all(v[1:] / v[:-1] > 50)  # explodes: x ~128 per layer
    assert v[-1] > 1e18


@pytest.mark.parametrize("bad", [True, 2.5, "3", float("nan"), np.float64(3.5)])
def test_torch_default_refuses_a_fan_in_that_is_not_a_count(bad):
    with pytest.raises(TypeError, match=r"fan_in must be an integer"):
        init.torch_default((2, 2), fan_in=bad, seed=0)


def test_torch_default_fan_in_must_be_positive():
    with pytest.raises(ValueError, match=r"fan_in must be >= 1, got 0"):
        init.torch_default((2,), fan_in=0, seed=0)
    np.testing.assert_array_equal(
        init.torch_default((3,), fan_in=4, seed=0), init.torch_default((3,), fan_in=4.0, seed=0)
    )
