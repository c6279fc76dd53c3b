"""Chapter 04 (Momentum and Nesterov): the exercise helpers and the explorer.

The exercise catalogue itself (solutions pass, mistakes are named) is covered by
``tests/test_exercises_catalogue.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.exercises import ch04 as ex
from dlnotes.exercises import check
from dlnotes.explorers import all_explorers
from dlnotes.explorers import ch04 as explorers
from dlnotes.optim import SGD
from dlnotes.optim.teaching import momentum_step_velocity


def _sgd_iterates(bowl, x0, steps, **hyper):
    x = np.array(x0, dtype=float)
    opt = SGD(x, **hyper)
    xs = [x.copy()]
    for _ in range(steps):
        opt.step(bowl.grad(x))
        xs.append(x.copy())
    return np.array(xs)


def test_momentum_step_golden_values():
    x, v = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    g = np.array([0.3, -0.6])
    x_new, v_new = ex.momentum_step(x, v, g, lr=0.1, rho=0.9)
    # v = 0.9 v + g = (0.75, -0.375); x = x - 0.1 v = (0.925, -1.9625)
    np.testing.assert_allclose(v_new, [0.75, -0.375], rtol=0, atol=1e-15)
    np.testing.assert_allclose(x_new, [0.925, -1.9625], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(x, [1.0, -2.0])  # inputs untouched
    np.testing.assert_array_equal(v, [0.5, 0.25])


def test_momentum_step_loop_is_torch_sgd():
    bowl = ls.ill_conditioned_quadratic(30.0, theta=0.7)
    x0 = np.array([1.3, -0.8])
    x, v, xs = x0.copy(), np.zeros(2), [x0.copy()]
    for _ in range(40):
        x, v = ex.momentum_step(x, v, bowl.grad(x), 0.7, 0.85)
        xs.append(x)
    lib = _sgd_iterates(bowl, x0, 40, lr=0.7, momentum=0.85)
    np.testing.assert_allclose(np.array(xs), lib, rtol=0, atol=1e-12)


def test_nesterov_look_ahead_points_are_torch_nesterov_iterates():
    bowl = ls.ill_conditioned_quadratic(50.0, theta=-0.3)
    x0 = np.array([-1.7, 0.9])
    lr, rho = 0.6, 0.9
    xs = ex.nesterov(bowl.grad, x0, lr, rho, 60)
    v = np.vstack([np.zeros(2), np.diff(xs, axis=0)])
    lib = _sgd_iterates(bowl, x0, 60, lr=lr, momentum=rho, nesterov=True)
    np.testing.assert_allclose(xs + rho * v, lib, rtol=0, atol=1e-12)
    assert np.abs(xs - lib).max() > 1e-3  # the look-ahead variables are not the x_t


def test_nesterov_first_step_is_gradient_descent():
    bowl = ls.ill_conditioned_quadratic(10.0, theta=0.2)
    x0 = np.array([0.8, -1.1])
    xs = ex.nesterov(bowl.grad, x0, 0.3, 0.9, 1)
    np.testing.assert_allclose(xs[1], x0 - 0.3 * bowl.grad(x0), rtol=0, atol=1e-15)


def test_heavy_ball_matches_velocity_form_and_sgd():
    bowl = ls.ill_conditioned_quadratic(100.0, theta=0.4)
    x0 = np.array([-3.0, 1.5])
    run = ls.heavy_ball(bowl, x0, 1.0, 0.9, 50)
    xs = run.xs
    assert not run.diverged and xs.shape == (51, 2) and run.steps == 50
    np.testing.assert_array_equal(run.fs, bowl.f(xs))
    x, v, ref = x0.copy(), np.zeros(2), [x0.copy()]
    for _ in range(50):
        x, v = momentum_step_velocity(x, v, bowl.grad(x), 1.0, 0.9)
        ref.append(x)
    np.testing.assert_allclose(xs, np.array(ref), rtol=0, atol=1e-12)
    np.testing.assert_allclose(xs, _sgd_iterates(bowl, x0, 50, lr=1.0, momentum=0.9), atol=1e-12)


def test_heavy_ball_reports_divergence_and_validates():
    bowl = ls.ill_conditioned_quadratic(10.0)
    # stable iff lr L < 2 (1 + rho): 4.5 > 2 (1 + 0.5) = 3 diverges
    run = ls.heavy_ball(bowl, [1.0, 1.0], 4.5, 0.5, 500, blowup=1e3)
    assert run.diverged and len(run.xs) < 501 and np.all(np.isfinite(run.xs))
    assert not ls.heavy_ball(bowl, [1.0, 1.0], 2.9, 0.5, 500).diverged
    with pytest.raises(ValueError, match="rho"):
        ls.heavy_ball(bowl, [1.0, 1.0], 0.1, 1.0, 5)
    with pytest.raises(TypeError, match="landscape"):
        ls.heavy_ball(bowl.grad, [1.0, 1.0], 0.1, 0.5, 5)
    with pytest.raises(ValueError, match="x0"):
        ls.heavy_ball(bowl, np.ones((2, 2)), 0.1, 0.5, 5)


def test_heavy_ball_roots_solve_the_characteristic_polynomial():
    lr, rho, lam = 0.5, 0.04, 0.2
    z = ls.heavy_ball_roots(lr, rho, lam)
    # b = 1 + rho - lr lam = 0.94, disc = 0.94^2 - 0.16 = 0.7236: real roots
    root = math.sqrt(0.7236)
    np.testing.assert_allclose(np.sort(z.real), [(0.94 - root) / 2, (0.94 + root) / 2])
    assert np.all(z.imag == 0)
    # complex roots have modulus sqrt(rho) whatever the curvature
    for lam in [0.3, 1.0, 2.5]:
        np.testing.assert_allclose(np.abs(ls.heavy_ball_roots(1.0, 0.81, lam)), 0.9, rtol=1e-12)
    with pytest.raises(ValueError, match="rho"):
        ls.heavy_ball_roots(0.1, -0.2, 1.0)


def test_optimal_heavy_ball_gives_the_double_root_rate():
    lr, rho = ls.optimal_heavy_ball(100.0)
    assert lr == pytest.approx(4 / 1.1**2, rel=1e-14)
    assert rho == pytest.approx((9 / 11) ** 2, rel=1e-14)
    for lam in [0.01, 1.0]:  # mu and L sit at the edges of the oscillating window
        np.testing.assert_allclose(np.abs(ls.heavy_ball_roots(lr, rho, lam)), 9 / 11, rtol=1e-6)
    with pytest.raises(ValueError, match="kappa"):
        ls.optimal_heavy_ball(0.5)


def test_challenge_accepts_the_optimal_setting_and_names_mistakes(capsys):
    check("ch04_momentum_challenge", ls.optimal_heavy_ball(ls.MOMENTUM_CHALLENGE.kappa))
    assert "✓" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="enter two numbers"):
        check("ch04_momentum_challenge", 0.9)
    with pytest.raises(AssertionError, match="too little momentum"):
        check("ch04_momentum_challenge", (1.9, 0.1))


def test_challenge_is_out_of_reach_for_gradient_descent():
    bowl = ls.ill_conditioned_quadratic(ls.MOMENTUM_CHALLENGE.kappa)
    best = min(
        float(ls.heavy_ball(bowl, ls.MOMENTUM_CHALLENGE.x0, lr, 0.0, 100).fs.min())
        for lr in np.linspace(0.05, 1.99, 60)
    )
    assert best > ls.MOMENTUM_CHALLENGE.target


def test_explorer_is_registered_and_updates():
    assert all_explorers()["ch04.heavy_ball_quadratic"] is explorers.heavy_ball_quadratic
    import matplotlib.pyplot as plt

    explorer = explorers.heavy_ball_quadratic()
    fig, state = explorer.setup()
    status = explorer.redraw(state, lr=3.3, rho=0.67, kappa=100)
    assert status.startswith("heavy ball: ") and "GD diverged" in status  # 3.3 > 2/L
    hit = int(status.split("heavy ball: ")[1].split(" steps")[0])
    assert hit < 100
    status = explorer.redraw(state, lr=4.0, rho=0.0, kappa=10)
    assert "heavy ball diverged" in status and "GD diverged" in status
    status = explorer.redraw(state, lr=2.5, rho=0.9, kappa=10)  # momentum stretches the range
    assert "GD diverged" in status and "heavy ball diverged" not in status
    plt.close(fig)


@pytest.mark.slow
def test_explorer_static_face_is_small():
    explorer = explorers.heavy_ball_quadratic()
    for sweep in ["rho", "lr"]:
        assert len(explorer.static_html(sweep)) < 1.5e6


def test_heavy_ball_rate_is_the_largest_root_modulus_over_the_curvatures():
    lrs, rhos = np.linspace(0.0, 3.5, 8)[None, :], np.array([0.0, 0.3, 0.9])[:, None]
    rate = ls.heavy_ball_rate(lrs, rhos, [0.01, 1.0])
    assert rate.shape == (3, 8)
    for i, rho in enumerate(rhos[:, 0]):
        for j, lr in enumerate(lrs[0]):
            roots = [ls.heavy_ball_roots(lr, rho, lam) for lam in (0.01, 1.0)]
            assert rate[i, j] == pytest.approx(max(np.abs(z).max() for z in roots), rel=1e-12)
    with pytest.raises(ValueError, match="rho"):
        ls.heavy_ball_rate(0.1, 1.0, [1.0])


def test_the_explorer_shows_the_challenge_of_the_exercise():
    """The explorer and the exercise live on different floors; their settings must agree."""
    frame = explorers.heavy_ball_quadratic().compute(lr=1.0, rho=0.9, kappa=100)
    assert frame["run"].steps == ls.MOMENTUM_CHALLENGE.steps
    assert tuple(frame["run"].xs[0]) == ls.MOMENTUM_CHALLENGE.x0
    kappa = next(c for c in explorers.heavy_ball_quadratic().controls if c.name == "kappa")
    assert kappa.default == ls.MOMENTUM_CHALLENGE.kappa


def test_gradient_descent_needs_about_250_steps_on_the_challenge_bowl():
    """The module's claim: even at its best learning rate, gradient descent needs about 250 steps
    for what the challenge asks of heavy ball in 100."""
    bowl = ls.MOMENTUM_CHALLENGE.bowl()
    lrs = np.linspace(1.0, 2.0, 4001)[:-1]  # every stable rate (L = 1), finely
    fs = bowl.f(ls.lr_sweep(bowl, np.array(ls.MOMENTUM_CHALLENGE.x0), "GD", lrs, 400))
    steps = ls.steps_to_target(fs, 1.0, ls.MOMENTUM_CHALLENGE.target)
    best = steps[steps >= 0].min()
    assert 240 <= best <= 260 and best > 2 * ls.MOMENTUM_CHALLENGE.steps


def test_heavy_ball_rate_says_when_lr_and_rho_do_not_broadcast():
    with pytest.raises(ValueError, match=r"lr \(shape \(2,\)\) and rho \(shape \(3,\)\) must"):
        ls.heavy_ball_rate([0.1, 0.2], [0.5, 0.5, 0.5], [1.0, 2.0])
    grid = ls.heavy_ball_rate(*np.meshgrid([0.1, 0.2], [0.5, 0.6, 0.7]), [1.0, 2.0])
    assert grid.shape == (3, 2)
