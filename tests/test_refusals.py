"""Bad input is refused before anything changes: the cases a hostile probe of the public API found
(a float truncated to an integer, a NaN kept for good, an optimizer stepping other arrays, half an
update left behind by an error)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlnotes import init
from dlnotes._validate import NonFiniteError, NonFiniteInputError
from dlnotes.averages import EMA, PolyakAverage, ewa
from dlnotes.bayesopt import bayesian_optimization
from dlnotes.data import Augmenter, Standardizer, augment, minibatches, train_dev_test_split
from dlnotes.gradcheck import check_layer, check_model, numerical_gradient, numerical_gradient_array
from dlnotes.landscapes import NoisyGradient, Quadratic
from dlnotes.layers import (
    Linear,
    Tanh,
    dropconnect_forward,
    dropout_forward,
    update_running_stats_in_place,
)
from dlnotes.losses import l1_penalty, l2_penalty, penalty
from dlnotes.model import Sequential, mlp
from dlnotes.optim import CHUNK, LBFGS, SGD, Adagrad, Adam, AdamW, RMSprop
from dlnotes.optim.teaching import adam_step
from dlnotes.train import EarlyStopping, evaluate, fit
from dlnotes.zoo import ParamGroups, shifted_task


@pytest.mark.parametrize(
    "make",
    [
        lambda: init.xavier_uniform((30, 40), dtype=int),
        lambda: init.kaiming_normal((3, 4), dtype=np.int32),
        lambda: init.constant((3,), 0.5, dtype=int),
        lambda: init.zeros((3,), dtype=bool),
        lambda: init.normal((3,), dtype="not a dtype"),
    ],
)
def test_initializers_refuse_a_non_float_dtype(make):
    with pytest.raises(TypeError, match="dtype"):
        make()


def test_initializers_keep_float32():
    assert init.kaiming_normal((3, 4), seed=0, dtype=np.float32).dtype == np.float32


def test_penalty_of_a_generator_has_both_terms():
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    value, grads = penalty((w for w in [W]), l2=0.1, l1=0.1)
    l2v, l2g = l2_penalty([W], 0.1)
    l1v, l1g = l1_penalty([W], 0.1)
    assert value == pytest.approx(l2v + l1v)
    np.testing.assert_allclose(grads[0], l2g[0] + l1g[0])


@pytest.mark.parametrize("cls", [EMA, PolyakAverage])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_averages_refuse_non_finite_iterates_and_stay_unchanged(cls, bad):
    avg = cls(np.zeros(2))
    avg.update(np.array([1.0, 2.0]))
    before, t = avg.averaged.copy(), avg.t
    with pytest.raises(NonFiniteInputError, match="left unchanged"):
        avg.update(np.array([bad, 1.0]))
    np.testing.assert_array_equal(avg.averaged, before)
    assert avg.t == t


def test_fit_refuses_an_optimizer_built_on_another_model():
    X = np.random.default_rng(0).normal(size=(8, 3))
    y = np.array([0, 1] * 4)
    model = mlp([3, 4, 2], seed=0)
    before = [p.copy() for p in model.params]
    with pytest.raises(ValueError, match="not this model's parameters"):
        fit(model, X, y, optimizer=SGD(mlp([3, 4, 2], seed=1).params, lr=0.5), epochs=1)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.params))
    history = fit(model, X, y, optimizer=SGD(model.params, lr=0.5), epochs=1, progress=False)
    assert len(history.train_loss) == 1 and not np.array_equal(before[0], model.params[0])


def test_sequential_refuses_one_layer_instance_twice():
    layer = Linear(3, 3, seed=0)
    with pytest.raises(ValueError, match="layer 2 is the same object as layer 0"):
        Sequential(layer, Tanh(), layer)


def test_dropout_and_dropconnect_refuse_integer_arrays():
    with pytest.raises(TypeError, match="X must be a float array"):
        dropout_forward(np.ones((4, 3), dtype=int), 0.5, seed=0)
    with pytest.raises(TypeError, match="W must be a float array"):
        dropconnect_forward(np.ones((2, 3)), np.ones((3, 2), dtype=int), None, 0.3, seed=0)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])

    def f(z):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="dout"):
        numerical_gradient_array(lambda z: z * 2, x, np.ones(4))
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "batch_mean, batch_var, error",
    [
        (np.ones(3), np.ones(3, dtype=int), TypeError),
        (np.ones(3), [1.0, 1.0, 1.0], TypeError),
        (np.ones(3), np.ones(2), ValueError),
    ],
)
def test_running_stats_are_untouched_when_the_update_is_refused(batch_mean, batch_var, error):
    running_mean, running_var = np.zeros(3), np.ones(3)
    with pytest.raises(error):
        update_running_stats_in_place(running_mean, running_var, batch_mean, batch_var, 8, 0.1)
    np.testing.assert_array_equal(running_mean, np.zeros(3))
    np.testing.assert_array_equal(running_var, np.ones(3))


OPTIMIZERS = [
    lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda p: Adam(p, lr=0.1, amsgrad=True),
    lambda p: AdamW(p, lr=0.1),
    lambda p: RMSprop(p, lr=0.1, momentum=0.5, centered=True),
    lambda p: Adagrad(p, lr=0.1),
]


def _snapshot(opt):
    return [x.copy() for x in opt.params], [
        {k: v.copy() for k, v in buffers.items()} for buffers in opt.state
    ]


def _assert_unchanged(opt, snapshot, t):
    params, state = snapshot
    assert opt.t == t
    for x, before in zip(opt.params, params):
        np.testing.assert_array_equal(x, before)
    for buffers, before in zip(opt.state, state):
        assert buffers.keys() == before.keys()
        for k in buffers:
            np.testing.assert_array_equal(buffers[k], before[k])


@pytest.mark.parametrize("make", OPTIMIZERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_optimizers_name_the_bad_gradient_and_its_entry(make, bad):
    # found chunk by chunk, before each chunk's update (see optim/base.py): the error names the
    # gradient and the index of its first bad entry in the whole array, also when the entry is
    # in a later chunk of a parameter
    rng = np.random.default_rng(0)
    at_step_2 = r" is not finite at step 2: first bad entry at index "
    for grads, message in [
        (
            [np.ones(CHUNK + 10), np.where(np.eye(2, 3) > 0, bad, 1.0)],
            r"grads\[1\]" + at_step_2 + r"\(0, 0\)",
        ),
        (
            [np.r_[np.ones(CHUNK), bad, np.ones(9)], np.ones((2, 3))],
            r"grads\[0\]" + at_step_2 + rf"\({CHUNK},\)",
        ),
    ]:
        opt = make([rng.normal(size=CHUNK + 10), rng.normal(size=(2, 3))])
        opt.step([np.ones(CHUNK + 10), np.ones((2, 3))])
        with pytest.raises(NonFiniteError, match=message):
            opt.step(grads)


def test_lbfgs_counts_no_step_when_the_start_is_refused():
    x = np.array([1.0, 2.0])
    opt = LBFGS(x)
    with pytest.raises(NonFiniteError, match="not finite at step 1"):
        opt.step(lambda: (np.nan, 2 * x))
    assert opt.t == 0 and opt.func_evals == 0
    np.testing.assert_array_equal(x, [1.0, 2.0])


@pytest.mark.parametrize(
    "bad_grads, error, message",
    [
        ([np.ones(3), np.ones(5), np.ones(4)], ValueError, r"group 1: grads\[1\] must have"),
        ([np.ones(3), np.ones(2)], ValueError, "must hold 3 arrays"),
        (np.ones(3), TypeError, "must be a list of 3 arrays"),
    ],
)
def test_param_groups_refuse_before_any_group_steps(bad_grads, error, message):
    a, b, c = np.ones(3), np.ones(2), np.ones(4)
    groups = ParamGroups(
        [a, b, c], [([a], 1.0), ([c, b], 0.5)], lambda p, lr: Adam(p, lr=lr), lr=0.1
    )
    with pytest.raises(error, match=message):
        groups.step(bad_grads)
    assert all(opt.t == 0 for opt in groups.optimizers)
    for x in (a, b, c):
        np.testing.assert_array_equal(x, np.ones(x.shape))
    assert not groups.optimizers[0].state[0]["first_moment"].any()
    groups.step([np.ones(3), np.ones(2), np.ones(4)])
    np.testing.assert_allclose(a, 0.9)
    np.testing.assert_allclose(b, 0.95)


def _set(path, value):
    """A change of a checkpoint: ``path`` = keys down to the entry to replace."""

    def change(sd):
        target = sd
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    "change, error, message",
    [
        (_set(["param_groups", 0, "lr"], -1.0), ValueError, "state_dict's lr must be >= 0"),
        (_set(["param_groups", 0, "lr"], np.nan), ValueError, "state_dict's lr must be finite"),
        (_set(["param_groups", 0, "lr"], "0.1"), TypeError, "state_dict's lr must be a real"),
        (_set(["state", 1, "exp_avg"], np.array([0.1, np.nan])), ValueError, "exp_avg holds nan"),
        (_set(["state", 1, "exp_avg_sq"], np.array([np.inf, 1.0])), ValueError, "holds inf"),
        (_set(["state", 1, "exp_avg_sq"], np.array([-0.1, 1.0])), ValueError, "must be >= 0"),
        (_set(["state", 1, "exp_avg"], np.ones((1, 2))), ValueError, r"shape \(2,\), got \(1, 2\)"),
        (_set(["state", 1, "exp_avg"], np.ones(2) * 1j), TypeError, "real-valued"),
        (_set(["state", 1, "step"], -1), ValueError, r"params\[1\]: step must be >= 0"),
        (_set(["state", 1, "step"], 2.5), TypeError, r"step must be an integer, got 2\.5"),
        (_set(["state", 1, "step"], np.nan), TypeError, "step must be an integer"),
        (_set(["state", 1, "step"], True), TypeError, "step must be an integer"),
        (_set(["state", 1, "step"], 3), ValueError, r"disagree on the step count: \[2, 3\]"),
        (_set(["state", 1], [1.0]), TypeError, r"state of params\[1\] must be a dict"),
        (_set(["state"], [1.0]), TypeError, r"state_dict\['state'\] must be a dict"),
        (_set(["param_groups", 0, "params"], [0, 0]), ValueError, "lists a parameter id twice"),
    ],
)
def test_a_bad_checkpoint_is_refused_and_loads_nothing(change, error, message):
    saved = Adam([np.ones(3), np.ones(2)], lr=0.1)
    saved.step([np.ones(3), np.ones(2)])
    saved.step([np.ones(3), -np.ones(2)])
    sd = saved.state_dict()
    change(sd)
    opt = Adam([np.zeros(3), np.zeros(2)], lr=0.1)
    opt.step([np.ones(3), np.ones(2)])
    snapshot = _snapshot(opt)
    with pytest.raises(error, match=message):
        opt.load_state_dict(sd)
    _assert_unchanged(opt, snapshot, t=1)
    assert opt.lr == 0.1


def test_a_checkpoint_step_saved_as_a_float_scalar_like_torch_loads():
    saved = Adam(np.ones(3), lr=0.1)
    for _ in range(3):
        saved.step(np.ones(3))
    sd = saved.state_dict()
    sd["state"][0]["step"] = np.array(3.0, dtype=np.float32)  # torch: tensor(3.)
    opt = Adam(np.ones(3), lr=0.1)
    opt.load_state_dict(sd)
    assert opt.t == 3 and isinstance(opt.t, int)
    np.testing.assert_array_equal(opt.state[0]["first_moment"], saved.state[0]["first_moment"])


@pytest.mark.parametrize("stratify", [True, False])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_split_refuses_non_finite_labels_and_features(stratify, bad):
    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0.0, 1.0] * 10)
    y_bad = y.copy()
    y_bad[3] = bad
    with pytest.raises(NonFiniteInputError, match=r"y holds .* at index \(3,\)"):
        train_dev_test_split(X, y_bad, sizes=(0.5, 0.5), stratify=stratify)
    X_bad = X.copy()
    X_bad[5, 1] = bad
    with pytest.raises(ValueError, match=r"X holds .* at index \(5, 1\)"):
        train_dev_test_split(X_bad, y, sizes=(0.5, 0.5), stratify=stratify)
    parts = train_dev_test_split(X, y, sizes=(0.5, 0.5), stratify=stratify)
    assert sum(len(p) for p in parts[1::2]) == 20  # every example in one split


@pytest.mark.parametrize("method", ["transform", "inverse_transform"])
def test_standardizer_checks_both_directions_alike(method):
    X = np.random.default_rng(5).normal(3.0, 2.0, size=(10, 3))
    scaler = Standardizer().fit(X)
    apply = getattr(scaler, method)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3\) .* got \(5, 4\)"):
        apply(np.ones((5, 4)))
    with pytest.raises(TypeError, match="X must be a numpy array, got list"):
        apply([[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="X must be a real-valued array, got dtype complex128"):
        apply(np.ones((2, 3), dtype=complex))
    with pytest.raises(RuntimeError, match=f"{method}\\(\\) called before fit"):
        getattr(Standardizer(), method)(X)
    # integers become float32 (the inverse used to truncate back to integers)
    out = apply(np.ones((2, 3), dtype=int))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, apply(np.ones((2, 3), dtype=np.float32)))


def test_standardizer_round_trip_keeps_the_dtype():
    X = np.random.default_rng(6).normal(3.0, 2.0, size=(10, 3)).astype(np.float32)
    scaler = Standardizer().fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, X, rtol=1e-5)


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"num_checks": -1}, ValueError, "num_checks must be >= 1, got -1"),
        ({"num_checks": 0}, ValueError, "num_checks must be >= 1, got 0"),
        ({"num_checks": 2.5}, TypeError, r"num_checks must be an integer, got 2\.5"),
        ({"num_checks": True}, TypeError, "num_checks must be an integer"),
        ({"zero_tol": -1.0}, ValueError, "zero_tol must be >= 0"),
        ({"zero_tol": np.nan}, ValueError, "zero_tol must be finite"),
        ({"h": 0.0}, ValueError, "h must be > 0"),
        ({"h": np.inf}, ValueError, "h must be finite"),
        ({"l2": -0.1}, ValueError, "l2 must be >= 0"),
        ({"l1": np.nan}, ValueError, "l1 must be finite"),
        ({"seed": "zero"}, TypeError, "seed must be an int"),
    ],
)
def test_check_model_refuses_bad_options(options, error, message):
    model = mlp([3, 4, 2], seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    y = np.array([0, 1, 0, 1, 1])
    with pytest.raises(error, match=message):
        check_model(model, X, y, **options)


def test_check_model_refuses_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="model must be a dlnotes Sequential, got dict"):
        check_model({}, np.ones((2, 3)), np.array([0, 1]))


def test_check_layer_refuses_a_negative_zero_tol():
    with pytest.raises(ValueError, match="zero_tol must be >= 0"):
        check_layer(Linear(3, 2, seed=0), np.ones((4, 3)), zero_tol=-1e-8)


X4 = np.arange(8.0).reshape(4, 2)
Y4 = np.array([0, 1, 0, 1])

FLAGS = {
    "SGD nesterov": lambda v: SGD(np.ones(2), lr=0.1, momentum=0.9, nesterov=v),
    "Adam amsgrad": lambda v: Adam(np.ones(2), amsgrad=v),
    "RMSprop centered": lambda v: RMSprop(np.ones(2), centered=v),
    "check_finite": lambda v: Adagrad(np.ones(2), check_finite=v),
    "EMA bias_correction": lambda v: EMA(np.ones(2), bias_correction=v),
    "ewa bias_correction": lambda v: ewa(np.ones(3), 0.9, bias_correction=v),
    "adam_step bias_correction": lambda v: adam_step(
        np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), 1, bias_correction=v
    ),
    "Standardizer per_feature": lambda v: Standardizer(per_feature=v),
    "Augmenter flip": lambda v: Augmenter((2, 2), flip=v),
    "split stratify": lambda v: train_dev_test_split(X4, Y4, sizes=(0.5, 0.5), stratify=v),
    "minibatches shuffle": lambda v: list(minibatches(X4, Y4, 2, shuffle=v)),
    "minibatches drop_last": lambda v: list(minibatches(X4, Y4, 3, drop_last=v)),
    "EarlyStopping restore_best": lambda v: EarlyStopping(restore_best=v),
    "fit shuffle": lambda v: _fit_once(shuffle=v),
    "fit diagnostics": lambda v: _fit_once(diagnostics=v),
    "fit progress": lambda v: _fit_once(progress=v),
}


def _fit_once(**flag):
    model = mlp([2, 3, 2], seed=0)
    flag.setdefault("progress", False)
    return fit(model, X4, Y4, optimizer=SGD(model.params, lr=0.1), epochs=1, **flag)


@pytest.mark.parametrize("flag", sorted(FLAGS))
@pytest.mark.parametrize("bad", ["False", "no", 0, 1, 1.0])
def test_flags_must_be_bools(flag, bad):
    with pytest.raises(TypeError, match=r"must be True or False, got "):
        FLAGS[flag](bad)


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_flags_accept_numpy_bools(flag):
    FLAGS[flag](np.False_)
    FLAGS[flag](np.True_)


@pytest.mark.parametrize(
    "make",
    [
        lambda: init.normal((2,), seed=-1),
        lambda: init.xavier_uniform((3, 4), seed=-5),
        lambda: dropout_forward(np.ones((2, 2)), 0.5, seed=-1),
        lambda: minibatches(np.ones((4, 2)), None, 2, seed=-1),
        lambda: train_dev_test_split(X4, Y4, sizes=(0.5, 0.5), seed=np.int64(-1)),
        lambda: bayesian_optimization(lambda v: v, np.linspace(0, 1, 5), n_trials=3, seed=-1),
        lambda: NoisyGradient(Quadratic(np.eye(2)), 0.1, seed=-1),
        lambda: shifted_task(seed=-1),
    ],
)
def test_a_negative_seed_is_a_clear_error(make):
    with pytest.raises(ValueError, match=r"seed must be >= 0 .*got -"):
        result = make()
        list(result)  # minibatches is a generator: the seed is read at the first batch


@pytest.mark.parametrize("batch_size", [0, -3])
def test_predict_and_evaluate_refuse_a_batch_size_below_one(batch_size):
    model = mlp([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match=f"batch_size must be >= 1, got {batch_size}"):
        model.predict(X4, batch_size=batch_size)
    with pytest.raises(ValueError, match=f"batch_size must be >= 1, got {batch_size}"):
        evaluate(model, X4, Y4, batch_size=batch_size)
    with pytest.raises(TypeError, match=r"batch_size must be an integer, got 2\.5"):
        model.predict(X4, batch_size=2.5)
    assert model.predict(X4, batch_size=3).shape == (4, 2)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: init.xavier_uniform((0, 0)), r"xavier_uniform needs fan_in \+ fan_out >= 1"),
        (lambda: init.xavier_normal((0, 0)), r"xavier_normal needs fan_in \+ fan_out >= 1"),
        (lambda: init.kaiming_normal((0, 3)), "kaiming_normal with mode='fan_in' needs fan_in"),
        (lambda: init.he_uniform((0, 3)), "kaiming_uniform with mode='fan_in' needs fan_in"),
        (
            lambda: init.kaiming_uniform((3, 0), mode="fan_out"),
            r"mode='fan_out' needs fan_out >= 1 .* got shape \(3, 0\)",
        ),
        (lambda: init.torch_default((0, 3)), "fan_in must be > 0, got 0"),
    ],
)
def test_initializers_refuse_a_zero_fan_clearly(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_initializers_still_give_empty_arrays_where_the_scale_is_defined():
    assert init.normal((0,), seed=0).shape == (0,)
    assert init.xavier_uniform((0, 5), seed=0).shape == (0, 5)
    assert init.kaiming_normal((3, 0), seed=0).shape == (3, 0)  # fan_in = 3


def test_the_gradient_check_gives_no_warning_for_large_finite_gradients():
    x = np.array([1.0, 2.0])
    opt = SGD(x, lr=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # g . g overflows: the check must look again, quietly
        opt.step(np.array([1e300, -1e300]))
    np.testing.assert_allclose(x, [0.0, 3.0])


# --------------------------------------------------------------------------------------------
# Augmentation and Bayesian optimization
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda im: augment.random_crop(im, 2.5), TypeError, "size .* must be an integer, got 2.5"),
        (lambda im: augment.random_crop(im, (4, 2.5)), TypeError, r"size\[1\] must be an integer"),
        (lambda im: augment.random_brightness(im, 0.1, clip=(1.0, 0.0)), ValueError, r"clip\[1\]"),
        (lambda im: augment.add_noise(im, 0.1, clip=0.5), TypeError, "clip must be a pair"),
        (lambda im: augment.add_noise((im * 255).astype(np.uint8), 0.1), TypeError, "dtype uint8"),
        (lambda im: augment.add_noise(im.tolist(), 0.1), TypeError, "array, got list"),
        (lambda im: Augmenter((1, -8, 8)), ValueError, r"image_shape\[1\] must be >= 1, got -8"),
        (lambda im: Augmenter(64), ValueError, "image_shape must be"),
    ],
)
def test_augmentations_refuse_malformed_sizes_and_clips(call, error, message):
    """A reversed clip used to give an image of one constant value, and a float crop size
    an unpacking error."""
    with pytest.raises(error, match=message):
        call(np.random.default_rng(0).random((2, 1, 8, 8)))


def test_augmentations_still_take_int_and_pair_sizes_and_no_clip():
    images = np.random.default_rng(0).random((2, 1, 8, 8))
    assert augment.random_crop(images, 4, seed=0).shape == (2, 1, 4, 4)
    assert augment.random_crop(images, (np.int64(3), 5), seed=0).shape == (2, 1, 3, 5)
    assert augment.add_noise(images, 5.0, clip=None, seed=0).max() > 1.0
    assert augment.add_noise(images, 5.0, clip=[0, 1], seed=0).max() <= 1.0


def test_bayesian_optimization_names_an_objective_that_returns_no_number():
    with pytest.raises(TypeError, match=r"objective\(.*\) must be a real number, got array"):
        bayesian_optimization(lambda x: np.array([x, x]), np.linspace(0, 1, 5), n_trials=3)
    run = bayesian_optimization(lambda x: np.array(x**2), np.linspace(0, 1, 5), n_trials=3)
    assert len(run.y) == 3  # a 0-d array is one number


def test_searches_name_an_objective_of_the_wrong_arity_and_narrow_space_its_arguments():
    from dlnotes import tuning

    space = {"x": tuning.Uniform(0.0, 1.0), "y": tuning.Uniform(0.0, 1.0)}
    with pytest.raises(TypeError, match=r"calls objective\(config, seed, budget\), but"):
        tuning.successive_halving(lambda c, s: 1.0, space, 9, 1, 9)
    with pytest.raises(TypeError, match=r"calls objective\(config, seed\), but"):
        tuning.random_search(lambda c: 1.0, space, 3)
    results = tuning.random_search(tuning.toy_objective, space, 8)
    with pytest.raises(ValueError, match=r"keep_fraction must be <= 1\.0, got 1\.5"):
        tuning.narrow_space(results, 1.5)
    with pytest.raises(TypeError, match="results must be the Results of a search, got list"):
        tuning.narrow_space([1, 2], 0.5)


def test_checkpoint_names_a_function_that_is_none_or_returns_no_tensor():
    from dlnotes import autograd as A

    x = A.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match="fn must be a function of one Tensor, got int"):
        A.checkpoint(3, x)
    with pytest.raises(TypeError, match="fn must return a Tensor, got ndarray"):
        A.checkpoint(lambda t: t.value * 2, x)


def test_a_model_refuses_float16_and_a_file_that_is_no_saved_model(tmp_path):
    model = mlp([4, 3, 2], seed=0)
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got float16"):
        model.astype("float16")
    (tmp_path / "junk.npz").write_text("not an archive")
    with pytest.raises(ValueError, match=r"is not a model saved by Sequential\.save"):
        model.load(tmp_path / "junk.npz")
    np.save(tmp_path / "one.npy", np.ones(3))
    with pytest.raises(ValueError, match="holds one array, not a model"):
        model.load(tmp_path / "one.npy")
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "missing.npz")
    model.save(tmp_path / "m.npz")
    again = mlp([4, 3, 2], seed=1).load(tmp_path / "m.npz")
    for p, q in zip(model.params, again.params):
        np.testing.assert_array_equal(p, q)


def test_layer_diagnostics_name_a_wrong_model_or_layer_index():
    from dlnotes.train import layer_diagnostics

    model = mlp([4, 3, 2], seed=0)
    model.record = True
    model.forward(np.ones((5, 4)))
    with pytest.raises(TypeError, match="model must be a Sequential, got list"):
        layer_diagnostics([1, 2])
    with pytest.raises(ValueError, match=r"update_ratios names layers \[1\], not layers with"):
        layer_diagnostics(model, {1: 1e-3})  # layer 1 is the ReLU
    rows = layer_diagnostics(model, {0: 1e-3, 2: 2e-3})
    assert [r.get("update_ratio") for r in rows] == [1e-3, None, 2e-3]


def test_the_torch_bridge_names_what_is_no_state_dict_and_an_optimizer_of_another_model():
    from dlnotes import torch_bridge

    model = mlp([4, 3, 2], seed=0)
    with pytest.raises(TypeError, match="state must be a dict name -> array"):
        torch_bridge.model_state_to_torch([1])
    with pytest.raises(TypeError, match="model must be a dlnotes Sequential, got list"):
        torch_bridge.torch_sequential([1])
    opt = Adam(model.params, lr=1e-3)
    opt.step([np.ones_like(p) for p in model.params])
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 \(0\.W\) has shape \(4, 3\)"):
        torch_bridge.optimizer_state_to_torch(opt.state_dict(), mlp([4, 5, 2], seed=0))
    with pytest.raises(ValueError, match="holds 4 parameters and the model 6"):
        torch_bridge.optimizer_state_from_torch(opt.state_dict(), mlp([4, 5, 5, 2], seed=0))
    with pytest.raises(ValueError, match="one entry in 'param_groups'"):
        torch_bridge.optimizer_state_from_torch({"state": {}, "param_groups": []}, model)


def test_the_autograd_dropout_refuses_a_mask_that_is_not_0_1_like_the_layers():
    from dlnotes import autograd as A

    x = A.Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    scaled = np.array([[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]])  # a mask already scaled by 1/(1 - p)
    with pytest.raises(ValueError, match=r"dropout: mask must hold only 0 and 1.*2\.0"):
        A.dropout(x, 0.5, scaled)
    with pytest.raises(ValueError, match=r"mask must have the shape of X \(2, 3\), got \(3, 2\)"):
        A.dropout(x, 0.5, np.ones((3, 2)))
    out = A.dropout(x, 0.5, scaled / 2)
    np.testing.assert_array_equal(out.value, x.value * scaled)
    np.testing.assert_array_equal(A.dropout(x, 0.5, scaled > 0).value, out.value)


def test_plot_run_names_what_is_no_run():
    from dlnotes.capstone.runs import load_runs, plot_run

    with pytest.raises(TypeError, match=r"run must be a Run \(one value of load_runs\(\).*got int"):
        plot_run(3)
    with pytest.raises(TypeError, match="got str"):
        plot_run("A")  # the label, not the run
    assert "A" in load_runs()


def test_running_statistics_refuse_what_would_ruin_them():
    """Issue 16 item 6, the public in-place update: a NaN batch mean, a negative batch variance
    or an update that overflows is refused and nothing changes."""
    from dlnotes._validate import NonFiniteInputError
    from dlnotes.layers import update_running_stats_in_place

    rm, rv = np.zeros(3), np.ones(3)
    bad = [
        (np.array([0.0, np.nan, 0.0]), np.ones(3), 0.1, NonFiniteInputError, "batch_mean"),
        (np.zeros(3), -np.ones(3), 0.1, ValueError, "batch_var must be >= 0"),
        (np.zeros(3), np.full(3, 1.5e308), 1.0, NonFiniteInputError, "keep running_var finite"),
    ]
    for mean, var, momentum, error, words in bad:
        with pytest.raises(error, match=words):
            update_running_stats_in_place(rm, rv, mean, var, 2, momentum)
        assert np.array_equal(rm, np.zeros(3)) and np.array_equal(rv, np.ones(3))
    rv32 = np.ones(3, dtype=np.float32)  # finite in float64, beyond float32's range
    with pytest.raises(NonFiniteInputError, match="keep running_var finite"):
        update_running_stats_in_place(None, rv32, np.zeros(3), np.full(3, 5e39), 10, 0.1)
    assert np.array_equal(rv32, np.ones(3))


def test_batch_norm_names_a_variance_beyond_float_range_as_such():
    """Finite inputs whose variance overflows are not called 'inf or NaN'."""
    from dlnotes.layers import batchnorm_forward

    X = np.array([[1.3e154, 0.0], [-1.3e154, 1.0]])
    rm, rv = np.zeros(2), np.ones(2)
    with pytest.raises(ValueError, match="variance is beyond float range") as info:
        batchnorm_forward(X, np.ones(2), np.zeros(2), rm, rv)
    assert "inf or NaN" not in str(info.value)
    assert np.array_equal(rm, np.zeros(2)) and np.array_equal(rv, np.ones(2))


def test_steps_to_target_validates_like_steps_to_stay():
    from dlnotes.landscapes import steps_to_stay, steps_to_target

    for fs, f0, target, error in [
        ([1.0, 0.1], "x", 0.1, TypeError),
        (3.0, 1.0, 0.1, ValueError),
        ([1.0, 0.1], float("nan"), 0.5, ValueError),
        ([1.0, 0.1], 1.0, -0.5, ValueError),
    ]:
        for count in (steps_to_target, steps_to_stay):
            with pytest.raises(error):
                count(fs, f0, target)
    assert steps_to_target([[1.0, 0.5, 0.1], [1.0, 1.0, 1.0]], 1.0, 0.2).tolist() == [2, -1]
