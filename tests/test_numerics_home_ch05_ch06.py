"""Chapters 05 and 06: one home for the race's numerics and the noisy problem.

Chapter 05's learning-rate grids, its start and the best-rate runner live in
``dlnotes.landscapes`` (``SWEEP_LRS``, ``SWEEP_X0``, ``best_lr_run``), its rotated bowl is
``ill_conditioned_quadratic(κ, theta=...)`` and chapter 06's problem is
``landscapes.noisy_regression``; the explorers only import them, with the same numbers as
before. Also: the race's legend sits outside its loss axes (a learner found it covering
RMSProp's bumps at θ = 50°, κ = 150), and chapter 05's saddle figure says what its panels show
and explains RMSProp's late jump.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.explorers import ch05, ch06
from dlnotes.optim import teaching

ROOT = Path(__file__).resolve().parent.parent

#: The grids and the start chapter 05's explorer defined before they moved (the golden values).
OLD_GRIDS = {
    "GD": np.geomspace(0.5, 1.99, 8),
    "momentum": np.geomspace(0.05, 2.0, 9),
    "AdaGrad": np.geomspace(0.1, 10.0, 9),
    "RMSprop": np.geomspace(0.01, 1.0, 9),
    "Adam": np.geomspace(0.03, 3.0, 9),
}
OLD_X0 = (-1.0, 3.0)


def _cells(name: str) -> list[dict]:
    return json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]


def _code(name: str) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(name) if c["cell_type"] == "code")


# ------------------------------------------------------------------ chapter 05: the race


def test_the_race_grids_and_start_live_in_landscapes_with_the_old_values():
    assert set(ls.SWEEP_LRS) == set(ls.SWEEP_METHODS)
    for method, grid in OLD_GRIDS.items():
        np.testing.assert_array_equal(ls.SWEEP_LRS[method], grid)
    assert ls.SWEEP_X0 == OLD_X0


def test_the_race_grids_cannot_be_changed_by_a_caller():
    with pytest.raises(TypeError):
        ls.SWEEP_LRS["GD"] = np.array([0.1])  # type: ignore[index]
    with pytest.raises(ValueError, match="read-only"):
        ls.SWEEP_LRS["GD"][0] = 0.1


def test_best_lr_run_defaults_to_the_chapter_grid_400_steps_and_1e6():
    bowl = ls.ill_conditioned_quadratic(100.0, theta=math.radians(30))
    x0 = ls.rotation(math.radians(30)) @ np.array(ls.SWEEP_X0)
    for method in ls.SWEEP_METHODS:
        default = ls.best_lr_run(bowl, x0, method)
        explicit = ls.best_lr_run(bowl, x0, method, OLD_GRIDS[method], 400, 1e-6)
        assert default.lr == explicit.lr and default.steps_to_target == explicit.steps_to_target
        np.testing.assert_array_equal(default.run.xs, explicit.run.xs)


def test_best_lr_run_names_the_methods_it_knows():
    bowl = ls.ill_conditioned_quadratic(10.0)
    with pytest.raises(ValueError, match=r"method must be one of \('GD', 'momentum'"):
        ls.best_lr_run(bowl, [1.0, 1.0], "sgd")


def test_the_rotated_bowl_is_ill_conditioned_quadratic_turned_by_theta():
    """What chapter 05's ``rotated_bowl(κ, θ°)`` returned: R(θ) diag(1, 1/κ) R(θ)ᵀ."""
    for kappa, degrees in [(100, 0), (100, 20), (150, 50), (1000, 45), (3, 90)]:
        R = ls.rotation(math.radians(degrees))
        bowl = ls.ill_conditioned_quadratic(kappa, theta=math.radians(degrees))
        np.testing.assert_allclose(
            bowl.A, R @ np.diag([1.0, 1.0 / kappa]) @ R.T, rtol=1e-14, atol=1e-16
        )


def test_the_explorer_races_on_the_library_bowl_start_and_runner():
    theta, kappa = 50, 150
    frame = ch05._race_frame(theta, kappa, 200)
    radians = math.radians(theta)
    x0 = ls.rotation(radians) @ np.array(ls.SWEEP_X0)
    np.testing.assert_array_equal(frame["x0"], x0)
    bowl = ls.ill_conditioned_quadratic(kappa, theta=radians)
    for method in ls.SWEEP_METHODS:
        best = ls.best_lr_run(bowl, x0, method, steps=200)
        np.testing.assert_array_equal(frame["paths"][method], best.run.xs)


def test_the_explorers_define_none_of_the_moved_numerics():
    for name in ("best_run", "rotated_bowl", "rotated_start", "LR_GRIDS", "X0_ALIGNED"):
        assert not hasattr(ch05, name), name
    assert ch06.noisy_regression is ls.noisy_regression
    assert ls.noisy_regression.__module__ == "dlnotes.landscapes.runners"
    for name in ("N_EXAMPLES", "DIM", "BATCH", "NOISE"):
        assert not hasattr(ch06, name), name


@pytest.mark.slow  # draws the figure once: about 1 s
def test_the_race_legend_sits_right_of_the_loss_axes_inside_the_figure():
    import matplotlib.pyplot as plt

    explorer = ch05.optimizer_race(steps=120)
    fig, state = explorer.setup()
    explorer.redraw(state, theta=50, kappa=150)
    fig.canvas.draw()
    ax2 = fig.axes[1]
    legend = ax2.get_legend()
    box, axes_box = legend.get_window_extent(), ax2.get_window_extent()
    assert box.x0 >= axes_box.x1  # no curve can run under it
    assert box.x1 <= fig.bbox.x1 and box.y0 >= fig.bbox.y0  # and it is not cut off
    assert [t.get_text() for t in legend.get_texts()] == list(ch05.METHODS)
    plt.close(fig)


# ------------------------------------------------------------------ chapter 06: the problem


def test_noisy_regression_gives_the_numbers_of_chapter_06s_old_builder():
    """The builder as chapter 06's explorer wrote it, replayed: the same arrays, bit for bit."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 10)) * np.sqrt(np.geomspace(1.0, 0.05, 10))
    w_true = rng.standard_normal(10)
    y = X @ w_true + 0.5 * rng.standard_normal(1000)
    problem = ls.noisy_regression()
    np.testing.assert_array_equal(problem["X"], X)
    np.testing.assert_array_equal(problem["y"], y)
    H = X.T @ X / 1000
    np.testing.assert_array_equal(problem["H"], H)
    np.testing.assert_array_equal(problem["w_star"], np.linalg.solve(H, X.T @ y / 1000))
    assert problem["batch_size"] == 8
    assert problem["sigma2"] == 2 * problem["f_star"]


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [(-1, ValueError, "seed must be >= 0"), ("0", TypeError, "seed must be an int")],
)
def test_noisy_regression_refuses_a_bad_seed_by_name(seed, error, match):
    with pytest.raises(error, match=match):
        ls.noisy_regression(seed)


def test_the_least_squares_runners_name_their_problem_builder():
    with pytest.raises(TypeError, match=r"noisy_regression\(\), chapter 06's problem"):
        ls.minibatch_stream([1, 2], 3)


# ------------------------------------------------------------------ the notebooks


def test_notebooks_05_and_06_take_the_numerics_from_landscapes():
    code05, code06 = _code("05_adaptive.ipynb"), _code("06_schedules.ipynb")
    for old in ("best_run", "rotated_bowl", "rotated_start", "X0_ALIGNED", "explorers.METHODS"):
        assert old not in code05, old
    assert "ls.best_lr_run(" in code05 and "np.array(ls.SWEEP_X0)" in code05
    assert "ls.ill_conditioned_quadratic(kappa, theta=math.radians(theta))" in code05
    assert "explorers.noisy_regression" not in code06
    assert "problem = ls.noisy_regression()" in code06
    prose05 = "\n".join("".join(c["source"]) for c in _cells("05_adaptive.ipynb"))
    assert "`explorers.best_run`" not in prose05 and "`ls.best_lr_run`" in prose05


def test_the_saddle_figure_titles_say_what_each_panel_shows():
    (cell,) = [
        "".join(c["source"])
        for c in _cells("05_adaptive.ipynb")
        if "saddle_runs[name][:600]" in "".join(c["source"])
    ]
    assert "the first 600 steps" in cell and ', 600 steps"' not in cell
    assert 'ax2.set_title("all 1500 steps"' in cell and "range(1500)" in cell


def test_the_saddle_prose_explains_rmsprops_late_jump_and_claims_it():
    cells = _cells("05_adaptive.ipynb")
    (prose,) = [
        "".join(c["source"]) for c in cells if "RMSProp rushes in and out" in "".join(c["source"])
    ]
    assert "may also jump back almost to the\nsaddle's level" in prose
    assert "{ref}`the RMSProp section <ch05-rmsprop>` explains below" in prose
    assert "from about step 190 on its effective rate is past the stability limit" in prose
    assert "rounds to exactly zero" in prose and "$10^{-17}$" in prose
    hidden = "\n".join(
        "".join(c["source"])
        for c in cells
        if "remove-cell" in c.get("metadata", {}).get("tags", [])
    )
    assert "assert 170 <= _first <= 210, _first" in hidden
    assert "assert 1e-18 < _g_rest.max() < 1e-16, _g_rest" in hidden


def test_rmsprop_rests_at_the_saddles_minimum_past_its_stability_limit_from_step_190():
    """The prose's numbers, whatever the computer's rounding: the effective rate passes the
    stability limit at the minimum about step 190; the iterate jumps out later exactly when
    the gradient at the minimum is not rounded to 0."""
    saddle = ls.Saddle(theta=math.pi / 4)
    x, v = saddle.R @ np.array([3.0, 1e-3]), np.zeros(2)
    xs, unstable = [x], []
    for _ in range(1500):
        g = saddle.grad(x)
        x, v = teaching.rmsprop_step(x, v, g, lr=0.1, alpha=0.99, eps=1e-10)
        D = np.diag(0.1 / (np.sqrt(v) + 1e-10))
        unstable.append(np.linalg.eigvals(D @ saddle.hessian(xs[-1])).real.max() > 2)
        xs.append(x)
    f = saddle.f(np.array(xs))
    first = 30 + int(np.argmax(unstable[30:]))
    assert 170 <= first <= 210 and np.all(np.abs(f[30 : first + 1] + 0.25) < 1e-9)
    jump = np.flatnonzero(f[30:] > -0.2)
    resting_gradient = np.abs(saddle.grad(xs[300]))
    assert (jump.size > 0) == bool(np.any(resting_gradient > 0))
