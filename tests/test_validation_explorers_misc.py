"""Input validation of the explorers' compute functions, plots, widgets, schedules, model, init
and capstone helpers: each bad argument is refused with a message naming it (one test per
finding of the review); valid arguments still give the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes import capstone, init, plots
from dlnotes import landscapes as ls
from dlnotes import schedules as sch
from dlnotes.explorers import ch01, ch03, ch07, ch08, ch09, ch10, ch11, ch14
from dlnotes.landscapes import Quadratic
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.widgets import Control, Explorer


def _net():
    return ch07.random_network(2, 1.0, width=4, batch=3)


# ------------------------------------------------------------------------ ch07 propagate, network
def test_propagate_refuses_a_list_X():
    X, W, up = _net()
    with pytest.raises(TypeError, match=r"propagate: X must be a numpy array, got list"):
        ch07.propagate(X.tolist(), W, "relu", up)


def test_propagate_refuses_a_1d_X():
    X, W, up = _net()
    with pytest.raises(ValueError, match=r"propagate: X must be 2-dimensional .* shape \(4,\)"):
        ch07.propagate(X[0], W, "relu", up)


def test_propagate_refuses_int8_inputs_that_would_wrap_around():
    X, W, up = _net()
    with pytest.raises(TypeError, match=r"X must be a float array .* got dtype int8"):
        ch07.propagate(np.full((3, 4), 100, np.int8), W, "linear", up)
    with pytest.raises(TypeError, match=r"weights\[1\] must be a float array .* int8"):
        ch07.propagate(X, [W[0], np.ones((4, 4), np.int8)], "linear", up)
    with pytest.raises(TypeError, match=r"upstream must be a float array .* int8"):
        ch07.propagate(X, W, "linear", up.astype(np.int8))


def test_random_network_refuses_width_zero():
    with pytest.raises(ValueError, match=r"width must be >= 1, got 0"):
        ch07.random_network(2, 1.0, width=0)


def test_random_network_refuses_a_fractional_width():
    with pytest.raises(TypeError, match=r"width must be an integer, got 2.5"):
        ch07.random_network(2, 1.0, width=2.5)


# ------------------------------------------------------------------------ ch08 difference_error
def test_difference_error_refuses_a_zero_step():
    with pytest.raises(ValueError, match=r"hs must hold steps h > 0 .* hs\[0\] = 0.0"):
        ch08.difference_error("sin(x)", 1.0, np.array([0.0]))
    # a step that is 0 once in float32 is refused too, instead of giving NaN
    with pytest.raises(ValueError, match=r"hs\[1\] = 1e-50, which is 0.0 in float32"):
        ch08.difference_error("sin(x)", 1.0, np.array([1e-3, 1e-50]), dtype=np.float32)


def test_difference_error_refuses_complex_steps():
    with pytest.raises(TypeError, match=r"hs must be a real-valued array, got dtype complex128"):
        ch08.difference_error("sin(x)", 1.0, np.array([1e-3 + 1e-3j]))


def test_difference_error_refuses_2d_steps():
    with pytest.raises(ValueError, match=r"hs must be 1-dimensional, got shape \(2, 1\)"):
        ch08.difference_error("sin(x)", 1.0, np.array([[1e-3], [1e-4]]))


def test_difference_error_refuses_a_string_x():
    with pytest.raises(TypeError, match=r"x must be a real number, got '0.5'"):
        ch08.difference_error("sin(x)", "0.5", np.array([1e-3]))


# ------------------------------------------------------------------------ ch09 ridge regression
def test_features_refuses_complex_x():
    with pytest.raises(TypeError, match=r"x must be a real-valued array, got dtype complex128"):
        ch09.features(np.array([0.1 + 1j]))


def test_features_refuses_a_negative_degree():
    with pytest.raises(ValueError, match=r"degree must be >= 0, got -1"):
        ch09.features(np.array([0.1, 0.2]), degree=-1)


def test_ridge_fit_refuses_complex_inputs():
    Phi = ch09.features(np.linspace(-1, 1, 5), 2)
    with pytest.raises(TypeError, match=r"Phi must be a real-valued array, got dtype complex"):
        ch09.ridge_fit(Phi + 0j, np.zeros(5), 0.1)
    with pytest.raises(TypeError, match=r"y must be a real-valued array, got dtype complex"):
        ch09.ridge_fit(Phi, np.zeros(5) + 1j, 0.1)


def test_ridge_fit_refuses_nan_without_lapack_noise(capfd):
    Phi = ch09.features(np.linspace(-1, 1, 5), 2)
    y = np.array([0.0, 1.0, np.nan, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"y must be finite, got nan at index \(2,\)"):
        ch09.ridge_fit(Phi, y, 0.1)
    Phi[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"Phi must be finite, got inf at index \(1, 2\)"):
        ch09.ridge_fit(Phi, np.zeros(5), 0.1)
    assert capfd.readouterr().err == ""


def test_ridge_fit_refuses_zero_features():
    with pytest.raises(
        ValueError, match=r"Phi must have at least one row and one column.*\(5, 0\)"
    ):
        ch09.ridge_fit(np.zeros((5, 0)), np.zeros(5), 0.1)


def test_ridge_errors_refuses_a_problem_that_is_not_the_dict():
    with pytest.raises(TypeError, match=r"problem must be a dict from ridge_problem\(\).* list"):
        ch09.ridge_errors([1, 2], 5)


# ------------------------------------------------------------------------ ch10 keep_mask
def test_keep_mask_refuses_p_outside_0_1():
    u = np.random.default_rng(0).random((2, 16))
    with pytest.raises(ValueError, match=r"p must be < 1.0, got 2"):
        ch10.keep_mask(u, 2, block=1, side=4)
    with pytest.raises(ValueError, match=r"p must be finite, got nan"):
        ch10.keep_mask(u, float("nan"), block=1, side=4)


def test_keep_mask_refuses_block_zero():
    with pytest.raises(ValueError, match=r"block must be >= 1, got 0"):
        ch10.keep_mask(np.zeros((2, 16)), 0.5, block=0, side=4)


def test_keep_mask_refuses_a_list_u():
    with pytest.raises(TypeError, match=r"keep_mask: u must be a numpy array, got list"):
        ch10.keep_mask([[0.1] * 16], 0.5, block=1, side=4)


# ------------------------------------------------------------------------ ch11
def test_smoothed_loss_refuses_window_zero():
    with pytest.raises(ValueError, match=r"window must be >= 1, got 0"):
        ch11.smoothed_loss(np.ones(5), window=0)


def test_smoothed_loss_refuses_negative_or_fractional_window():
    with pytest.raises(ValueError, match=r"window must be >= 1, got -2"):
        ch11.smoothed_loss(np.ones(5), window=-2)
    with pytest.raises(TypeError, match=r"window must be an integer, got 2.5"):
        ch11.smoothed_loss(np.ones(5), window=2.5)


def test_smoothed_loss_refuses_a_2d_loss():
    with pytest.raises(ValueError, match=r"loss must be 1-dimensional, got shape \(2, 3\)"):
        ch11.smoothed_loss(np.ones((2, 3)))


def test_deep_mlp_refuses_a_nan_scale():
    with pytest.raises(ValueError, match=r"scale must be finite, got nan"):
        ch11.deep_mlp(None, scale=float("nan"))


def test_deep_mlp_refuses_a_string_scale():
    with pytest.raises(TypeError, match=r"scale must be a real number, got '2'"):
        ch11.deep_mlp(None, scale="2")


# ------------------------------------------------------------------------ seeds of the explorers
@pytest.mark.parametrize(
    "call",
    [
        lambda: ch01.two_feature_problem(seed=-1),
        lambda: ch03.noisy_series(seed=-1),
        lambda: ch03.line_data(seed=-1),
        lambda: ch03.minibatch_path(4, 0.1, seed=-1),
        lambda: ls.noisy_regression(seed=-1),
        lambda: ch07.random_network(2, 1.0, seed=-1),
        lambda: ch09.ridge_problem(seed=-1),
        lambda: ch14.ema_noisy_quadratic(seed=-1),
    ],
)
def test_negative_seeds_are_refused_by_name(call):
    with pytest.raises(ValueError, match=r"seed must be >= 0"):
        call()


def test_minibatch_path_refuses_a_generator_seed():
    with pytest.raises(TypeError, match=r"seed must be an int \(the data are drawn from seed"):
        ch03.minibatch_path(4, 0.1, seed=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"seed must be an int"):
        ch03.minibatch_line_fit(seed=np.random.default_rng(0))


def test_int_seeds_give_the_same_numbers_as_before():
    """The seed checks change nothing for int seeds: the draws of default_rng(seed)."""
    x, _ = ch03.line_data(16, seed=np.int64(3))
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(x, rng.uniform(-1.0, 2.0, 16))
    X, _, _ = ch07.random_network(2, 1.0, width=4, batch=3, seed=5)
    np.testing.assert_array_equal(X, np.random.default_rng(5).standard_normal((3, 4)))
    path, _, _ = ch03.minibatch_path(4, 0.1, epochs=1, n=16, seed=2)
    assert path.shape == (5, 2)


# ------------------------------------------------------------------------ ch01, ch05
def test_two_feature_problem_refuses_a_non_bool_standardize():
    with pytest.raises(TypeError, match=r"standardize must be True or False, got 'no'"):
        ch01.two_feature_problem(standardize="no")


def test_the_race_start_turns_by_a_real_angle_only():
    with pytest.raises(TypeError, match=r"theta must be a real number, got '30'"):
        ls.rotation("30") @ np.array(ls.SWEEP_X0)


# ------------------------------------------------------------------------ init
def test_uniform_refuses_a_width_beyond_float64():
    with pytest.raises(ValueError, match=r"uniform needs a finite width b - a"):
        init.uniform((5,), -1e308, 1e308)


def test_constant_refuses_an_int_too_large_for_a_float():
    with pytest.raises(ValueError, match=r"value must be finite .* 10\*\*400"):
        init.constant((2,), 10**400)


def test_kaiming_names_a_not_param():
    with pytest.raises(TypeError, match=r"^a must be a real number, got True"):
        init.kaiming_uniform((3, 4), a=True)
    with pytest.raises(TypeError, match=r"^a must be a real number, got True"):
        init.kaiming_normal((3, 4), a=True)


# ------------------------------------------------------------------------ schedules
def test_schedule_refuses_a_rule_that_is_not_callable():
    with pytest.raises(TypeError, match=r"rule must be a function of the steps"):
        sch.Schedule(3, "x")


def test_schedule_refuses_a_rule_of_the_wrong_shape():
    s = sch.Schedule(lambda t: np.ones(3), "three")
    with pytest.raises(ValueError, match=r"rule must return one rate per step \(shape \(5,\)\)"):
        s(np.arange(5))


def test_schedule_refuses_a_complex_rule():
    s = sch.Schedule(lambda t: 0.1 * np.exp(1j * t), "complex")
    with pytest.raises(TypeError, match=r"rule must return real learning rates, .*complex128"):
        s(np.arange(4))


def test_sequential_and_warmup_explain_a_non_vectorised_rule():
    rule = lambda t: 0.1 if t < 5 else 0.01  # noqa: E731 - a scalar-only rule
    chained = sch.sequential([sch.constant(0.1), rule], [3])
    assert chained(4) == 0.1  # one step works
    with pytest.raises(TypeError, match=r"schedules\[1\] must accept an array of steps"):
        chained(np.arange(10))
    warm = sch.linear_warmup(rule, 3)
    with pytest.raises(TypeError, match=r"schedule must accept an array of steps"):
        warm(np.arange(10))
    with pytest.raises(TypeError, match=r"rule must accept an array of steps"):
        sch.Schedule(rule, "scalar only")(np.arange(10))


def test_apply_schedule_refuses_an_array_or_a_string_rate():
    opt = SGD(np.zeros(2), lr=0.1)
    with pytest.raises(TypeError, match=r"schedule must return one learning rate .* array"):
        sch.apply_schedule(opt, lambda step: np.ones(2), 1)
    with pytest.raises(TypeError, match=r"schedule must return one learning rate .*'0.1'"):
        sch.apply_schedule(opt, lambda step: "0.1", 1)
    assert opt.lr == 0.1
    assert sch.apply_schedule(opt, sch.cosine(0.2, 10), 0) == 0.2


# ------------------------------------------------------------------------ model
def test_load_finds_the_npz_that_save_wrote(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = mlp([3, 4, 2], seed=0)
    model.save("m")
    assert (tmp_path / "m.npz").exists()
    other = mlp([3, 4, 2], seed=1)
    other.load("m")
    for a, b in zip(model.params, other.params):
        np.testing.assert_array_equal(a, b)


def test_load_state_dict_refuses_none():
    with pytest.raises(TypeError, match=r"state must be a dict of arrays by name .* NoneType"):
        mlp([3, 4, 2]).load_state_dict(None)


def test_load_state_dict_refuses_bool_arrays():
    model = mlp([3, 4, 2])
    state = model.state_dict()
    state["0.W"] = state["0.W"] > 0
    with pytest.raises(TypeError, match=r"0.W must be a real-valued array .* got dtype bool"):
        model.load_state_dict(state)


def test_mlp_refuses_an_activation_that_is_not_a_string():
    with pytest.raises(ValueError, match=r"activation must be one of .* got \[\]"):
        mlp([3, 4, 2], activation=[])


# ------------------------------------------------------------------------ plots
def test_contour_refuses_a_landscape_name(ax):
    with pytest.raises(TypeError, match=r"landscape must be a Landscape .* got str"):
        plots.contour(ax, "bowl")


def test_contour_refuses_bad_resolution_and_levels(ax):
    bowl = Quadratic(np.diag([1.0, 4.0]))
    for resolution in (0, 1):
        with pytest.raises(ValueError, match=rf"resolution must be >= 2, got {resolution}"):
            plots.contour(ax, bowl, resolution=resolution)
    with pytest.raises(ValueError, match=r"levels must be >= 1, got -3"):
        plots.contour(ax, bowl, levels=-3)


def test_trajectory_refuses_no_iterates(ax):
    with pytest.raises(ValueError, match=r"xs must hold at least the start .* \(0, 2\)"):
        plots.trajectory(ax, np.zeros((0, 2)))


def test_loss_curves_refuses_a_list(ax):
    with pytest.raises(TypeError, match=r"curves must be a dict of loss curves by label.* list"):
        plots.loss_curves(ax, [np.ones(3)])


# ------------------------------------------------------------------------ widgets
def test_control_refuses_values_without_a_range():
    with pytest.raises(ValueError, match=r"control 'a': values must span a range"):
        Control("a", "a", [1.0, 1.0], 1.0)


def test_control_refuses_nan_and_inf_values():
    with pytest.raises(ValueError, match=r"control 'a': values must be finite real numbers.* nan"):
        Control("a", "a", [0.0, float("nan"), 1.0], 0.0)
    with pytest.raises(ValueError, match=r"control 'a': values must be finite real numbers.* inf"):
        Control("a", "a", [0.0, float("inf")], 0.0)
    with pytest.raises(ValueError, match=r"control 'a': named must be finite real numbers"):
        Control("a", "a", [0.0, 1.0], 0.0, named=[float("nan")])


def test_explorer_refuses_no_controls():
    with pytest.raises(ValueError, match=r"controls must be a non-empty list of Control"):
        Explorer("empty", [], setup=lambda: (None, None), update=lambda st: None)


# ------------------------------------------------------------------------ capstone
def test_load_hidden_test_refuses_a_file_without_y(tmp_path):
    path = tmp_path / "h.npz"
    np.savez(path, X=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(
        ValueError, match=r"not a hidden test file: it must hold the arrays X and y"
    ):
        capstone.load_hidden_test(path)


def test_load_hidden_test_refuses_labels_outside_0_9(tmp_path):
    path = tmp_path / "h.npz"
    np.savez(path, X=np.zeros((2, 28, 28), np.uint8), y=np.array([3, 10], np.uint8))
    with pytest.raises(ValueError, match=r"y must hold the class labels 0..9, got 10"):
        capstone.load_hidden_test(path)
    np.savez(path, X=np.zeros((2, 28, 28), np.uint8), y=np.array([3, 9], np.uint8))
    X, y = capstone.load_hidden_test(path)
    assert X.shape == (2, 784) and y.tolist() == [3, 9]


def test_image_hashes_names_the_shape():
    with pytest.raises(TypeError, match=r"images must be .* got shape \(3,\)"):
        capstone.image_hashes(np.zeros(3, np.uint8))


def test_plot_run_refuses_axes_that_are_not_axes():
    run = capstone.load_runs()["A"]
    with pytest.raises(TypeError, match=r"ax must hold 4 matplotlib Axes .* got int"):
        capstone.plot_run(run, ax=[1, 2, 3, 4])


def test_load_runs_refuses_another_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match=r"not a file of runs written by save_runs"):
        capstone.load_runs(path)
