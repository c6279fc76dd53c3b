"""Chapter 09: the exercise reference solutions against hand-derived values and the library
(losses.l2_penalty, optim.SGD, train.EarlyStopping), and the ridge explorer's numerics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes.exercises import ch09 as ex
from dlnotes.explorers import all_explorers
from dlnotes.explorers import ch09 as explorers
from dlnotes.losses import l2_penalty
from dlnotes.optim import SGD
from dlnotes.train import EarlyStopping, History

# --------------------------------------------------------------------------------------------
# l2_penalty_and_grad
# --------------------------------------------------------------------------------------------


def test_l2_penalty_hand_values():
    # W = [[1, -2], [3, 0.5]]: ||W||^2 = 1 + 4 + 9 + 0.25 = 14.25; lam = 0.2 -> 0.1 * 14.25
    W = np.array([[1.0, -2.0], [3.0, 0.5]])
    b = np.array([0.7, -1.3])
    value, grads = ex.l2_penalty_and_grad([W, b], 0.2)
    assert math.isclose(value, 1.425, rel_tol=1e-15)
    np.testing.assert_allclose(grads[0], 0.2 * W, rtol=1e-15)
    np.testing.assert_array_equal(grads[1], np.zeros(2))
    assert len(grads) == 2


def test_l2_penalty_matches_the_library_and_finite_differences():
    rng = np.random.default_rng(3)
    params = [rng.standard_normal((5, 4)), rng.standard_normal(4), rng.standard_normal((4, 3))]
    params.append(rng.standard_normal(3))
    before = [p.copy() for p in params]
    lam = 0.37
    value, grads = ex.l2_penalty_and_grad(params, lam)
    lib_value, lib_grads = l2_penalty([params[0], params[2]], lam)
    assert math.isclose(value, lib_value, rel_tol=1e-13)
    np.testing.assert_allclose(grads[0], lib_grads[0], rtol=1e-14)
    np.testing.assert_allclose(grads[2], lib_grads[1], rtol=1e-14)
    # central differences on one weight entry and one bias entry
    h = 1e-6
    for k, idx in [(0, (2, 1)), (1, (3,)), (2, (0, 2))]:
        plus = [p.copy() for p in params]
        minus = [p.copy() for p in params]
        plus[k][idx] += h
        minus[k][idx] -= h
        numeric = (ex.l2_penalty_and_grad(plus, lam)[0] - ex.l2_penalty_and_grad(minus, lam)[0]) / (
            2 * h
        )
        assert math.isclose(numeric, grads[k][idx], rel_tol=1e-6, abs_tol=1e-9)
    for p, q in zip(params, before):
        np.testing.assert_array_equal(p, q)


def test_l2_penalty_keeps_float32():
    W = np.array([[0.5, -1.5], [2.0, 1.0]], dtype=np.float32)
    _, grads = ex.l2_penalty_and_grad([W, np.array([0.1, 0.2], dtype=np.float32)], 0.5)
    assert grads[0].dtype == np.float32 and grads[1].dtype == np.float32


# --------------------------------------------------------------------------------------------
# sgd_weight_decay_step
# --------------------------------------------------------------------------------------------


def test_weight_decay_step_hand_value():
    # w = 2, g = 0.5, lr = 0.1, wd = 0.3: (1 - 0.03) * 2 - 0.05 = 1.89
    out = ex.sgd_weight_decay_step(np.array([2.0]), np.array([0.5]), 0.1, 0.3)
    np.testing.assert_allclose(out, [1.89], rtol=1e-15)


def test_weight_decay_step_equals_the_library_sgd():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((4, 3))
    g = rng.standard_normal((4, 3))
    x = w.copy()
    SGD(x, lr=0.07, weight_decay=0.4).step(g)
    np.testing.assert_allclose(ex.sgd_weight_decay_step(w, g, 0.07, 0.4), x, rtol=1e-14)


# --------------------------------------------------------------------------------------------
# early_stopping_epoch
# --------------------------------------------------------------------------------------------


def _library_stop(losses, patience):
    """Run dlnotes.train.EarlyStopping over a list of dev losses, as fit would."""
    es = EarlyStopping("dev_loss", patience=patience, restore_best=False)
    history = History()
    es.on_train_begin(history, None)
    stop = len(losses)
    for epoch, loss in enumerate(losses, start=1):
        history.dev_loss.append(float(loss))
        if es.on_epoch_end(epoch, history, None):
            stop = epoch
            break
    return stop, es.best_epoch


def test_early_stopping_hand_values():
    # best at epoch 2; epochs 3, 4, 5 do not improve -> stop after 5 with patience 3
    assert ex.early_stopping_epoch(np.array([0.9, 0.7, 0.72, 0.71, 0.75, 0.8]), 3) == (5, 2)
    # never three bad epochs in a row: runs to the end, best is the last improvement
    assert ex.early_stopping_epoch(np.array([1.0, 0.8, 0.85, 0.7, 0.75]), 3) == (5, 4)
    # a tie is not an improvement
    assert ex.early_stopping_epoch(np.array([0.5, 0.5, 0.5]), 2) == (3, 1)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("patience", [1, 2, 4])
def test_early_stopping_matches_the_library_callback(seed, patience):
    rng = np.random.default_rng(seed)
    epochs = np.arange(1, 31)
    losses = 1 / epochs + 0.01 * epochs + rng.normal(0, 0.03, 30)
    losses = np.round(losses, 2)  # makes ties happen
    assert ex.early_stopping_epoch(losses, patience) == _library_stop(losses, patience)


def test_every_exercise_case_agrees_with_the_library():
    from dlnotes.exercises import get

    exercise = get("ch09_early_stopping_epoch")
    for suite in ("visible", "hidden"):
        for case in exercise.cases(suite):
            assert ex.early_stopping_epoch(*case.args) == _library_stop(*case.args), case.label


# --------------------------------------------------------------------------------------------
# the explorer's ridge regression
# --------------------------------------------------------------------------------------------


def test_ridge_fit_solves_the_normal_equations():
    problem = explorers.ridge_problem()
    Phi = explorers.features(problem["x"][:30])
    y = problem["y"][:30]
    lam = 0.05
    w = explorers.ridge_fit(Phi, y, lam)
    D = np.eye(Phi.shape[1])
    D[0, 0] = 0
    # gradient of (1/2N)||Phi w - y||^2 + (lam/2) w^T D w vanishes
    grad = Phi.T @ (Phi @ w - y) / len(y) + lam * D @ w
    np.testing.assert_allclose(grad, 0.0, atol=1e-10)


def test_ridge_fit_limits():
    problem = explorers.ridge_problem()
    Phi = explorers.features(problem["x"][:50])
    y = problem["y"][:50]
    # huge lambda: every penalised weight -> 0, the unpenalised constant -> mean(y)
    w = explorers.ridge_fit(Phi, y, 1e10)
    assert np.abs(w[1:]).max() < 1e-8
    assert math.isclose(w[0], y.mean(), rel_tol=1e-8)
    # lambda = 0 with more points than features: ordinary least squares
    w_ols, *_ = np.linalg.lstsq(Phi, y, rcond=None)
    np.testing.assert_allclose(explorers.ridge_fit(Phi, y, 0.0), w_ols, rtol=1e-8, atol=1e-10)


def test_ridge_errors_train_error_grows_with_lambda():
    problem = explorers.ridge_problem()
    train, dev = explorers.ridge_errors(problem, 20)
    assert train.shape == dev.shape == explorers.LAMBDAS.shape
    assert np.all(np.diff(train) >= -1e-12)
    assert dev.min() < dev[0] and dev.min() < dev[-1]  # a best lambda strictly inside the grid


def test_ridge_inputs_are_validated():
    problem = explorers.ridge_problem()
    with pytest.raises(ValueError, match="lam"):
        explorers.ridge_fit(explorers.features(problem["x"][:5]), problem["y"][:5], -1.0)
    with pytest.raises(ValueError, match="Phi"):
        explorers.ridge_fit(np.ones(5), problem["y"][:5], 0.1)
    with pytest.raises(ValueError, match="n"):
        explorers.ridge_errors(problem, 10_000)


def test_explorer_is_registered_and_reports_the_gap():
    assert "ch09.ridge_regression" in all_explorers()
    explorer = explorers.ridge_regression()
    fig, state = explorer.setup()
    status = explorer.redraw(state, lam=1e-3, n=16)
    problem = explorers.ridge_problem()
    x, y = problem["x"][:16], problem["y"][:16]
    w = explorers.ridge_fit(explorers.features(x), y, 1e-3)
    train = np.mean((explorers.features(x) @ w - y) ** 2)
    assert f"train MSE = {train:.3f}" in status
    np.testing.assert_allclose(state["points"].get_xdata(), x)
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.slow
def test_explorer_static_face_is_small():
    explorer = explorers.ridge_regression()
    for sweep in ("lam", "n"):
        html = explorer.static_html(sweep)
        assert "data:image/png" in html
        assert len(html) < 1_500_000
