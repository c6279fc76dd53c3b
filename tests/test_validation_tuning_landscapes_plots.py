"""Input validation of tuning's narrow_space and toy_objective, the explorer challenges, the
shared plots and the initializers' dtype: each bad argument is refused with a message naming it
(one test per finding of the API review); valid arguments still give the same results."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlnotes import init, plots, tuning
from dlnotes import landscapes as ls

SPACE = {"x": tuning.Uniform(0, 1), "y": tuning.Uniform(0, 1)}


# ------------------------------------------------------------------------ tuning
def test_narrow_space_refuses_to_hand_back_the_old_range_from_one_kept_trial():
    res = tuning.random_search(tuning.toy_objective, SPACE, 8, progress=False)
    with pytest.raises(
        ValueError,
        match=r"keep_fraction=0.1 keeps 1 of 8 trials \(x=.*\): narrowing needs at least 2 "
        r"distinct values of 'x'",
    ):
        tuning.narrow_space(res, 0.1)
    new = tuning.narrow_space(res, 0.5)  # four trials: a real box, inside the old one
    kept = res.rows[:4]
    assert new["x"] == tuning.Uniform(min(r["x"] for r in kept), max(r["x"] for r in kept))


def test_narrow_space_refuses_kept_trials_that_share_a_value():
    grid = tuning.grid_search(tuning.toy_objective, SPACE, 3, progress=False)
    with pytest.raises(ValueError, match=r"keeps 2 of 9 trials, all with x=0.5: narrowing"):
        tuning.narrow_space(grid, 0.2)


def test_narrow_space_keeps_a_single_choice():
    space = {"x": tuning.Uniform(0, 1), "y": tuning.Uniform(0, 1), "c": tuning.Choice([1, 2])}
    rows = [{"x": 0.1 * i, "y": 0.2 + 0.1 * i, "c": 1, "score": float(i)} for i in range(4)]
    new = tuning.narrow_space(tuning.Results(rows, metric="score", space=space), 0.5)
    assert new["c"] == tuning.Choice([1])
    assert new["x"] == tuning.Uniform(0.0, 0.1)


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({}, ValueError, r"config must hold 'x' and 'y'.* lacks \['x', 'y'\]"),
        ({"x": 0.5}, ValueError, r"lacks \['y'\] \(keys: \['x'\]\)"),
        ({"x": "0.5", "y": 0.5}, TypeError, r"config\['x'\] must be a real number .* '0.5'"),
        ({"x": 0.5, "y": True}, TypeError, r"config\['y'\] must be a real number .* True"),
        ([0.5, 0.5], TypeError, r"config must be a dict with 'x' and 'y'.* got list"),
    ],
)
def test_toy_objective_names_a_bad_config(config, error, match):
    with pytest.raises(error, match=match):
        tuning.toy_objective(config)


def test_toy_objective_refuses_a_bad_width_and_keeps_its_values():
    with pytest.raises(ValueError, match=r"width must be > 0.0, got 0"):
        tuning.toy_objective({"x": 0.5, "y": 0.5}, width=0)
    assert tuning.toy_objective({"x": 0.62, "y": 0.5}) == 0.0
    got = tuning.toy_objective({"x": np.array([0.5, 0.62]), "y": np.array([0.9, 0.5])})
    want = 1 - np.exp(-((0.5 - 0.62) ** 2) / (2 * 0.06**2)) + 0.02 * 0.4**2
    np.testing.assert_array_equal(got, [want, 0.0])


# ------------------------------------------------------------------------ challenges
def _challenge(**fields):
    return ls.Challenge(**{"kappa": 10.0, "x0": (2.0, 2.0), "steps": 60, "target": 1e-6, **fields})


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"x0": (0, 0)}, ValueError, r"Challenge.x0 = \(0.0, 0.0\) already has f = 0 below"),
        ({"steps": 0}, ValueError, r"Challenge.steps must be >= 1, got 0"),
        ({"steps": 60.0}, TypeError, r"Challenge.steps must be an int, got 60.0"),
        ({"target": -1e-6}, ValueError, r"Challenge.target must be > 0.0, got -1e-06"),
        ({"kappa": 0.5}, ValueError, r"Challenge.kappa must be >= 1.0, got 0.5"),
        ({"x0": (1.0, 1.0, 1.0)}, ValueError, r"Challenge.x0 must be a point \(x1, x2\)"),
        ({"x0": (1.0, np.nan)}, ValueError, r"Challenge.x0 must be a point .* finite"),
        ({"tail": -1}, ValueError, r"Challenge.tail must be >= 0, got -1"),
    ],
)
def test_challenge_names_a_bad_field(fields, error, match):
    with pytest.raises(error, match=match):
        _challenge(**fields)


def test_challenges_keep_their_numbers():
    assert ls.LR_CHALLENGE == _challenge()
    assert _challenge(x0=[2, 2]) == ls.LR_CHALLENGE  # a list is stored as a tuple: hashable
    lo, hi = ls.lr_challenge_band(_challenge(x0=[2, 2]))
    assert (round(lo, 3), round(hi, 3)) == (0.967, 1.886)


# ------------------------------------------------------------------------ plots
@pytest.mark.parametrize(
    ("window", "match"),
    [
        ((1, 0, 0, 1), r"window must be \(\(x_lo, x_hi\), \(y_lo, y_hi\)\), a pair of"),
        (((0, 1), (0, 1, 2)), r"window must be \(\(x_lo, x_hi\), \(y_lo, y_hi\)\), a pair of"),
        (((1, 0), (0, 1)), r"window's x range needs lo < hi, got \(1.0, 0.0\)"),
        (((0, 1), (0, np.nan)), r"window's y range must be finite, got \(0.0, nan\)"),
    ],
)
def test_contour_names_a_bad_window(ax, window, match):
    with pytest.raises(ValueError, match=match):
        plots.contour(ax, ls.ill_conditioned_quadratic(10.0), window=window)


def test_contour_draws_a_good_window(ax):
    plots.contour(ax, ls.ill_conditioned_quadratic(10.0), window=np.array([[-3, 3], [-2, 2]]))
    assert ax.get_xlim() == (-3.0, 3.0) and ax.get_ylim() == (-2.0, 2.0)


def test_target_line_refuses_nan_and_a_non_positive_target_on_a_log_axis(ax):
    with pytest.raises(ValueError, match=r"target must be finite, got nan"):
        plots.target_line(ax, float("nan"))
    ax.set_yscale("log")
    with pytest.raises(ValueError, match=r"target must be > 0 on a log axis, got 0.0"):
        plots.target_line(ax, 0.0)
    assert plots.target_line(ax, 1e-6).get_label() == "target 1e-06"


def test_markers_refuse_a_point_of_three_coordinates(ax):
    for marker in (plots.minimum_marker, plots.start_marker):
        with pytest.raises(ValueError, match=r"at must be a point \(x, y\) of shape \(2,\)"):
            marker(ax, np.ones(3))
    assert plots.minimum_marker(ax, ([0], [0])).get_xydata().tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize(
    ("curve", "log", "why"),
    [
        (np.full(5, np.nan), True, "no finite positive value"),
        (np.full(5, np.inf), True, "no finite positive value"),
        (-np.ones(5), True, "no finite positive value"),
        (np.full(5, np.nan), False, "no finite value"),
    ],
)
def test_loss_curves_reports_a_curve_with_nothing_to_draw(ax, curve, log, why):
    with pytest.warns(RuntimeWarning, match=rf"nothing to draw for diverged: {why}"):
        plots.loss_curves(ax, {"fine": np.array([1.0, 0.5]), "diverged": curve}, log=log)
    assert any("nothing to draw for diverged" in t.get_text() for t in ax.texts)


def test_loss_curves_draws_a_partly_diverged_curve_without_a_note(ax):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.loss_curves(ax, {"blew up": np.array([1.0, 10.0, np.inf, np.nan])})
    assert not ax.texts


# ------------------------------------------------------------------------ init
# longdouble is float64 on some platforms (Windows): refused only where it is wider
WIDE = [np.longdouble] if np.dtype(np.longdouble).itemsize > 8 else []


@pytest.mark.parametrize("dtype", ["float16", *WIDE])
@pytest.mark.parametrize(
    "make",
    [
        lambda dtype: init.xavier_uniform((3, 4), dtype=dtype),
        lambda dtype: init.kaiming_normal((3, 4), dtype=dtype),
        lambda dtype: init.zeros((3,), dtype=dtype),
        lambda dtype: init.constant((3,), 0.5, dtype=dtype),
    ],
)
def test_initializers_refuse_the_dtypes_linear_refuses(make, dtype):
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got float(16|96|128)"):
        make(dtype)


def test_initializers_keep_float32_and_float64():
    a = init.xavier_uniform((3, 4), seed=0, dtype="float32")
    b = init.xavier_uniform((3, 4), seed=0)
    assert a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_array_equal(a, b.astype(np.float32))
