"""dlnotes.landscapes: gradients and Hessians against central finite differences (float64)."""

import math

import numpy as np
import pytest

from dlnotes import landscapes as ls


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
