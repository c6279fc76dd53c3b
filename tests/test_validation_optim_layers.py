"""Bad input to the optimizers, layers, initializers and Sequential gets a clear error and
changes nothing (the API review's items 3, 4, 5, 10-14, 21, 25 and 30)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlnotes import init
from dlnotes._validate import NonFiniteError, NonFiniteInputError
from dlnotes.layers import (
    BatchNorm,
    BatchNorm2d,
    DropConnect,
    LayerNorm,
    Linear,
    batchnorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    update_running_stats_in_place,
)
from dlnotes.model import Sequential, mlp
from dlnotes.optim import CHUNK, LBFGS, SGD, Adagrad, Adam, AdamW, RMSprop
from dlnotes.optim.lbfgs import two_loop_direction

OPTIMIZERS = {
    "SGD-momentum": lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "Adam": lambda p: Adam(p, lr=0.1, amsgrad=True),
    "AdamW": lambda p: AdamW(p, lr=0.1),
    "RMSprop-centered": lambda p: RMSprop(p, lr=0.1, momentum=0.5, centered=True),
    "Adagrad": lambda p: Adagrad(p, lr=0.1),
}


def _snapshot(opt):
    return (
        opt.t,
        [x.copy() for x in opt.params],
        [{k: v.copy() for k, v in buffers.items()} for buffers in opt.state],
    )


def _assert_unchanged(opt, snapshot):
    t, params, state = snapshot
    assert opt.t == t
    for x, before in zip(opt.params, params, strict=True):
        np.testing.assert_array_equal(x, before)
    for buffers, before in zip(opt.state, state, strict=True):
        assert buffers.keys() == before.keys()
        for k in buffers:
            np.testing.assert_array_equal(buffers[k], before[k])


# -- item 3: a refused step changes nothing, contiguous or not ------------------------------------


@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "transposed-view"])
@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_a_refused_step_changes_no_parameter_no_buffer_and_not_t(make, contiguous):
    base = np.random.default_rng(0).normal(size=(CHUNK + 4464, 2))  # two chunks once flat
    W = base.T.copy() if contiguous else base.T
    assert W.flags.c_contiguous == contiguous
    b = np.zeros(3)
    opt = make([W, b])
    opt.step([np.ones(W.shape), np.ones(3)])  # buffers hold something
    for bad_param, index in ((0, (1, CHUNK)), (1, (2,))):  # W's last chunk; a later array
        grads = [np.ones(W.shape), np.ones(3)]
        grads[bad_param][index] = np.nan
        before = _snapshot(opt)
        with pytest.raises(
            NonFiniteError,
            match=rf"grads\[{bad_param}\] is not finite at step 2: .*index "
            rf"\({', '.join(map(str, index))},?\).*the step was refused: nothing was updated",
        ):
            opt.step(grads)
        _assert_unchanged(opt, before)
    opt.step([np.ones(W.shape), np.ones(3)])
    assert opt.t == 2


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_a_non_contiguous_parameter_takes_the_same_steps_as_a_contiguous_one(make):
    rng = np.random.default_rng(1)
    base = rng.normal(size=(CHUNK + 10, 2))
    W_view, W_copy = base.T, base.T.copy()
    views, copies = make(W_view), make(W_copy)
    for _ in range(3):
        g = rng.normal(size=W_copy.shape)
        views.step(g)
        copies.step(g)
    np.testing.assert_array_equal(W_view, W_copy)
    for k in views.state[0]:
        np.testing.assert_array_equal(views.state[0][k], copies.state[0][k])


def test_a_step_that_overflows_is_applied_whole_then_reported_contiguous_or_not():
    """A parameter that becomes inf from finite gradients is found after its update; the step is
    completed everywhere (the transposed view is written back too) before the error."""
    results = []
    for contiguous in (True, False):
        base = np.ones((CHUNK + 10, 2))
        base[0, 0] = 1e308  # W[0, 0], in the first chunk
        W = base.T.copy() if contiguous else base.T
        b = np.ones(2)
        opt = SGD([W, b], lr=1.0)
        g = np.ones(W.shape)
        g[0, 0] = -1e308  # 1e308 + 1e308 = inf
        with pytest.raises(NonFiniteError, match=r"params\[0\] is not finite after step 1"):
            opt.step([g, np.ones(2)])
        assert opt.t == 1
        assert np.isinf(W[0, 0]) and np.all(W.reshape(-1)[1:] == 0.0)  # every chunk stepped
        np.testing.assert_array_equal(b, 0.0)  # and the later parameter
        results.append(W.copy())
    np.testing.assert_array_equal(*results)


# -- items 10 and 14: hyperparameters assigned after construction ---------------------------------


@pytest.mark.parametrize(
    ("make", "name", "value", "error", "words"),
    [
        (lambda p: Adam(p), "eps", -1.0, ValueError, r"eps must be >= 0\.0, got -1\.0"),
        (lambda p: Adam(p), "weight_decay", -3, ValueError, r"weight_decay must be >= 0\.0"),
        (lambda p: Adam(p), "beta1", 1.0, ValueError, r"beta1 must be < 1\.0, got 1\.0"),
        (lambda p: Adam(p), "beta2", float("nan"), ValueError, r"beta2 must be finite"),
        (lambda p: Adam(p), "betas", (0.9, 1.0), ValueError, r"betas\[1\] \(beta2\) must be <"),
        (lambda p: Adam(p), "amsgrad", 1, TypeError, r"amsgrad must be True or False"),
        (lambda p: AdamW(p), "weight_decay", "0.1", TypeError, r"weight_decay must be a real"),
        (lambda p: SGD(p), "momentum", 1.0, ValueError, r"momentum must be < 1\.0"),
        (lambda p: SGD(p), "dampening", 2, ValueError, r"dampening must be <= 1\.0"),
        (lambda p: SGD(p), "nesterov", "yes", TypeError, r"nesterov must be True or False"),
        (lambda p: SGD(p), "nesterov", True, ValueError, r"nesterov=True requires momentum > 0"),
        (
            lambda p: SGD(p, momentum=0.9, nesterov=True),
            "momentum",
            0.0,
            ValueError,
            r"nesterov=True requires momentum > 0 and dampening == 0, got momentum=0\.0",
        ),
        (lambda p: RMSprop(p), "alpha", 1.0, ValueError, r"alpha must be < 1\.0"),
        (lambda p: RMSprop(p), "centered", None, TypeError, r"centered must be True or False"),
        (lambda p: Adagrad(p), "lr_decay", -0.1, ValueError, r"lr_decay must be >= 0\.0"),
        (lambda p: Adagrad(p), "eps", np.inf, ValueError, r"eps must be finite"),
        (lambda p: SGD(p), "check_finite", "no", TypeError, r"check_finite must be True or"),
        (lambda p: LBFGS(p), "history_size", 0, ValueError, r"history_size must be >= 1"),
        (lambda p: LBFGS(p), "max_iter", 2.5, TypeError, r"max_iter must be an integer"),
        (lambda p: LBFGS(p), "line_search_fn", "wolfe", ValueError, r"line_search_fn must be"),
    ],
)
def test_a_hyperparameter_assigned_later_is_validated_and_a_refusal_keeps_the_old_value(
    make, name, value, error, words
):
    x = np.ones(3)
    opt = make(x)
    old = getattr(opt, name)
    before = _snapshot(opt)
    with pytest.raises(error, match=words):
        setattr(opt, name, value)
    assert getattr(opt, name) == old
    _assert_unchanged(opt, before)


def test_adam_with_a_negative_eps_set_later_no_longer_moves_the_parameters_the_wrong_way():
    x = np.ones(3)
    opt = Adam(x, lr=0.1)
    with pytest.raises(ValueError, match="eps"):
        opt.eps = -1.0
    opt.step(np.ones(3))
    np.testing.assert_allclose(x, 0.9)  # a descent step


def test_betas_can_be_assigned_as_a_pair():
    opt = Adam(np.ones(2))
    opt.betas = (0.5, 0.75)
    assert (opt.beta1, opt.beta2) == opt.betas == (0.5, 0.75)
    assert opt.state_dict()["param_groups"][0]["betas"] == (0.5, 0.75)


TOGGLES = [
    (SGD, {"lr": 0.1}, {"momentum": 0.9, "dampening": 0.3}),
    (SGD, {"lr": 0.1}, {"momentum": 0.9, "nesterov": True}),
    (Adam, {"lr": 0.1}, {"amsgrad": True}),
    (AdamW, {"lr": 0.1}, {"amsgrad": True}),
    (RMSprop, {"lr": 0.01}, {"centered": True}),
    (RMSprop, {"lr": 0.01}, {"momentum": 0.5, "centered": True}),
]


@pytest.mark.parametrize(("cls", "hyper", "options"), TOGGLES)
def test_a_feature_switched_on_before_the_first_step_is_the_same_as_built_in(cls, hyper, options):
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=(CHUNK + 3,))
    built, switched = x0.copy(), x0.copy()
    a = cls(built, **hyper, **options)
    b = cls(switched, **hyper)
    for name, value in options.items():
        setattr(b, name, value)
    assert b.state[0].keys() == a.state[0].keys()
    for _ in range(3):
        g = rng.normal(size=x0.shape)
        a.step(g)
        b.step(g)
    np.testing.assert_array_equal(built, switched)
    cls(x0.copy(), **hyper, **options).load_state_dict(b.state_dict())


def test_sgd_momentum_switched_on_later_starts_its_velocity_at_the_gradient_as_torch():
    x = np.ones(2)
    opt = SGD(x, lr=0.1)
    opt.step(np.ones(2))  # x = 0.9
    opt.momentum, opt.dampening = 0.9, 0.5
    assert not opt.state[0]["velocity"].any()
    opt.step(np.ones(2))  # torch: a missing momentum buffer starts as g: v = 1, x = 0.8
    np.testing.assert_allclose(x, 0.8, rtol=1e-15)
    opt.step(np.ones(2))  # v = 0.9 * 1 + (1 - 0.5) * 1 = 1.4, x = 0.8 - 0.14
    np.testing.assert_allclose(x, 0.66, rtol=1e-15)


def test_a_feature_switched_off_drops_its_buffer_so_the_checkpoint_matches():
    opt = Adam(np.ones(2), amsgrad=True)
    opt.step(np.ones(2))
    first_moment = opt.state[0]["first_moment"]
    opt.amsgrad = False
    assert list(opt.state[0]) == ["first_moment", "second_moment"]
    assert opt.state[0]["first_moment"] is first_moment  # buffers in use keep their values
    Adam(np.ones(2)).load_state_dict(opt.state_dict())


# -- item 5: a checkpoint of other parameters -----------------------------------------------------


def _checkpoint():
    opt = Adam(np.ones((2, 3)), lr=0.1)
    opt.step(np.ones((2, 3)))
    return opt.state_dict()


@pytest.mark.parametrize(
    ("edit", "error", "words"),
    [
        (lambda sd: sd.update(state={5: sd["state"][0]}), ValueError, r"parameter ids \[5\]"),
        (
            lambda sd: sd["param_groups"][0].update(params=[7]),
            ValueError,
            r"ids \[0\] that its param group does not list \(it lists \[7\]\)",
        ),
        (
            lambda sd: sd["param_groups"][0].update(params=[[1]]),
            TypeError,
            r"'params' must list integer parameter ids .*got \[1\]",
        ),
        (lambda sd: sd["state"].update({1: sd["state"][0]}), ValueError, r"parameter ids \[1\]"),
    ],
)
def test_load_state_dict_refuses_state_keys_and_ids_that_do_not_match(edit, error, words):
    sd = _checkpoint()
    edit(sd)
    opt = Adam(np.ones((2, 3)), lr=0.1)
    opt.step(np.full((2, 3), 0.5))
    before = _snapshot(opt)
    with pytest.raises(error, match=words):
        opt.load_state_dict(sd)
    _assert_unchanged(opt, before)


# -- item 4: running statistics never become inf --------------------------------------------------


def test_batchnorm_refuses_a_finite_batch_that_would_overflow_its_float32_running_variance():
    X = np.random.default_rng(0).normal(size=(8, 3)) * 1e20  # variance 1e40: finite in float64
    layer = BatchNorm(3)  # float32 buffers
    with pytest.raises(NonFiniteInputError, match=r"keep running_var finite.*overflow float32"):
        layer.forward(X)
    np.testing.assert_array_equal(layer.running_mean, 0.0)
    np.testing.assert_array_equal(layer.running_var, 1.0)
    layer.forward(X * 1e-20)  # an ordinary batch still trains


@pytest.mark.parametrize(("dtype", "scale"), [(np.float16, 1e4), (np.float32, 1e20)])
def test_batchnorm_forward_leaves_both_statistics_unchanged_when_one_would_overflow(dtype, scale):
    X = np.random.default_rng(1).normal(size=(8, 3)) * scale  # the mean fits, the variance not
    rm, rv = np.zeros(3, dtype), np.ones(3, dtype)
    with pytest.raises(NonFiniteInputError, match=r"batchnorm_forward: .*running_var"):
        batchnorm_forward(X, np.ones(3), np.zeros(3), rm, rv)
    np.testing.assert_array_equal(rm, 0.0)
    np.testing.assert_array_equal(rv, 1.0)


def test_spatial_batchnorm_refuses_an_overflowing_update_naming_itself():
    X = np.random.default_rng(2).normal(size=(2, 3, 2, 2)) * 1e20
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    with pytest.raises(
        NonFiniteInputError, match=r"^spatial_batchnorm_forward: .*keep running_var finite"
    ):
        spatial_batchnorm_forward(X, np.ones(3), np.zeros(3), rm, rv)
    np.testing.assert_array_equal(rv, 1.0)
    layer = BatchNorm2d(3)
    with pytest.raises(NonFiniteInputError, match="running_var"):
        layer.forward(X)
    np.testing.assert_array_equal(layer.running_var, 1.0)


def test_update_running_stats_in_place_refuses_an_update_that_overflows_float32():
    rm, rv = np.zeros(2, np.float32), np.ones(2, np.float32)
    with pytest.raises(NonFiniteInputError, match=r"running_var .*overflow float32"):
        update_running_stats_in_place(rm, rv, np.zeros(2), np.array([1.0, 1e40]), 8, 0.1)
    np.testing.assert_array_equal(rm, 0.0)
    np.testing.assert_array_equal(rv, 1.0)


# -- item 11: one array for both running statistics -----------------------------------------------


@pytest.mark.parametrize("second", [lambda a: a, lambda a: a[:]], ids=["same", "view"])
def test_update_running_stats_in_place_refuses_one_array_for_mean_and_var(second):
    stats = np.zeros(3)
    with pytest.raises(ValueError, match="running_mean and running_var must be two separate"):
        update_running_stats_in_place(stats, second(stats), np.ones(3), np.ones(3), 4, 0.5)
    np.testing.assert_array_equal(stats, 0.0)


# -- items 12 and 30: Linear's init and the layers' sizes -----------------------------------------


def test_linear_refuses_an_init_returning_complex_numbers_naming_its_dtype():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        with pytest.raises(TypeError, match=r"init must return real numbers .*complex128"):
            Linear(3, 2, init=lambda shape, seed, dtype: np.ones(shape) * 1j)
    with pytest.raises(TypeError, match=r"init must return real numbers .*dtype object"):
        Linear(3, 2, init=lambda shape, seed, dtype: None)
    with pytest.raises(NonFiniteInputError, match=r"init's weight holds 1e\+40 .*float32"):
        Linear(3, 2, init=lambda shape, seed, dtype: np.full(shape, 1e40))


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: Linear(3.0, 2), "in_features"),
        (lambda: Linear(3, 2.0), "out_features"),
        (lambda: DropConnect(3.0, 2), "in_features"),
        (lambda: BatchNorm(3.0), "num_features"),
        (lambda: BatchNorm2d(3.0), "num_features"),
        (lambda: LayerNorm(np.float64(3)), "num_features"),
        (lambda: mlp([4, 3.0]), r"sizes\[1\]"),
        (
            lambda: update_running_stats_in_place(
                np.zeros(2), np.ones(2), np.zeros(2), np.ones(2), 8.0, 0.1
            ),
            "n",
        ),
    ],
)
def test_layer_sizes_must_be_ints_as_in_torch(build, name):
    with pytest.raises(TypeError, match=rf"^{name} must be an int, got "):
        build()


def test_mlp_names_sizes_that_are_not_a_list_of_ints():
    with pytest.raises(TypeError, match=r"sizes must be a list of layer sizes .*got 4"):
        mlp(4)
    with pytest.raises(TypeError, match=r"sizes\[1\] must be an int, got True"):
        mlp([4, True])
    assert repr(mlp(np.array([4, 3]))) == "Sequential(Linear 4 -> 3)"


def test_numpy_integer_sizes_are_accepted():
    layer = Linear(np.int64(3), np.int32(2), seed=0)
    assert (layer.in_features, layer.out_features) == (3, 2)
    assert type(layer.in_features) is int
    assert BatchNorm(np.int64(4)).running_var.shape == (4,)


# -- item 13: values that become inf when cast ----------------------------------------------------


def test_sequential_load_state_dict_refuses_a_value_that_overflows_float32():
    model = mlp([3, 2], seed=0)
    state = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    state["0.b"][1] = 1e40
    before = model.state_dict()
    with pytest.raises(
        NonFiniteInputError, match=r"0\.b holds 1e\+40 at index \(1,\), beyond the range of float32"
    ):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert isinstance(model, Sequential)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: init.constant((2,), 1e300, dtype=np.float32), r"value = 1e\+300 is beyond"),
        (lambda: init.constant((2,), -1e39, dtype=np.float32), r"value = -1e\+39 is beyond"),
        (lambda: init.uniform((2,), 0.0, 1e39, dtype=np.float32), r"b = 1e\+39 is beyond"),
        (lambda: init.normal((2,), 0.0, 1e300, seed=0, dtype=np.float32), r"std=1e\+300"),
    ],
)
def test_initializers_refuse_values_their_dtype_cannot_hold(call, words):
    with pytest.raises(NonFiniteInputError, match=words + r".*float32"):
        call()


def test_initializers_keep_values_their_dtype_can_hold():
    np.testing.assert_array_equal(init.constant((2,), 3e38, dtype=np.float32), np.float32(3e38))
    assert init.constant((2,), 1e300).dtype == np.float64


# -- item 21: two_loop_direction ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        (
            (np.ones(3), [np.ones(2)], [np.ones(2)], [1.0], 1.0),
            ValueError,
            r"two_loop_direction: s_history\[0\] must have the shape of g \(3,\), got \(2,\)",
        ),
        (
            (np.ones(3), [np.ones(3)], [np.ones(3), np.ones(2)], [1.0], 1.0),
            ValueError,
            r"s_history, y_history and rho_history must have one entry per stored pair",
        ),
        (
            (np.ones(3), [np.ones(3)], [np.ones(4)], [1.0], 1.0),
            ValueError,
            r"y_history\[0\] must have the shape of g",
        ),
        ((np.ones((3, 1)), [], [], [], 1.0), ValueError, r"g must be a flat \(1-D\) vector"),
        (([1.0, 2.0], [], [], [], 1.0), TypeError, r"g must be a numpy array"),
    ],
)
def test_two_loop_direction_names_what_does_not_fit(args, error, words):
    with pytest.raises(error, match=words):
        two_loop_direction(*args)


# -- item 25: spatial_batchnorm_backward's cache -------------------------------------------------


@pytest.mark.parametrize("cache", [(1, 2), ((2, 3, 2, 2), 2), ("a", (1, 2, 3, 4))])
def test_spatial_batchnorm_backward_names_a_wrong_cache(cache):
    with pytest.raises(
        TypeError, match=r"spatial_batchnorm_backward: cache must be what spatial_batchnorm_forward"
    ):
        spatial_batchnorm_backward(np.ones((2, 3, 2, 2)), cache)
