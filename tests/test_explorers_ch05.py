"""Chapter 05's race: ``dlnotes.landscapes.lr_sweep`` gives the same iterates as dlnotes.optim,
sound bookkeeping, and the explorer built on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.explorers import ch05
from dlnotes.optim import SGD, Adam, RMSprop, teaching

BOWL = ls.ill_conditioned_quadratic(30.0, theta=0.7)
X0 = np.array([-1.3, 2.2])


@pytest.mark.parametrize(
    ("method", "cls", "hyper"),
    [
        ("GD", SGD, {}),
        ("momentum", SGD, {"momentum": 0.9}),
        ("RMSprop", RMSprop, {}),
        ("Adam", Adam, {}),
    ],
)
def test_lr_sweep_matches_the_library_optimizers(method, cls, hyper):
    for lr in (0.07, 0.4):
        got = ls.lr_sweep(BOWL, X0, method, [lr], 40)[0]
        library = ls.optimizer_run(BOWL, X0, cls, lr, 40, **hyper).xs
        np.testing.assert_allclose(got, library, rtol=1e-12, atol=1e-13)


def test_lr_sweep_adagrad_matches_the_seed_formula():
    x, G = X0.copy(), np.zeros(2)
    xs = [x]
    for _ in range(30):
        x, G = teaching.adagrad_step(x, G, BOWL.grad(x), lr=0.3, eps=1e-8)
        xs.append(x)
    got = ls.lr_sweep(BOWL, X0, "AdaGrad", 0.3, 30)[0]
    np.testing.assert_allclose(got, np.array(xs), rtol=1e-12, atol=1e-13)


def test_lr_sweep_rows_are_independent_runs():
    lrs = np.array([0.05, 0.2, 0.9])
    together = ls.lr_sweep(BOWL, X0, "Adam", lrs, 25)
    assert together.shape == (3, 26, 2)
    for i, lr in enumerate(lrs):
        # Equal to rounding: a (3, 2) @ A product may use a different SIMD kernel from a (1, 2) one.
        alone = ls.lr_sweep(BOWL, X0, "Adam", [lr], 25)[0]
        np.testing.assert_allclose(together[i], alone, rtol=1e-13, atol=1e-14)


def test_lr_sweep_gd_golden_values_on_a_diagonal_bowl():
    """On diag(1, 0.1), GD multiplies the coordinates by (1 - lr) and (1 - 0.1 lr) per step."""
    A = np.diag([1.0, 0.1])
    xs = ls.lr_sweep(ls.Quadratic(A), [2.0, -3.0], "GD", [0.5], 4)[0]
    t = np.arange(5)
    np.testing.assert_allclose(xs[:, 0], 2.0 * 0.5**t, rtol=1e-14)
    np.testing.assert_allclose(xs[:, 1], -3.0 * 0.95**t, rtol=1e-14)


def test_a_diverging_run_becomes_nan_after_it_blows_up():
    xs = ls.lr_sweep(
        ls.Quadratic(np.diag([1.0, 0.1])), [1.0, 1.0], "GD", [0.5, 3.0], 60, blowup=1e3
    )
    assert np.all(np.isfinite(xs[0]))
    norms = np.linalg.norm(xs[1], axis=1)
    first_bad = int(np.argmax(~(norms <= 1e3)))
    assert 0 < first_bad < 60  # |1 - 3| = 2 per step: 1e3 is passed after about 10 steps
    assert np.all(np.isnan(xs[1, first_bad:]))
    assert np.all(np.isfinite(xs[1, :first_bad]))


def test_bowl_values_and_steps_to_target():
    A = np.diag([2.0, 0.5])
    xs = np.array([[[1.0, 2.0], [0.5, 1.0], [0.1, 0.1]]])
    fs = ls.Quadratic(A).f(xs)
    np.testing.assert_allclose(fs, [[0.5 * (2 + 2), 0.5 * (0.5 + 0.5), 0.5 * (0.02 + 0.005)]])
    assert ls.steps_to_target(fs, 2.0, 0.3)[0] == 1
    assert ls.steps_to_target(fs, 2.0, 1e-3)[0] == -1


def test_best_run_picks_the_fastest_learning_rate():
    bowl = ls.ill_conditioned_quadratic(10, theta=0.0)
    x0 = np.array(ls.SWEEP_X0)
    lr, hit, run = ls.best_lr_run(bowl, x0, "GD", steps=200)
    xs = ls.lr_sweep(bowl, x0, "GD", ls.SWEEP_LRS["GD"], 200)
    fs = bowl.f(xs)
    hits = ls.steps_to_target(fs, float(fs[0, 0]), ch05.TARGET)
    assert hit == hits[hits >= 0].min()
    assert lr in ls.SWEEP_LRS["GD"]
    assert isinstance(run, ls.Run) and not run.diverged
    assert run.xs.shape == (201, 2) and run.steps == 200
    i = list(ls.SWEEP_LRS["GD"]).index(lr)
    np.testing.assert_array_equal(run.xs, xs[i])
    np.testing.assert_array_equal(run.fs, bowl.f(xs[i]))


def test_gd_and_momentum_do_not_notice_a_rotation_but_rmsprop_does():
    b0 = ls.ill_conditioned_quadratic(100, theta=0.0)
    b45 = ls.ill_conditioned_quadratic(100, theta=math.radians(45))
    s0, s45 = np.array(ls.SWEEP_X0), ls.rotation(math.radians(45)) @ np.array(ls.SWEEP_X0)
    R = ls.rotation(math.pi / 4)
    np.testing.assert_allclose(s45, R @ s0)
    for method in ("GD", "momentum"):
        a = ls.lr_sweep(b0, s0, method, [0.3], 50)[0]
        b = ls.lr_sweep(b45, s45, method, [0.3], 50)[0]
        np.testing.assert_allclose(a @ R.T, b, atol=1e-12)
    aligned = ls.best_lr_run(b0, s0, "RMSprop").steps_to_target
    rotated = ls.best_lr_run(b45, s45, "RMSprop").steps_to_target
    assert 0 < aligned < 10 and rotated > 20 * aligned


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "sgd"}, ValueError, "method must be one of"),
        ({"bowl": np.eye(2)}, TypeError, "bowl must be a Quadratic"),
        ({"lrs": [-0.1]}, ValueError, "lrs must be"),
        ({"x0": np.zeros(3)}, ValueError, "x0 must have shape"),
        ({"steps": 2.5}, TypeError, "steps must be an integer"),
        ({"betas": (0.9, 1.0)}, ValueError, "betas"),
    ],
)
def test_lr_sweep_validates_its_inputs(kwargs, error, match):
    args = {
        "bowl": ls.Quadratic(np.eye(2)),
        "x0": np.ones(2),
        "method": "GD",
        "lrs": [0.1],
        "steps": 3,
    }
    args.update(kwargs)
    with pytest.raises(error, match=match):
        ls.lr_sweep(args.pop("bowl"), args.pop("x0"), args.pop("method"), args.pop("lrs"), **args)


@pytest.mark.slow  # imports matplotlib and draws a figure: about 3 s
def test_optimizer_race_explorer_updates_and_reports():
    explorer = ch05.optimizer_race(steps=120)
    fig, state = explorer.setup()
    status = explorer.redraw(state, theta=45, kappa=10)
    for name in ch05.METHODS:
        assert name in status
    assert status.startswith("first below 1e-6 at step (↑: climbs back above later):")
    xdata, _ = state["paths"]["GD"].get_data()
    assert len(xdata) == 121
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.slow
def test_optimizer_race_static_faces_stay_small():
    explorer = ch05.optimizer_race()
    sizes = [len(explorer.static_html(sweep)) for sweep in ("theta", "kappa")]
    assert sum(sizes) < 2_500_000, sizes


def test_the_race_marks_a_run_that_climbs_back_above_the_target():
    """The default frame: RMSProp first dips below 1e-6 at step 7 and then climbs back above
    f(x0) itself; momentum and Adam oscillate back above the target too. Each is marked, and
    gradient descent and AdaGrad, which stay below, are not."""
    frame = ch05._race_frame(0, 100, ch05.STEPS)
    parts = dict(p.split("\u00a0", 1) for p in frame["status"].split("later): ", 1)[1].split(" · "))
    assert parts["RMSprop"].startswith("7\u00a0") and parts["RMSprop"].endswith("↑")
    assert frame["curves"]["RMSprop"][7:].max() > 1.0  # above where it started
    assert parts["momentum"].endswith("↑") and parts["Adam"].endswith("↑")
    assert not parts["GD"].endswith("↑") and not parts["AdaGrad"].endswith("↑")
