"""dlnotes.bayesopt: the Gaussian-process posterior against its closed form, expected
improvement against a Monte Carlo estimate, and the search on a known minimum."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.bayesopt import (
    bayesian_optimization,
    expected_improvement,
    gp_posterior,
    rbf_kernel,
)


def test_the_kernel_is_one_on_the_diagonal_and_decays_with_distance():
    K = rbf_kernel(np.array([0.0, 1.0]), np.array([0.0, 1.0, 3.0]), 1.0)
    assert K.shape == (2, 3)
    assert K[0, 0] == K[1, 1] == 1.0
    assert K[0, 1] == pytest.approx(np.exp(-0.5))
    assert K[0, 2] == pytest.approx(np.exp(-4.5))


def test_posterior_matches_the_textbook_formula():
    """μ = ȳ + σ_y k*ᵀ(K + σ²I)⁻¹ (y − ȳ)/σ_y and s² = σ_y² (1 − k*ᵀ(K + σ²I)⁻¹ k*),
    written with an explicit inverse in float64 on non-trivial inputs."""
    rng = np.random.default_rng(3)
    x, y, xq = rng.uniform(-2, 2, 5), rng.normal(size=5), np.linspace(-3, 3, 11)
    ell, noise = 0.7, 1e-3
    K = np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * ell**2)) + (noise + 1e-10) * np.eye(5)
    ks = np.exp(-((x[:, None] - xq[None, :]) ** 2) / (2 * ell**2))
    m, sd = y.mean(), y.std()
    inv = np.linalg.inv(K)
    mu_ref = m + sd * ks.T @ inv @ ((y - m) / sd)
    s_ref = sd * np.sqrt(1 - np.einsum("iq,ij,jq->q", ks, inv, ks))
    mu, s = gp_posterior(x, y, xq, length_scale=ell, noise=noise)
    np.testing.assert_allclose(mu, mu_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s, s_ref, rtol=1e-8, atol=1e-10)


def test_posterior_interpolates_the_trials_and_reverts_to_the_prior_far_away():
    x, y = np.array([-1.0, 0.0, 2.0]), np.array([3.0, 1.0, 2.0])
    mu, s = gp_posterior(x, y, x, length_scale=0.5)
    np.testing.assert_allclose(mu, y, atol=1e-4)
    assert np.all(s < 1e-2)
    mu_far, s_far = gp_posterior(x, y, np.array([50.0]), length_scale=0.5)
    assert mu_far[0] == pytest.approx(y.mean())
    assert s_far[0] == pytest.approx(y.std())


def test_one_trial_or_equal_scores_give_a_flat_mean():
    mu, s = gp_posterior(np.array([0.0]), np.array([2.0]), np.array([0.0, 1.0]), length_scale=1)
    np.testing.assert_allclose(mu, [2.0, 2.0])
    assert s[1] == pytest.approx(np.sqrt(1 - np.exp(-1.0)))


@pytest.mark.parametrize("mu, s, best", [(0.3, 0.2, 0.25), (1.0, 0.5, 0.0), (-0.4, 1.5, 0.1)])
def test_expected_improvement_matches_monte_carlo(mu, s, best):
    draws = np.random.default_rng(0).normal(mu, s, 2_000_000)
    gain = np.maximum(best - draws, 0.0)
    ei = expected_improvement(np.array([mu]), np.array([s]), best)[0]
    assert ei == pytest.approx(gain.mean(), abs=4 * gain.std() / np.sqrt(draws.size))


def test_expected_improvement_without_uncertainty_is_the_plain_gain():
    ei = expected_improvement(np.array([0.2, 0.8]), np.zeros(2), 0.5)
    np.testing.assert_allclose(ei, [0.3, 0.0])


def test_bad_inputs_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="same length"):
        gp_posterior(np.zeros(2), np.zeros(3), np.zeros(1), length_scale=1.0)
    with pytest.raises(ValueError, match="x_query"):
        gp_posterior(np.zeros(2), np.zeros(2), np.array([np.nan]), length_scale=1.0)
    with pytest.raises(ValueError, match="length_scale"):
        rbf_kernel(np.zeros(1), np.zeros(1), 0.0)
    with pytest.raises(ValueError, match="≥ 0"):
        expected_improvement(np.zeros(1), -np.ones(1), 0.0)
    with pytest.raises(ValueError, match="n_trials"):
        bayesian_optimization(abs, np.arange(3.0), n_trials=4)
    with pytest.raises(ValueError, match="finite"):
        bayesian_optimization(lambda x: np.nan, np.arange(3.0), n_trials=2, n_init=1)


def test_the_search_finds_a_known_minimum_without_repeating_a_trial():
    candidates = np.linspace(-4, 4, 81)

    def f(x):
        return (x - 1.3) ** 2 + 0.2 * np.sin(3 * x)

    run = bayesian_optimization(f, candidates, n_trials=12, n_init=3, length_scale=1.0, seed=4)
    values = f(candidates)
    assert len(run.x) == 12 and len(set(run.x)) == 12
    assert run.best[1] <= values.min() + 0.02
    again = bayesian_optimization(f, candidates, n_trials=12, n_init=3, length_scale=1.0, seed=4)
    assert again.x == run.x  # the seed decides the random starts; the rest is deterministic
