"""Chapter 06's explorer (dlnotes.explorers.ch06) and its noisy least-squares problem
(dlnotes.landscapes.noisy_regression), with mini-batch SGD on it (dlnotes.landscapes.sgd_runs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.explorers import all_explorers, ch06


@pytest.fixture(scope="module")
def problem():
    return ls.noisy_regression()


def test_problem_minimum_is_the_least_squares_solution(problem):
    X, y, w_star = problem["X"], problem["y"], problem["w_star"]
    assert X.shape == (1000, 10) and y.shape == (1000,)
    np.testing.assert_allclose(X.T @ (X @ w_star - y) / len(X), 0.0, atol=1e-12)
    np.testing.assert_allclose(problem["H"], X.T @ X / len(X), rtol=1e-12)
    assert math.isclose(problem["f_star"], 0.5 * np.mean((X @ w_star - y) ** 2), rel_tol=1e-12)
    assert math.isclose(problem["sigma2"], 2 * problem["f_star"], rel_tol=1e-12)
    lam = np.linalg.eigvalsh(problem["H"])
    assert 15 < lam[-1] / lam[0] < 30  # mildly ill-conditioned, as the chapter says
    again = ls.noisy_regression()
    np.testing.assert_array_equal(again["X"], X)  # seeded


def test_sgd_runs_matches_a_plain_loop(problem):
    X, y, H, w_star, B = (problem[k] for k in ("X", "y", "H", "w_star", "batch_size"))
    lrs = np.linspace(0.3, 0.05, 40)
    rng = np.random.default_rng(1)  # sgd_runs' default seed
    w = np.zeros(X.shape[1])
    expected = []
    for lr in lrs:
        idx = rng.integers(0, len(X), B)
        w = w - lr * X[idx].T @ (X[idx] @ w - y[idx]) / B
        expected.append(0.5 * (w - w_star) @ H @ (w - w_star))
    got = ls.sgd_runs(problem, lrs, runs=1)
    assert got.shape == (40, 1)
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-10)


def test_sgd_runs_with_zero_lr_stays_at_the_start(problem):
    w0 = problem["w_star"] + 0.1
    excess = ls.sgd_runs(problem, np.zeros(5), runs=3, w0=w0)
    e = w0 - problem["w_star"]
    np.testing.assert_allclose(excess, 0.5 * e @ problem["H"] @ e, rtol=1e-12)


def test_sgd_runs_reports_divergence_as_inf(problem):
    excess = ls.sgd_runs(problem, np.full(300, 4.0), runs=2)
    assert np.isinf(excess[-1]).all()
    assert np.isfinite(excess[:5]).all()
    first = int(np.argmax(np.isinf(excess[:, 0])))
    assert 5 < first < 50 and np.isinf(excess[first:]).all()


def test_stream_is_shared_between_schedules(problem):
    stream = ls.minibatch_stream(problem, 50, runs=4, seed=3)
    a = ls.sgd_runs(problem, np.full(50, 0.2), stream=stream)
    b = ls.sgd_runs(problem, np.full(50, 0.2), runs=4, seed=3)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="stream has 50 steps"):
        ls.sgd_runs(problem, np.full(60, 0.2), stream=stream)


def _floor(problem, lr):
    """Chapter 06's floor: ``dlnotes.landscapes.noise_floor`` with gradient noise ``σ² λ_i / B``."""
    lam = np.linalg.eigvalsh(problem["H"])
    return ls.noise_floor(lr, lam, problem["sigma2"] * lam / problem["batch_size"])


def test_noise_floor_formula(problem):
    lam = np.linalg.eigvalsh(problem["H"])
    lr = 0.3
    expected = lr * problem["sigma2"] / (2 * 8) * np.sum(lam / (2 - lr * lam))
    assert math.isclose(_floor(problem, lr), expected, rel_tol=1e-12)
    small = _floor(problem, 1e-4)
    assert math.isclose(small, 1e-4 * problem["sigma2"] * lam.sum() / 32, rel_tol=1e-4)


def test_measured_floor_is_near_the_formula(problem):
    """SGD started at the minimum settles at the predicted floor (leading order, within 25 %)."""
    lr = 0.1
    excess = ls.sgd_runs(problem, np.full(1500, lr), runs=16, w0=problem["w_star"])
    ratio = excess[500:].mean() / _floor(problem, lr)
    assert 0.95 < ratio < 1.25


@pytest.mark.parametrize("kind", ch06.KINDS)
def test_every_schedule_peaks_at_lr_and_warms_up_from_zero(kind):
    t = np.arange(1000)
    lrs = ch06.make_schedule(kind, 0.3, 0, 1000)(t)
    assert math.isclose(lrs.max(), 0.3, rel_tol=1e-12) and lrs.min() >= 0
    warm = ch06.make_schedule(kind, 0.3, 100, 1000)(t)
    start = 0.3 / 20 if kind == "cyclic" else 0.3  # the warm-up ramps to the schedule's lr(0)
    assert warm[0] == 0.0 and math.isclose(warm[50], start / 2) and math.isclose(warm[100], start)
    assert math.isclose(warm.max(), 0.3, rel_tol=1e-12)


def test_schedule_ends():
    t_end = 999
    assert ch06.make_schedule("cosine", 0.4, 0, 1000)(t_end) < 1e-5
    assert math.isclose(ch06.make_schedule("exponential", 0.4, 0, 1000)(1000), 0.4 / 1000)
    assert math.isclose(ch06.make_schedule("1/t", 0.4, 0, 1000)(1000), 0.4 / 100)
    assert math.isclose(ch06.make_schedule("step", 0.4, 0, 1000)(999), 0.4 * 0.2**3)
    assert math.isclose(ch06.make_schedule("cyclic", 0.4, 0, 1000)(1000), 0.02)


def test_make_schedule_rejects_bad_input():
    with pytest.raises(ValueError, match="kind must be one of"):
        ch06.make_schedule("linear", 0.1)
    with pytest.raises(ValueError, match="warmup must be < total_steps"):
        ch06.make_schedule("cosine", 0.1, 500, 500)
    with pytest.raises(ValueError, match="lr"):
        ch06.make_schedule("cosine", -0.1)


def test_the_explorer_runs_sgd_from_the_library():
    assert ch06.sgd_runs is ls.sgd_runs and ch06.minibatch_stream is ls.minibatch_stream


def test_explorer_is_registered_and_updates():
    assert "ch06.schedule_explorer" in all_explorers()
    explorer = ch06.schedule_explorer(steps=200, runs=2)
    fig, state = explorer.setup()
    status = explorer.redraw(state, kind="step", lr=0.2, warmup=25)
    assert status.startswith("final excess")
    x, y = state["lr_line"].get_data()
    assert len(x) == 200 and y[0] <= 1e-12 and math.isclose(max(y), 0.2)
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.slow
def test_static_faces_stay_small():
    explorer = ch06.schedule_explorer()
    for sweep in ("kind", "lr", "warmup"):
        assert len(explorer.static_html(sweep)) < 1_000_000


@pytest.mark.slow  # 16 runs of SGD: about 3 s
def test_the_caption_says_how_far_constant_alpha_settles_above_the_model_floor():
    """The dashed floor is the additive-noise model's: a constant alpha settles 10 % above it at
    alpha = 0.1 and 50 % above it at alpha = 0.8, as the caption says."""
    from dlnotes.landscapes import minibatch_stream, sgd_runs

    problem = ls.noisy_regression()
    stream = minibatch_stream(problem, ch06.STEPS, 8)
    reference = sgd_runs(problem, np.full(ch06.STEPS, 0.05), stream=stream).mean(axis=1)
    ratio = {}
    for lr in (0.1, 0.8):
        frame = ch06._schedule_frame(problem, stream, reference, "constant", lr, 0)
        ratio[lr] = frame["excess"][-200:].mean() / frame["floor"]
    assert 1.05 < ratio[0.1] < 1.15 and 1.4 < ratio[0.8] < 1.6, ratio
    caption = ch06.schedule_explorer().caption
    assert "10 % above it at α = 0.1, 50 % at 0.8" in caption
