"""Chapter 01: the two-feature least-squares problem, the step counter, the explorer, and the
reference solutions of the chapter's exercises against the library."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.data import Standardizer
from dlnotes.exercises import ch01 as ex
from dlnotes.explorers import ch01
from dlnotes.landscapes import Quadratic, gradient_descent


@pytest.mark.parametrize(("scale", "offset"), [(4.0, 1.0), (0.3, 2.5), (1.0, 0.0)])
def test_raw_hessian_is_covariance_plus_outer_product_of_means(scale, offset):
    quad, X, y = ch01.two_feature_problem(scale, offset)
    mu = X.mean(axis=0)
    cov = np.cov(X.T, bias=True)
    assert np.allclose(quad.A, cov + np.outer(mu, mu), rtol=1e-12, atol=1e-12)
    w = np.array([0.7, -1.3])
    assert math.isclose(
        float(quad.f(w)), float(np.sum((X @ w - y) ** 2) / (2 * len(y))), rel_tol=1e-12
    )
    assert np.allclose(quad.grad(w), X.T @ (X @ w - y) / len(y))


def test_standardized_hessian_is_the_correlation_matrix_whatever_the_units():
    base, X, _ = ch01.two_feature_problem(standardize=True)
    r = float(np.corrcoef(X.T)[0, 1])
    assert 0.45 < r < 0.6
    assert np.allclose(base.A, [[1.0, r], [r, 1.0]], atol=1e-12)
    assert math.isclose(base.kappa, (1 + abs(r)) / (1 - abs(r)), rel_tol=1e-10)
    for scale, offset in [(8.0, 3.0), (0.125, 0.5), (2.0, -1.0)]:
        quad, _, _ = ch01.two_feature_problem(scale, offset, standardize=True)
        assert np.allclose(quad.A, base.A) and np.allclose(quad.b, base.b)


def test_units_and_means_worsen_the_condition_number():
    k = {sm: ch01.two_feature_problem(*sm)[0].kappa for sm in [(1, 0), (4, 0), (1, 3), (8, 3)]}
    assert k[1, 0] < 4 < k[4, 0] < k[1, 3] < k[8, 3]


@pytest.mark.parametrize(
    ("scale", "offset", "rel_lr"),
    [(4.0, 1.0, 1.0), (1.0, 0.0, 1.0), (0.5, 2.0, 1.5), (2.0, 0.0, 0.4)],
)
def test_gd_steps_to_target_matches_running_gradient_descent(scale, offset, rel_lr):
    quad, _, _ = ch01.two_feature_problem(scale, offset)
    lr = rel_lr / quad.L
    steps = ls.gd_steps_to_target(quad, lr)
    run = gradient_descent(quad, np.zeros(2), lr, steps)
    gaps = (run.fs - quad.f_min) / (run.fs[0] - quad.f_min)
    assert gaps[-1] <= 1e-6 < gaps[-2]


def test_gd_steps_to_target_reports_unstable_and_too_slow_runs():
    quad, _, _ = ch01.two_feature_problem(4.0, 1.0)
    assert ls.gd_steps_to_target(quad, 2.0 / quad.L, max_steps=5000) == 5000
    assert ls.gd_steps_to_target(quad, 1e-6 / quad.L, max_steps=100) == 100


def test_inputs_are_validated():
    with pytest.raises(ValueError, match="scale"):
        ch01.two_feature_problem(0.0)
    with pytest.raises(ValueError, match="r must be"):
        ch01.two_feature_problem(r=1.0)
    with pytest.raises(ValueError, match="positive-definite"):
        ls.gd_steps_to_target(Quadratic(np.diag([1.0, -1.0])), 0.1)
    quad, _, _ = ch01.two_feature_problem()
    with pytest.raises(ValueError, match="lr"):
        ls.gd_steps_to_target(quad, 0.0)


def test_explorer_draws_every_static_frame_and_reports_kappa():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    explorer = ch01.normalization_gd()
    assert "normalization_gd" in ch01.EXPLORERS
    fig, state = explorer.setup()
    for sweep in ("scale", "offset", "inputs"):
        frames = explorer.frames(sweep)
        assert len(frames) <= 25
        for values in frames:
            status = explorer.redraw(state, **values)
            quad, _, _ = ch01.two_feature_problem(
                values["scale"], values["offset"], standardize=values["inputs"] == "standardized"
            )
            assert f"κ = {quad.kappa:.3g}" in status
    plt.close(fig)


@pytest.mark.slow
def test_explorer_static_pages_stay_small():
    for sweep in ("scale", "offset"):
        assert len(ch01.normalization_gd().static_html(sweep)) < 1_000_000


def test_reference_standardize_agrees_with_the_library_standardizer():
    rng = np.random.default_rng(5)
    X_train = rng.normal([3.0, -40.0, 0.2], [0.5, 12.0, 0.01], size=(50, 3))
    X_train[:, 2] = 0.25  # a constant feature: centred only
    X_other = rng.normal([3.5, -30.0, 0.3], [0.5, 12.0, 0.01], size=(7, 3))
    a, b = ex.standardize(X_train, X_other)
    scaler = Standardizer().fit(X_train)
    assert np.allclose(a, scaler.transform(X_train)) and np.allclose(b, scaler.transform(X_other))
    assert np.allclose(a.mean(axis=0), 0.0) and np.allclose(a[:, :2].std(axis=0), 1.0)


def test_reference_dev_set_size_is_the_smallest_size_meeting_the_target():
    for p, se in [(0.9, 0.0047), (0.75, 0.013), (0.983, 0.0021)]:
        n = ex.dev_set_size(p, se)
        assert math.sqrt(p * (1 - p) / n) <= se < math.sqrt(p * (1 - p) / (n - 1))


def test_reference_diagnose_on_the_classic_table():
    table = [(0.01, 0.11), (0.15, 0.16), (0.15, 0.30), (0.005, 0.01)]
    assert [ex.diagnose(t, d, 0.0) for t, d in table] == [
        "high variance",
        "high bias",
        "high bias and high variance",
        "low bias and low variance",
    ]
    assert ex.diagnose(0.15, 0.16, 0.14) == "low bias and low variance"
    assert ex.diagnose(0.15, 0.16, 0.14, tol=0.005) == "high bias and high variance"
