"""Chapter 03: the explorers' numerics (noisy series, line fit, mini-batch paths), the explorers
themselves, and the exercise reference solutions against hand-derived values and the library."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes import averages, data
from dlnotes.exercises import ch03 as ex
from dlnotes.explorers import ch03

# --------------------------------------------------------------------------------------------
# the exercise reference solutions
# --------------------------------------------------------------------------------------------


def test_ewa_hand_values():
    # v1 = 0.5*2 = 1, v2 = 0.5*1 + 0.5*4 = 2.5; corrected: 1/0.5 = 2, 2.5/0.75 = 10/3
    series = np.array([2.0, 4.0])
    np.testing.assert_allclose(ex.ewa(series, 0.5, False), [1.0, 2.5], rtol=1e-15)
    np.testing.assert_allclose(ex.ewa(series, 0.5, True), [2.0, 10 / 3], rtol=1e-15)


def test_ewa_matches_the_library_and_leaves_its_input_alone():
    rng = np.random.default_rng(5)
    series = rng.normal(3.0, 1.0, 57)
    before = series.copy()
    for beta in (0.0, 0.3, 0.9, 0.99):
        for flag in (False, True):
            got = ex.ewa(series, beta, flag)
            assert got.dtype == np.float64
            np.testing.assert_allclose(got, averages.ewa(series, beta, flag), rtol=1e-13)
    np.testing.assert_array_equal(series, before)


def test_bias_corrected_ewa_of_a_constant_is_exact():
    np.testing.assert_allclose(ex.ewa(np.full(30, -1.7), 0.93, True), -1.7, rtol=1e-13)


@pytest.mark.parametrize(("n", "batch_size"), [(10, 4), (12, 3), (7, 10), (23, 5)])
def test_minibatches_is_one_shuffled_epoch(n, batch_size):
    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, 3))
    X[:, 0] = np.arange(n)  # column 0 numbers the examples
    y = rng.integers(0, 5, n)
    X0, y0 = X.copy(), y.copy()
    batches = ex.minibatches(X, y, batch_size, seed=11)
    assert isinstance(batches, tuple) and len(batches) == math.ceil(n / batch_size)
    sizes = [len(yb) for _, yb in batches]
    assert sizes[:-1] == [batch_size] * (len(batches) - 1)
    assert sizes[-1] == n - batch_size * (len(batches) - 1)
    ids = np.concatenate([Xb[:, 0] for Xb, _ in batches]).astype(int)
    assert sorted(ids) == list(range(n))  # every example exactly once
    assert not np.array_equal(ids, np.arange(n)) or n <= batch_size  # shuffled
    for Xb, yb in batches:  # rows keep their labels
        np.testing.assert_array_equal(yb, y0[Xb[:, 0].astype(int)])
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    # the same order as the library's iterator with the same seed
    library = tuple(data.minibatches(X, y, batch_size, seed=11))
    for (a, b), (c, d) in zip(batches, library):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_minibatch_mistakes_really_differ():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 3, 10)
    good = ex.minibatches(X, y, 4, 3)
    assert len(ex._mb_drop_last(X, y, 4, 3)) == 2 and len(good) == 3
    two = ex._mb_two_permutations(X, y, 4, 3)
    assert np.array_equal(np.concatenate([b[0] for b in two]), np.concatenate([b[0] for b in good]))
    assert not np.array_equal(
        np.concatenate([b[1] for b in two]), np.concatenate([b[1] for b in good])
    )
    same = ex._mb_no_shuffle(X, y, 4, 3)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in same]), X)


# --------------------------------------------------------------------------------------------
# the explorers' numerics
# --------------------------------------------------------------------------------------------


def test_noisy_series_is_seeded_and_follows_its_trend():
    x, trend = ch03.noisy_series(400, seed=0)
    x2, _ = ch03.noisy_series(400, seed=0)
    x3, _ = ch03.noisy_series(400, seed=1)
    assert x.shape == trend.shape == (400,)
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(x, x3)
    t = np.arange(1, 401)
    np.testing.assert_allclose(trend, 0.4 + 1.6 * np.exp(-t / 70), rtol=1e-15)
    assert abs(np.mean(x / trend - 1)) < 0.05  # multiplicative noise of mean zero
    assert abs(np.std(x / trend - 1) - 0.35) < 0.04


def test_line_data_is_a_noisy_line():
    x, y = ch03.line_data(2000, seed=3)
    assert x.shape == y.shape == (2000,)
    assert x.min() >= -1 and x.max() <= 2
    slope, intercept = np.polyfit(x, y, 1)
    assert abs(slope - 1.5) < 0.05 and abs(intercept + 1.0) < 0.05


def _line_problem(n: int = 64, seed: int = 0):
    x, y = ch03.line_data(n, seed)
    A = np.stack([x, np.ones(n)], axis=1)
    return A, y


def test_full_batch_path_is_gradient_descent_on_the_quadratic():
    A, y = _line_problem()
    n, lr = len(y), 0.3
    path, seen, excess = ch03.minibatch_path(n, lr, epochs=5)
    assert path.shape == (6, 2) and np.allclose(seen, np.arange(6))
    p = np.array([-1.0, 2.0])
    for k in range(5):  # p <- p - lr * grad f(p), grad f = A^T (A p - y) / n
        p = p - lr * A.T @ (A @ p - y) / n
        np.testing.assert_allclose(path[k + 1], p, rtol=1e-12)
    f = 0.5 * np.mean((path @ A.T - y) ** 2, axis=1)
    p_star = np.linalg.lstsq(A, y, rcond=None)[0]
    f_star = 0.5 * np.mean((A @ p_star - y) ** 2)
    np.testing.assert_allclose(excess, f - f_star, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("batch_size", "steps"), [(1, 128), (5, 26), (16, 8), (64, 2)])
def test_minibatch_path_counts_steps_and_examples(batch_size, steps):
    path, seen, excess = ch03.minibatch_path(batch_size, 0.05, epochs=2)
    assert len(path) == steps + 1 and len(seen) == steps + 1
    assert seen[-1] == pytest.approx(2.0)
    assert np.all(np.diff(seen) > 0) and np.all(excess >= 0)
    np.testing.assert_array_equal(path[0], [-1.0, 2.0])


def test_minibatch_path_stops_when_it_diverges():
    path, _, excess = ch03.minibatch_path(64, 5.0, epochs=20)  # lr far above 2/L = 4/3
    assert len(path) < 21 and np.all(np.abs(path) < 1e3) and excess[-1] > excess[0]


# --------------------------------------------------------------------------------------------
# the explorers
# --------------------------------------------------------------------------------------------


def test_ewa_explorer_draws_the_library_average_and_its_weights():
    explorer = ch03.ewa_noisy_series()
    fig, state = explorer.setup()
    series, _ = ch03.noisy_series()
    status = explorer.redraw(state, beta=0.9, bias_correction="on")
    np.testing.assert_allclose(state["avg"].get_ydata(), averages.ewa(series, 0.9, True))
    w = np.asarray(state["weights"].get_ydata())
    np.testing.assert_allclose(w[:3], 0.1 * 0.9 ** np.arange(3) / (1 - 0.9**400), rtol=1e-12)
    assert "window 1/(1−β) = 10" in state["note"].get_text()
    assert "0.35" in state["note"].get_text()  # 0.9**10 = 0.349
    assert status.startswith("mean |v_t − trend|")
    explorer.redraw(state, beta=0.98, bias_correction="off")
    np.testing.assert_allclose(state["avg"].get_ydata(), averages.ewa(series, 0.98, False))
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_line_fit_explorer_reports_steps():
    explorer = ch03.minibatch_line_fit()
    fig, state = explorer.setup()
    assert explorer.redraw(state, batch_size=8, lr=0.4).startswith("last quarter")
    assert "32 steps" in state["ax"].get_title()
    assert explorer.redraw(state, batch_size=64, lr=0.6).startswith("last quarter")
    assert len(state["path"].get_xdata()) == 5
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_explorers_are_registered():
    from dlnotes.explorers import all_explorers

    found = all_explorers()
    assert "ch03.ewa_noisy_series" in found and "ch03.minibatch_line_fit" in found


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0, "lr": 0.1}, ValueError, "batch_size must be >= 1, got 0"),
        ({"batch_size": 2.5, "lr": 0.1}, TypeError, "batch_size must be an integer"),
        ({"batch_size": 4, "lr": -0.1}, ValueError, "lr must be > 0.0"),
        ({"batch_size": 4, "lr": 0.1, "epochs": 0}, ValueError, "epochs must be >= 1"),
        ({"batch_size": 4, "lr": 0.1, "n": 1}, ValueError, "n must be >= 2"),
    ],
)
def test_minibatch_path_validates_its_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        ch03.minibatch_path(**kwargs)


def test_noisy_series_validates_n():
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        ch03.noisy_series(0)
