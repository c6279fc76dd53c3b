"""dlnotes.landscapes: gradients and Hessians against central finite differences (float64)."""

import math

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes import schedules as sch
from dlnotes.optim import LBFGS, SGD, Adagrad, Adam, RMSprop, teaching


def numerical_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def all_landscapes():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((4, 4))
    return [
        ls.ill_conditioned_quadratic(100.0, theta=0.3),
        ls.ill_conditioned_quadratic(10.0, L=3.0, dim=5),
        ls.Quadratic(M @ M.T + np.eye(4), b=rng.standard_normal(4), c=0.7),
        ls.Quadratic(np.diag([2.0, -1.0])),  # indefinite: a saddle
        ls.Rosenbrock(),
        ls.Rosenbrock(a=0.5, b=10.0),
        ls.Saddle(a=2.0, b=0.5),
        ls.Saddle(a=1.5, b=0.8, theta=0.7),  # turned: every coordinate mixes
    ]


@pytest.mark.parametrize("land", all_landscapes(), ids=lambda l: type(l).__name__)
def test_gradient_and_hessian_match_central_differences(land):
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.uniform(-1.5, 1.5, land.dim)
        g = land.grad(x)
        g_num = numerical_grad(lambda z: float(land.f(z)), x)
        assert np.linalg.norm(g - g_num) <= 1e-7 * max(1.0, np.linalg.norm(g))
        H = land.hessian(x)
        H_num = np.stack(
            [numerical_grad(lambda z, i=i: land.grad(z)[i], x) for i in range(land.dim)]
        )
        assert np.allclose(H, H_num, rtol=1e-6, atol=1e-6)
        assert np.allclose(H, H.T)


@pytest.mark.parametrize("land", all_landscapes(), ids=lambda l: type(l).__name__)
def test_batched_evaluation_matches_pointwise(land):
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (3, 4, land.dim))
    F, G, H = land.f(X), land.grad(X), land.hessian(X)
    assert F.shape == (3, 4) and G.shape == (3, 4, land.dim)
    assert H.shape == (3, 4, land.dim, land.dim)
    for idx in [(0, 0), (2, 3), (1, 2)]:
        assert np.isclose(F[idx], land.f(X[idx]))
        assert np.allclose(G[idx], land.grad(X[idx]))
        assert np.allclose(H[idx], land.hessian(X[idx]))


def test_minimizers_are_stationary_with_the_stated_value():
    for land in all_landscapes():
        if land.minimizer is None:
            continue
        assert np.allclose(land.grad(land.minimizer), 0.0, atol=1e-10)
        assert math.isclose(float(land.f(land.minimizer)), land.f_min, abs_tol=1e-12)


def test_ill_conditioned_quadratic_has_the_requested_spectrum():
    q = ls.ill_conditioned_quadratic(50.0, L=2.0, theta=np.pi / 4)
    assert np.allclose(q.eigenvalues, [2.0 / 50, 2.0])
    assert math.isclose(q.kappa, 50.0) and math.isclose(q.L, 2.0)
    # rotated by 45 degrees the steep direction is (1, 1)/sqrt(2)
    v = np.array([1.0, 1.0]) / np.sqrt(2)
    assert math.isclose(v @ q.A @ v, 2.0)


def test_rosenbrock_is_ill_conditioned_at_its_minimum():
    H = ls.Rosenbrock().hessian(np.array([1.0, 1.0]))
    eig = np.linalg.eigvalsh(H)
    assert 2000 < eig[-1] / eig[0] < 3000


def test_gradient_descent_stability_limit_is_two_over_L():
    q = ls.ill_conditioned_quadratic(10.0, L=1.0)
    x0 = np.array([1.0, 1.0])
    below = ls.gradient_descent(q, x0, lr=1.99, steps=2000)
    above = ls.gradient_descent(q, x0, lr=2.01, steps=2000)
    assert not below.diverged and below.fs[-1] < 1e-12
    assert above.diverged
    assert np.array_equal(x0, [1.0, 1.0])  # the start is not modified


def test_gradient_descent_matches_the_closed_form_on_a_diagonal_quadratic():
    q = ls.Quadratic(np.diag([1.0, 0.1]))
    run = ls.gradient_descent(q, [1.0, -2.0], lr=0.5, steps=7)
    t = np.arange(8)
    expected = np.stack([0.5**t * 1.0, 0.95**t * -2.0], axis=1)
    assert np.allclose(run.xs, expected, rtol=1e-14)


def test_noisy_gradient_is_reproducible_and_unbiased():
    q = ls.ill_conditioned_quadratic(10.0)
    x = np.array([0.3, -0.7])
    a = ls.NoisyGradient(q, sigma=0.5, seed=3)
    b = ls.NoisyGradient(q, sigma=0.5, seed=3)
    assert np.array_equal(a.grad(x), b.grad(x))
    mean = np.mean([a.grad(x) for _ in range(4000)], axis=0)
    assert np.allclose(mean, q.grad(x), atol=0.05)


def test_random_symmetric_matrices_are_rarely_definite_in_high_dimension():
    rng = np.random.default_rng(0)
    frac = {
        d: np.mean(
            [np.all(np.linalg.eigvalsh(ls.random_symmetric_matrix(d, rng)) > 0) for _ in range(400)]
        )
        for d in (1, 2, 6)
    }
    assert frac[1] > 0.4 and frac[2] > frac[6] and frac[6] < 0.02


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ls.Rosenbrock().f(np.zeros(3)), r"x must have shape \(\.\.\., 2\).*got \(3,\)"),
        (lambda: ls.Rosenbrock().grad(np.zeros((4, 3))), r"shape \(\.\.\., 2\)"),
        (lambda: ls.Quadratic(np.zeros((2, 3))), "A must be square"),
        (lambda: ls.Quadratic([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
        (lambda: ls.ill_conditioned_quadratic(0.5), "kappa must be >= 1"),
        (lambda: ls.ill_conditioned_quadratic(10, dim=3, theta=0.1), "theta is only supported"),
        (
            lambda: ls.gradient_descent(ls.Rosenbrock(), [0.0, 0.0], lr=-1, steps=3),
            "lr must be >= 0",
        ),
        (lambda: ls.gradient_descent(ls.Rosenbrock(), [0.0, 0.0], lr=0.1, steps=2.5), "steps"),
    ],
)
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_string_input_is_a_type_error():
    with pytest.raises(TypeError, match="x must be a real-valued array"):
        ls.Rosenbrock().f(np.array(["a", "b"]))


def test_rotated_saddle_is_the_saddle_turned():
    plain, turned = ls.Saddle(a=1.0, b=1.0), ls.Saddle(a=1.0, b=1.0, theta=np.pi / 4)
    R = ls.rotation(np.pi / 4)
    p = np.random.default_rng(3).uniform(-2, 2, (6, 2))
    np.testing.assert_allclose(turned.f(p @ R.T), plain.f(p), rtol=1e-13)
    np.testing.assert_allclose(turned.grad(p @ R.T), plain.grad(p) @ R.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(turned.minimizer, [-np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-14)
    assert turned.f(turned.minimizer) == pytest.approx(turned.f_min, abs=1e-14)
    np.testing.assert_allclose(turned.grad(turned.minimizer), 0, atol=1e-14)
    # at 45 degrees the escape direction (-1, 1)/sqrt(2) needs both coordinates
    eig, vec = np.linalg.eigh(turned.hessian(np.zeros(2)))
    np.testing.assert_allclose(np.abs(vec[:, 0]), [np.sqrt(0.5)] * 2, rtol=1e-12)
    assert eig[0] == pytest.approx(-1.0)


# ---------------------------------------------------------------- runners: a rate per step


def _diagonal_gd(curvatures, x0, rates):
    """Gradient descent on ½ Σ λ_i x_i² in closed form: x_t = Π_{s<t} (1 − α_s λ) x_0."""
    factors = 1.0 - np.asarray(rates)[:, None] * np.asarray(curvatures)[None, :]
    return np.vstack([x0, x0 * np.cumprod(factors, axis=0)])


def test_gradient_descent_with_a_rate_per_step_matches_the_closed_form():
    q = ls.Quadratic(np.diag([1.0, 0.1]))
    x0 = np.array([1.0, -2.0])
    rates = np.array([0.5, 1.5, 0.2, 1.9, 0.0, 1.0, 0.3])
    run = ls.gradient_descent(q, x0, rates, steps=7)
    np.testing.assert_allclose(run.xs, _diagonal_gd([1.0, 0.1], x0, rates), rtol=1e-14)
    assert not run.diverged and run.steps == 7
    np.testing.assert_array_equal(run.fs, q.f(run.xs))


def test_gradient_descent_with_a_schedule_calls_it_at_each_step_from_zero():
    q = ls.Quadratic(np.diag([1.0, 0.1]))
    schedule = sch.step_decay(1.5, step_size=3, gamma=0.5)
    seen = []

    def traced(t):
        seen.append(t)
        return schedule(t)

    run = ls.gradient_descent(q, [1.0, -2.0], traced, steps=8)
    assert seen == list(range(8))
    expected = _diagonal_gd([1.0, 0.1], np.array([1.0, -2.0]), schedule(np.arange(8)))
    np.testing.assert_allclose(run.xs, expected, rtol=1e-14)
    # a plain function of the step works too, and a list of rates
    plain = ls.gradient_descent(q, [1.0, -2.0], lambda t: 1.5 * 0.5 ** (t // 3), steps=8)
    listed = ls.gradient_descent(q, [1.0, -2.0], list(schedule(np.arange(8))), steps=8)
    np.testing.assert_array_equal(plain.xs, run.xs)
    np.testing.assert_array_equal(listed.xs, run.xs)


def test_a_constant_schedule_is_the_constant_rate_and_heavy_ball_with_rho_zero():
    land = ls.Rosenbrock()
    x0 = [-1.2, 1.0]
    const = ls.gradient_descent(land, x0, 1.9e-3, 500)
    np.testing.assert_array_equal(
        ls.gradient_descent(land, x0, sch.constant(1.9e-3), 500).xs, const.xs
    )
    np.testing.assert_array_equal(
        ls.gradient_descent(land, x0, np.full(500, 1.9e-3), 500).xs, const.xs
    )
    np.testing.assert_array_equal(ls.heavy_ball(land, x0, 1.9e-3, 0.0, 500).xs, const.xs)


def test_gradient_descent_with_a_schedule_stops_where_it_blows_up():
    # Rosenbrock from (2, 2): 0.0019 is too large there, a warm-up gets through (chapter 06)
    land, x0 = ls.Rosenbrock(), [2.0, 2.0]
    const = ls.gradient_descent(land, x0, 1.9e-3, 6000, blowup=1e3)
    assert const.diverged and const.steps < 10 and np.all(np.abs(const.xs) < 1e3)
    warm = ls.gradient_descent(land, x0, sch.linear_warmup(sch.constant(1.9e-3), 300), 6000)
    assert not warm.diverged and warm.steps == 6000 and warm.fs[-1] < 1e-6


@pytest.mark.parametrize(
    ("lr", "error", "match"),
    [
        (np.full(4, 0.1), ValueError, r"one rate per step \(shape \(5,\)\), got shape \(4,\)"),
        (np.full((5, 1), 0.1), ValueError, r"shape \(5,\)"),
        ([0.1, 0.1, -0.1, 0.1, 0.1], ValueError, r"lr\[2\] = -0.1"),
        ([0.1, 0.1, 0.1, np.nan, 0.1], ValueError, r"lr\[3\] = nan"),
        (lambda step: 0.1 if step < 3 else -1.0, ValueError, r"lr\(step\) at step = 3: lr must"),
        (lambda step: None, TypeError, r"lr\(step\) at step = 0: lr must be a real number"),
        ("0.1", TypeError, "lr must be"),
        (np.inf, ValueError, "lr must be finite"),
    ],
)
def test_a_bad_rate_per_step_gets_a_clear_error(lr, error, match):
    with pytest.raises(error, match=match):
        ls.gradient_descent(ls.Rosenbrock(), [0.0, 0.0], lr, steps=5)


# ---------------------------------------------------------------- runners: dlnotes.optim


BOWL = ls.ill_conditioned_quadratic(30.0, theta=0.7)
X0 = np.array([-1.3, 2.2])


def _optimizer_loop(cls, rates, **hyper):
    """The loop optimizer_run replaces: set the rate, step on the gradient, keep the iterate."""
    x = X0.copy()
    opt = cls([x], lr=rates[0], **hyper)
    xs = [x.copy()]
    for rate in rates:
        opt.lr = rate
        opt.step([BOWL.grad(x)])
        xs.append(x.copy())
    return np.array(xs)


@pytest.mark.parametrize(
    ("cls", "hyper"),
    [
        (SGD, {"momentum": 0.9}),
        (SGD, {"momentum": 0.9, "nesterov": True}),
        (SGD, {"momentum": 0.8, "dampening": 0.8}),
        (Adam, {"betas": (0.8, 0.99)}),
        (RMSprop, {"alpha": 0.9}),
        (Adagrad, {}),
    ],
)
def test_optimizer_run_is_the_optimizer_stepped_by_hand(cls, hyper):
    schedule = sch.cosine(0.3, 40)
    run = ls.optimizer_run(BOWL, X0, cls, schedule, 40, **hyper)
    np.testing.assert_array_equal(run.xs, _optimizer_loop(cls, schedule(np.arange(40)), **hyper))
    np.testing.assert_array_equal(run.fs, BOWL.f(run.xs))
    assert run.steps == 40 and not run.diverged
    np.testing.assert_array_equal(X0, [-1.3, 2.2])  # the start is not modified


def test_optimizer_run_sgd_momentum_is_heavy_ball_at_a_constant_rate_and_form_a_with_a_schedule():
    hb = ls.heavy_ball(BOWL, X0, 0.7, 0.85, 60)
    sgd = ls.optimizer_run(BOWL, X0, SGD, 0.7, 60, momentum=0.85)
    np.testing.assert_allclose(sgd.xs, hb.xs, rtol=0, atol=1e-12)
    # with a drop of the rate, SGD is form (A) v = ρ v + g, x = x − α_t v of chapter 04
    rates = np.where(np.arange(60) < 30, 0.7, 0.07)
    x, v, xs = X0.copy(), np.zeros(2), [X0.copy()]
    for rate in rates:
        x, v = teaching.momentum_step_add(x, v, BOWL.grad(x), rate, 0.85)
        xs.append(x)
    got = ls.optimizer_run(BOWL, X0, SGD, rates, 60, momentum=0.85).xs
    np.testing.assert_allclose(got, np.array(xs), rtol=0, atol=1e-12)


def test_optimizer_run_agrees_with_the_learning_rate_sweep():
    for method, cls in [("GD", SGD), ("AdaGrad", Adagrad), ("Adam", Adam)]:
        swept = ls.lr_sweep(BOWL, X0, method, [0.2], 50)[0]
        run = ls.optimizer_run(BOWL, X0, cls, 0.2, 50, **({"eps": 1e-8} if cls is Adagrad else {}))
        np.testing.assert_allclose(run.xs, swept, rtol=1e-12, atol=1e-13)


def test_optimizer_run_stops_where_it_blows_up():
    q = ls.ill_conditioned_quadratic(10.0, L=1.0)
    run = ls.optimizer_run(q, [1.0, 1.0], SGD, 2.5, 500, blowup=1e3)
    assert run.diverged and 0 < run.steps < 500
    assert np.all(np.linalg.norm(run.xs, axis=1) <= 1e3)
    np.testing.assert_array_equal(
        run.xs, ls.gradient_descent(q, [1.0, 1.0], 2.5, 500, blowup=1e3).xs
    )
    assert not ls.optimizer_run(q, [1.0, 1.0], SGD, 1.9, 500).diverged
    assert ls.optimizer_run(q, [1.0, 1.0], SGD, 0.5, 0).xs.shape == (1, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"optimizer": SGD(np.zeros(2), lr=0.1)},
            TypeError,
            "optimizer must be an optimizer class",
        ),
        ({"optimizer": teaching.momentum_step_add}, TypeError, "optimizer must be an optimizer"),
        ({"optimizer": LBFGS}, TypeError, "LBFGS needs a closure"),
        ({"landscape": BOWL.grad}, TypeError, "landscape must be a Landscape"),
        ({"x0": np.zeros(3)}, ValueError, r"x must have shape \(\.\.\., 2\)"),
        ({"x0": np.zeros((2, 2))}, ValueError, r"x0 must have shape \(2,\)"),
        ({"lr": [0.1, 0.2]}, ValueError, r"shape \(10,\)"),
        ({"steps": -1}, ValueError, "steps must be >= 0"),
        ({"momentum": 1.5}, ValueError, "momentum"),
        ({"betas": (0.9, 0.99)}, TypeError, "betas"),
    ],
)
def test_optimizer_run_validates_its_inputs(kwargs, error, match):
    args = {"landscape": BOWL, "x0": X0, "optimizer": SGD, "lr": 0.1, "steps": 10} | kwargs
    with pytest.raises(error, match=match):
        ls.optimizer_run(**args)


# ---------------------------------------------------------------- best_lr_run


def test_best_lr_run_returns_a_named_record_with_the_run():
    best = ls.best_lr_run(BOWL, X0, "momentum", [0.05, 0.2, 0.6], 300, 1e-6)
    lr, hit, run = best  # a named tuple unpacks
    assert (lr, hit, run) == (best.lr, best.steps_to_target, best.run)
    xs = ls.lr_sweep(BOWL, X0, "momentum", [0.05, 0.2, 0.6], 300)
    hits = ls.steps_to_target(BOWL.f(xs), float(BOWL.f(X0)), 1e-6)
    assert hit == hits[hits >= 0].min() and lr == [0.05, 0.2, 0.6][int(np.argmax(hits == hit))]
    assert isinstance(run, ls.Run) and run.xs.shape == (301, 2) and not run.diverged
    np.testing.assert_array_equal(run.fs, BOWL.f(run.xs))
    np.testing.assert_allclose(run.xs, ls.heavy_ball(BOWL, X0, lr, 0.9, 300).xs, atol=1e-12)


def test_best_lr_run_of_a_diverging_grid_is_a_run_cut_where_it_blew_up():
    # every rate above 2/L: no run reaches the target, every one blows up
    best = ls.best_lr_run(BOWL, X0, "GD", [2.5, 3.0], 400, 1e-6)
    assert best.steps_to_target == -1 and best.run.diverged
    assert np.all(np.isfinite(best.run.xs)) and 1 < len(best.run.xs) < 401
    reference = ls.gradient_descent(BOWL, X0, best.lr, 400)
    np.testing.assert_allclose(best.run.xs, reference.xs, rtol=1e-12)


# ---------------------------------------------------------------- mini-batch SGD


def _tiny_problem():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(40)
    H = X.T @ X / 40
    return {"X": X, "y": y, "batch_size": 4, "H": H, "w_star": np.linalg.solve(H, X.T @ y / 40)}


def test_minibatch_stream_holds_the_moments_of_the_drawn_batches():
    problem = _tiny_problem()
    A, b = ls.minibatch_stream(problem, 6, runs=2, seed=7)
    assert A.shape == (6, 2, 3, 3) and b.shape == (6, 2, 3)
    idx = np.random.default_rng(7).integers(0, 40, (6, 2, 4))
    Xb, yb = problem["X"][idx[3, 1]], problem["y"][idx[3, 1]]
    np.testing.assert_allclose(A[3, 1], Xb.T @ Xb / 4, rtol=1e-12)
    np.testing.assert_allclose(b[3, 1], Xb.T @ yb / 4, rtol=1e-12)


def test_sgd_runs_full_batch_limit_is_gradient_descent_on_the_quadratic():
    # a stream whose every batch is the whole data (A = H, b = H w*) makes SGD gradient descent
    # on f(w) − f* = ½ (w − w*)ᵀ H (w − w*)
    problem = _tiny_problem()
    H, w_star = problem["H"], problem["w_star"]
    steps = 25
    A = np.broadcast_to(H, (steps, 1, 3, 3))
    b = np.broadcast_to(H @ w_star, (steps, 1, 3))
    excess = ls.sgd_runs(problem, np.full(steps, 0.3), stream=(A, b))[:, 0]
    quad = ls.Quadratic(H, b=H @ w_star)
    gd = ls.gradient_descent(quad, np.zeros(3), 0.3, steps)
    np.testing.assert_allclose(excess, gd.fs[1:] - quad.f_min, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"problem": [1, 2]}, TypeError, "problem must be a mapping"),
        ({"problem": {"X": np.zeros((4, 2))}}, ValueError, r"lacks the keys \['y', 'batch_size'"),
        ({"lrs": np.full((3, 2), 0.1)}, ValueError, "lrs must be 1-dimensional"),
        ({"lrs": [0.1, -0.1]}, ValueError, "lrs must be finite learning rates >= 0"),
        ({"w0": np.zeros(2)}, ValueError, r"w0 must have shape \(3\)"),
        ({"stream": (np.zeros((5, 2, 2, 2)), np.zeros((5, 2, 2)))}, ValueError, "stream must be"),
        ({"runs": 0}, ValueError, "runs must be >= 1"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
    ],
)
def test_sgd_runs_validates_its_inputs(change, error, match):
    args = {"problem": _tiny_problem(), "lrs": np.full(5, 0.1)} | change
    with pytest.raises(error, match=match):
        ls.sgd_runs(**args)
