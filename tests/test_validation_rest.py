"""Bad input to gradient checking, the landscape runners and rates, the losses, transfer runs,
Bayesian optimization, the torch bridge and ``check`` gets a clear error naming the argument,
and nothing comes back silently wrong (a NaN row hidden by ``max``, a target measured against 0
instead of the minimum); valid input keeps its old results."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dlnotes.landscapes as ls
from dlnotes import bayesopt, zoo
from dlnotes.exercises import CheckFailed, check, get
from dlnotes.gradcheck import (
    check_layer,
    check_model,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
    verdict,
)
from dlnotes.layers import Linear
from dlnotes.losses import (
    expected_calibration_error,
    l2_penalty,
    mse,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
)
from dlnotes.model import mlp

RNG = np.random.default_rng(0)

# --------------------------------------------------------------------------------------------
# gradcheck
# --------------------------------------------------------------------------------------------


class _NaNGradient(Linear):
    """A Linear whose backward writes NaN into one weight gradient: a bug the report must show."""

    def backward(self, dout, **kw):
        dX = super().backward(dout, **kw)
        self.grads[0][0, 0] = np.nan
        return dX


def test_a_nan_row_makes_the_reports_max_error_nan():
    X = np.random.default_rng(0).standard_normal((4, 3))
    report = check_layer(_NaNGradient(3, 2, seed=0), X)
    assert any(math.isnan(r["error"]) for r in report.rows)
    assert math.isnan(report.max_error) and verdict(report.max_error) == "bug?"
    assert not report.passed()
    honest = check_layer(Linear(3, 2, seed=0), X)
    assert honest.max_error == max(r["error"] for r in honest.rows) < 1e-7


def test_relative_error_survives_underflow_and_overflow_of_the_squares():
    assert relative_error([1e-170], [-1e-170]) == pytest.approx(1.0)
    assert relative_error([1e-170, 2e-170], [1e-170, 2.2e-170]) == pytest.approx(
        relative_error([1.0, 2.0], [1.0, 2.2]), rel=1e-12
    )
    assert relative_error([1e170], [1.1e170]) == pytest.approx(
        relative_error([1.0], [1.1]), rel=1e-12
    )
    assert relative_error([0.0], [0.0]) == 0.0
    assert math.isnan(relative_error([np.inf], [1.0]))
    a, b = RNG.standard_normal(7), RNG.standard_normal(7)  # ordinary values: the plain formula
    plain = np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
    assert relative_error(a, b) == float(plain)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.ones((2, 3)) * (1 + 1j), TypeError, "X must be a real-valued array"),
        (np.array([[1.0, np.nan, 0.0]]), ValueError, "X must be finite"),
        (np.zeros((0, 3)), ValueError, "X must not be empty"),
        (np.array([["a", "b", "c"]]), TypeError, "X must be a real-valued array"),
    ],
)
def test_check_layer_and_check_model_refuse_a_bad_input_batch(X, error, match):
    with pytest.raises(error, match=match):
        check_layer(Linear(3, 2, seed=0), X)
    with pytest.raises(error, match=match):
        check_model(mlp([3, 2], seed=0), X, np.zeros(len(X), dtype=int))


def test_numerical_gradients_refuse_complex_and_bool_results():
    with pytest.raises(TypeError, match="f must return a real-valued array"):
        numerical_gradient_array(lambda w: w * 1j, np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="got the bool"):
        numerical_gradient(lambda w: bool(w.sum() > 0), np.ones(3))
    with pytest.raises(TypeError, match="got the bool"):
        numerical_gradient(lambda w: np.bool_(True), np.ones(3))


# --------------------------------------------------------------------------------------------
# landscapes: runners and rates
# --------------------------------------------------------------------------------------------


def test_best_lr_run_measures_the_target_from_the_minimum():
    bowl = ls.Quadratic(np.diag([1.0, 10.0]), b=[1.0, 1.0])
    assert bowl.f_min < 0
    best = ls.best_lr_run(bowl, [3.0, 3.0], "GD", [0.01, 0.05, 0.1, 0.15], 200, 1e-3)
    gaps = best.run.fs - bowl.f_min
    t = best.steps_to_target
    assert t > 0 and gaps[t] < 1e-3 * gaps[0] <= gaps[t - 1]
    # on a bowl with f* = 0 the result is what it always was (the plain f)
    zero = ls.Quadratic(np.diag([1.0, 10.0]))
    old = ls.best_lr_run(zero, [3.0, 3.0], "GD", [0.01, 0.05, 0.1, 0.15], 200, 1e-3)
    fs = zero._f(ls.lr_sweep(zero, [3.0, 3.0], "GD", [old.lr], 200)[0])
    assert old.steps_to_target == int(np.argmax(fs < 1e-3 * fs[0]))


def test_best_lr_run_refuses_a_start_at_the_minimizer():
    bowl = ls.Quadratic(np.diag([1.0, 10.0]), b=[1.0, 1.0])
    with pytest.raises(ValueError, match="x0 must not be the bowl's minimizer"):
        ls.best_lr_run(bowl, bowl.minimizer, "GD", [0.1], 10, 1e-3)


@pytest.mark.parametrize("blowup", [-1.0, 0.0, float("nan"), "x"])
def test_lr_sweep_checks_blowup(blowup):
    bowl = ls.Quadratic(np.diag([1.0, 10.0]))
    with pytest.raises((ValueError, TypeError), match="blowup"):
        ls.lr_sweep(bowl, [1.0, 1.0], "GD", [0.1], 3, blowup=blowup)


def test_gd_steps_to_target_refuses_a_start_at_the_minimizer():
    """Issue 16: a 0 for every rate, even an unstable one, would pass for an answer."""
    bowl = ls.ill_conditioned_quadratic(10)
    assert np.allclose(bowl.minimizer, 0)
    for lr in (0.5, 5.0):
        with pytest.raises(ValueError, match="is the minimizer of quad"):
            ls.gd_steps_to_target(bowl, lr)


def test_heavy_ball_roots_of_a_huge_coefficient_are_b_and_rho_over_b():
    for lr, curvature in [(1e200, 1.0), (1e200, -1.0), (1e308, 10.0)]:
        z = ls.heavy_ball_roots(lr, 0.5, curvature)
        rate = float(ls.heavy_ball_rate(lr, 0.5, [curvature]))
        assert z.shape == (2,) and np.max(np.abs(z)) == pytest.approx(rate, rel=1e-12)
    z = ls.heavy_ball_roots(1e200, 0.5, 1.0)
    assert z[0] * z[1] == pytest.approx(0.5)  # the product of the roots is rho
    assert np.allclose(ls.heavy_ball_roots(0.1, 0.5, 1.0), [0.7 + 0.1j, 0.7 - 0.1j], atol=1e-15)


def test_the_momentum_challenge_reports_a_huge_rate_readably():
    with pytest.raises(CheckFailed) as info:
        check("ch04_momentum_challenge", (1e308, 0.5))
    message = str(info.value)
    assert "the run diverges" in message and "1e+308 along the steep one" in message
    assert len(message) < 800 and "OverflowError" not in message


# --------------------------------------------------------------------------------------------
# check's time limit
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "error"),
    [(float("inf"), ValueError), (1e300, ValueError), (float("nan"), ValueError),
     (True, TypeError), ("abc", TypeError), (0, ValueError)],
)  # fmt: skip
def test_check_refuses_a_time_limit_it_cannot_keep(limit, error):
    ex = get("ch02_gradient_descent")
    with pytest.raises(error, match="time_limit"):
        check(ex, ex.solution, time_limit=limit)


def test_check_accepts_a_long_time_limit(capsys):
    def step_decay(step, lr0, step_size, gamma):
        return lr0 * gamma ** (step // step_size)

    check("ch06_step_decay", step_decay, time_limit=3600)
    assert capsys.readouterr().out.startswith("✓")


# --------------------------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------------------------


def test_the_losses_refuse_float16():
    z = RNG.standard_normal((5, 3)).astype(np.float16)
    y = np.array([0, 1, 2, 0, 1])
    for call in (
        lambda: softmax_cross_entropy(z, y),
        lambda: softmax(z),
        lambda: sigmoid_cross_entropy(z[:, :1], np.ones(5)),
        lambda: mse(z, np.zeros((5, 3))),
        lambda: l2_penalty([np.ones(4, np.float16)], 1.0),
    ):
        with pytest.raises(
            TypeError, match=r"must be a float32 or float64 array, got dtype float16"
        ):
            call()
    # float32 and float64 as before
    assert softmax_cross_entropy(z.astype(np.float32), y)[1].dtype == np.float32


def _ece_loop(probs, y, bins):
    """The calibration error as it was computed, one bin after the other."""
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for k in range(bins):
        in_bin = (conf > edges[k]) & (conf <= edges[k + 1])
        if in_bin.any():
            total += np.mean(in_bin) * abs(conf[in_bin].mean() - right[in_bin].mean())
    return float(total)


def test_the_calibration_error_visits_only_non_empty_bins_with_the_same_result():
    probs = softmax(RNG.standard_normal((300, 4)) * 2)
    y = RNG.integers(0, 4, 300)
    for bins in (1, 10, 15, 1000):
        assert expected_calibration_error(probs, y, bins) == _ece_loop(probs, y, bins)
    edge = np.array([[0.5, 0.5], [0.7, 0.3], [1.0, 0.0]])  # confidences on bin edges
    assert expected_calibration_error(edge, np.array([0, 0, 1]), 10) == _ece_loop(
        edge, np.array([0, 0, 1]), 10
    )
    expected_calibration_error(probs[:4], y[:4], 10**6)  # fast: 4 examples, 4 bins visited
    with pytest.raises(ValueError, match="bins must be <= 1000000"):
        expected_calibration_error(probs, y, 10**9)


# --------------------------------------------------------------------------------------------
# transfer runs
# --------------------------------------------------------------------------------------------


def _task(n=40, d=6, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), np.arange(n) % classes


def test_transfer_run_counts_the_classes_of_both_sets():
    X, y = _task()
    Xt, yt = _task(20, seed=1)
    keep = yt < 3  # the test slice lacks class 3, which the training set has
    model, acc = zoo.transfer_run(None, X, y, Xt[keep], yt[keep], hidden=(8,), examples=40)
    assert model.layers[-1].out_features == 4 and 0 <= acc <= 1


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": -1}, ValueError, "batch_size must be >= 1"),
        ({"examples": -5}, ValueError, "examples must be >= 1"),
        ({"examples": "40"}, TypeError, "examples must be an int"),
        ({"n_frozen": 99}, ValueError, "n_frozen applies to a pretrained model"),
        ({"X_train": np.zeros((0, 6), np.float32)}, ValueError, r"X_train must have shape"),
        ({"y_train": np.zeros(40)}, ValueError, "y_train must be integer class indices"),
        ({"X_test": np.zeros((20, 5), np.float32)}, ValueError, "same number of features"),
        ({"y_test": -np.ones(20, int)}, ValueError, "y_test must be >= 0"),
    ],
)
def test_transfer_run_checks_its_arguments_before_training(change, error, match):
    X, y = _task()
    Xt, yt = _task(20, seed=1)
    args = {"X_train": X, "y_train": y, "X_test": Xt, "y_test": yt}
    kwargs = {"hidden": (8,), "examples": 40}
    for key, value in change.items():
        (args if key in args else kwargs)[key] = value
    with pytest.raises(error, match=match):
        zoo.transfer_run(None, **args, **kwargs)


def test_discriminative_lrs_says_when_the_factor_overflows():
    with pytest.raises(ValueError, match="overflows"):
        zoo.discriminative_lrs(0.1, 5, 1e308)
    assert zoo.discriminative_lrs(0.1, 3, 0.5) == [0.1 * 0.25, 0.1 * 0.5, 0.1]


# --------------------------------------------------------------------------------------------
# Bayesian optimization
# --------------------------------------------------------------------------------------------


def test_bayesian_optimization_checks_length_scale_before_calling_the_objective():
    calls = []

    def objective(x):
        calls.append(x)
        return x * x

    with pytest.raises(ValueError, match="length_scale"):
        bayesopt.bayesian_optimization(
            objective, np.linspace(-1, 1, 11), n_trials=3, n_init=3, length_scale=-1
        )
    assert calls == []


def test_bayesian_optimization_refuses_repeated_candidates():
    with pytest.raises(ValueError, match=r"candidates must be distinct .* 0.0 3 times"):
        bayesopt.bayesian_optimization(lambda x: x, [0.0, 0.0, 0.0, 1.0], n_trials=2)


def test_expected_improvement_and_an_empty_run_say_what_is_wrong():
    with pytest.raises(ValueError, match="mu and s must be finite"):
        bayesopt.expected_improvement(np.array([np.nan]), np.array([1.0]), 0.0)
    with pytest.raises(ValueError, match="no trials yet"):
        _ = bayesopt.BayesOptRun().best


# --------------------------------------------------------------------------------------------
# torch bridge
# --------------------------------------------------------------------------------------------


def test_the_torch_bridge_refuses_layers_it_would_misread_and_maps_leaky_relu():
    torch = pytest.importorskip("torch")
    from dlnotes.torch_bridge import model_state_from_torch, torch_sequential

    conv = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3)).state_dict()
    with pytest.raises(ValueError, match="not convolutions"):
        model_state_from_torch(conv)
    ints = {"0.weight": torch.ones(2, 3, dtype=torch.int64), "0.bias": torch.zeros(2)}
    with pytest.raises(TypeError, match="must be a float tensor"):
        model_state_from_torch(ints)
    model = mlp([4, 3, 2], activation="leaky_relu", seed=0).astype(np.float64)
    net = torch_sequential(model)
    assert isinstance(net[1], torch.nn.LeakyReLU)
    X = RNG.standard_normal((5, 4))
    with torch.no_grad():
        theirs = net(torch.tensor(X)).numpy()
    np.testing.assert_allclose(theirs, model.predict(X), rtol=1e-12, atol=1e-12)


def test_catalogue_takes_a_chapter_number_and_names_the_chapters_with_exercises():
    from dlnotes.exercises import catalogue

    assert [r["name"] for r in catalogue("ch02")] == [r["name"] for r in catalogue(2)]
    assert catalogue("02") == catalogue(np.int64(2))
    for bad in (2.7, True, "two"):
        with pytest.raises(TypeError, match="chapter must be a chapter number"):
            catalogue(bad)
    for missing in (99, -1):
        with pytest.raises(ValueError, match=r"has no exercises; chapters with exercises: \['01'"):
            catalogue(missing)
