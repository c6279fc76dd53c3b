"""Optimizers and schedules refuse what would silently go wrong (API review, findings 1-4):
a finite gradient that would put inf into a squared-gradient buffer, a misspelled
hyperparameter attribute, float16 parameters, and schedules returning unusable rates."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes import schedules as S
from dlnotes._validate import NonFiniteError, NonFiniteInputError
from dlnotes.optim import CHUNK, LBFGS, SGD, Adagrad, Adam, AdamW, RMSprop

SQUARING = [
    (Adam, {"lr": 0.1}),
    (AdamW, {"lr": 0.1}),
    (Adam, {"lr": 0.1, "amsgrad": True}),
    (RMSprop, {"lr": 0.01}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (Adagrad, {"lr": 0.1}),
]
SQUARING_IDS = [f"{cls.__name__}-{'-'.join(map(str, hyper.values()))}" for cls, hyper in SQUARING]
EVERY = [*SQUARING, (SGD, {"lr": 0.1, "momentum": 0.9})]
EVERY_IDS = [*SQUARING_IDS, "SGD-momentum"]


def _snapshot(opt):
    return (
        [p.copy() for p in opt.params],
        [{k: v.copy() for k, v in s.items()} for s in opt.state],
        opt.t,
    )


def _assert_unchanged(opt, before):
    params, state, t = before
    for p, q in zip(opt.params, params):
        np.testing.assert_array_equal(p, q)
    for s, r in zip(opt.state, state):
        assert s.keys() == r.keys()
        for k in s:
            np.testing.assert_array_equal(s[k], r[k])
    assert opt.t == t


def _all_state_finite(opt):
    return all(np.all(np.isfinite(v)) for s in opt.state for v in s.values())


# -- finding 1: a finite gradient must not freeze a squared-gradient buffer at inf -----------------


@pytest.mark.parametrize("check_finite", [True, False])
@pytest.mark.parametrize(("cls", "hyper"), SQUARING, ids=SQUARING_IDS)
def test_a_float32_gradient_on_float64_params_is_squared_in_float64(cls, hyper, check_finite):
    """The reviewer's repro: 1e20 in float32 squared overflows, in float64 it does not. The
    step's arithmetic runs in the parameter's dtype (as in torch), so the optimizer keeps
    moving instead of freezing with an inf buffer."""
    x = np.ones(3)
    opt = cls(x, **hyper, check_finite=check_finite)
    opt.step(np.full(3, 1e20, np.float32))
    assert _all_state_finite(opt)
    after_first = x.copy()
    opt.step(np.full(3, 1e20))  # a frozen coordinate (inf buffer) would not move
    assert np.all(np.isfinite(x)) and np.all(x < after_first)
    assert opt.state_dict()["state"][0]["step"] == 2  # a checkpoint that load_state_dict takes
    cls(np.ones(3), **hyper).load_state_dict(opt.state_dict())


DTYPE_CASES = [
    *[(cls, hyper, "f8", "f4") for cls, hyper in SQUARING],  # SGD computed this in float64
    *[(cls, hyper, "f4", "f8") for cls, hyper in EVERY],
]


@pytest.mark.parametrize(
    ("cls", "hyper", "param_dtype", "grad_dtype"),
    DTYPE_CASES,
    ids=[f"{c[2]}-{c[3]}-{n}" for c, n in zip(DTYPE_CASES, [*SQUARING_IDS, *EVERY_IDS])],
)
def test_a_gradient_of_another_dtype_gives_the_step_of_its_cast_to_the_parameters_dtype(
    cls, hyper, param_dtype, grad_dtype
):
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(CHUNK + 7,)).astype(param_dtype)
    a, b = x0.copy(), x0.copy()
    opt_a, opt_b = cls(a, **hyper), cls(b, **hyper)
    for _ in range(3):
        g = (rng.normal(size=x0.shape) * 10).astype(grad_dtype)
        opt_a.step(g)
        opt_b.step(g.astype(param_dtype))
        assert a.dtype == np.dtype(param_dtype)
        np.testing.assert_array_equal(a, b)
        for s, r in zip(opt_a.state, opt_b.state):
            for k in s:
                np.testing.assert_array_equal(s[k], r[k])


@pytest.mark.parametrize(("cls", "hyper"), SQUARING, ids=SQUARING_IDS)
@pytest.mark.parametrize("where", ["first", "later array", "later chunk"])
def test_a_gradient_whose_square_overflows_float32_is_refused_and_changes_nothing(
    cls, hyper, where
):
    """float32 parameters, a finite gradient entry of 1e20: its square is inf in float32. The
    step is refused before anything changes, as for a NaN gradient."""
    rng = np.random.default_rng(1)
    params = [rng.normal(size=s).astype(np.float32) for s in [(3, 2), (CHUNK + 5,)]]
    grads = [rng.normal(size=p.shape).astype(np.float32) for p in params]
    opt = cls(params, **hyper)
    opt.step(grads)
    before = _snapshot(opt)
    i, index, shown = {
        "first": (0, (1, 1), r"grads\[0\].*index \(1, 1\)"),
        "later array": (1, (3,), r"grads\[1\].*index \(3,\)"),
        "later chunk": (1, (CHUNK + 2,), rf"grads\[1\].*index \({CHUNK + 2},\)"),
    }[where]
    bad = [g.copy() for g in grads]
    bad[i][index] = 1e20
    with pytest.raises(NonFiniteError, match=shown) as info:
        opt.step(bad)
    assert "squared overflows float32" in str(info.value)
    assert "nothing was updated" in str(info.value)
    _assert_unchanged(opt, before)
    opt.step(grads)  # the optimizer still works
    assert _all_state_finite(opt)
    # entries whose squares are finite but only sum past float32's range are accepted
    x = np.zeros(4, np.float32)
    cls(x, **hyper).step(np.full(4, 1.5e19, np.float32))  # each square 2.25e38 < 3.4e38
    assert np.all(np.isfinite(x)) and np.all(x < 0)
    # and check_finite=False refuses nothing (the buffer then holds inf, as asked)
    x = np.zeros(3, np.float32)
    unchecked = cls(x, **hyper, check_finite=False)
    with np.errstate(over="ignore", invalid="ignore"):
        unchecked.step(np.full(3, 1e20, np.float32))
    assert unchecked.t == 1 and not _all_state_finite(unchecked)


def test_a_float64_gradient_that_overflows_float32_parameters_is_refused_and_changes_nothing():
    x = np.ones(3, np.float32)
    opt = SGD(x, lr=0.1, momentum=0.9)
    opt.step(np.ones(3))
    before = _snapshot(opt)
    with pytest.raises(NonFiniteInputError, match=r"grads .*1e\+40.*float32"):
        opt.step(np.array([0.0, 1e40, 0.0]))
    _assert_unchanged(opt, before)


def test_adagrad_whose_sum_of_squares_overflows_raises_naming_the_buffer():
    """Each gradient squares to a finite 1e38, but the sum passes float32's largest value at
    the 4th step: the coordinate would then stop for good, silently. The step is completed (as
    for a parameter that overflows) and raises naming the buffer."""
    x = np.ones(3, np.float32)
    opt = Adagrad(x, lr=0.1)
    for _ in range(3):
        opt.step(np.full(3, 1e19, np.float32))
    with pytest.raises(
        NonFiniteError, match=r"state of params: grad_sum is not finite after step 4"
    ):
        opt.step(np.full(3, 1e19, np.float32))


@pytest.mark.parametrize(
    ("cls", "hyper", "buffer"),
    [
        (Adam, {"lr": 0.1, "weight_decay": 10.0}, "second_moment"),
        (RMSprop, {"lr": 0.01, "weight_decay": 10.0}, "grad_squared"),
        (Adagrad, {"lr": 0.1, "weight_decay": 10.0}, "grad_sum"),
    ],
)
def test_a_weight_decay_term_whose_square_overflows_raises_naming_the_buffer(cls, hyper, buffer):
    x = np.full(3, 1e19, np.float32)  # g + 10 x = 1e20: squared, inf in float32
    opt = cls(x, **hyper)
    with pytest.raises(NonFiniteError, match=rf"state of params: {buffer} is not finite"):
        opt.step(np.zeros(3, np.float32))


# -- finding 2: a misspelled hyperparameter attribute is refused ----------------------------------


@pytest.mark.parametrize(
    ("make", "name", "words"),
    [
        (lambda x: SGD(x, lr=0.1), "learning_rate", r"SGD has no hyperparameter 'learning_rate' "
         r"\(its hyperparameters: lr, momentum, dampening, weight_decay, nesterov\)"),
        (lambda x: Adam(x), "momentum", r"Adam has no hyperparameter 'momentum' "
         r"\(its hyperparameters: lr, betas, eps, weight_decay, amsgrad\)"),
        (lambda x: Adam(x), "beta_1", r"Adam has no hyperparameter 'beta_1'.*Did you mean 'beta1'"),
        (lambda x: RMSprop(x), "epsilon", r"RMSprop has no hyperparameter 'epsilon'"),
        (lambda x: Adagrad(x), "lrdecay", r"Did you mean 'lr_decay'"),
        (lambda x: LBFGS(x), "weight_decay", r"LBFGS has no hyperparameter 'weight_decay'"),
    ],
)  # fmt: skip
def test_a_misspelled_or_foreign_hyperparameter_is_refused_and_changes_nothing(make, name, words):
    x = np.ones(3)
    opt = make(x)
    before = dict(opt.hyperparameters)
    with pytest.raises(AttributeError, match=words):
        setattr(opt, name, 5.0)
    assert not hasattr(opt, name)
    assert opt.hyperparameters == before


def test_hyperparameters_attributes_and_subclass_attributes_can_still_be_assigned():
    opt = Adam(np.ones(3), lr=0.1)
    opt.lr, opt.eps, opt.betas, opt.amsgrad = 0.2, 1e-6, (0.8, 0.9), True
    opt.t, opt.check_finite = 5, False  # attributes the constructor set
    opt._scratch = 1  # private names are not checked
    opt.step = opt.step  # a method of the class
    assert (opt.lr, opt.eps, opt.beta1, opt.beta2) == (0.2, 1e-6, 0.8, 0.9)

    class Warm(SGD):
        def __init__(self, params, lr=0.1, momentum=0.0, warmup=10):
            super().__init__(params, lr=lr, momentum=momentum)
            self.n_warm = warmup  # set after super().__init__(): still the constructor

    warm = Warm([np.zeros(2)])
    warm.n_warm = 3
    assert warm.n_warm == 3
    with pytest.raises(AttributeError, match=r"Warm has no hyperparameter 'n_wram'.*'n_warm'"):
        warm.n_wram = 3


# -- finding 3: float16 parameters ----------------------------------------------------------------


@pytest.mark.parametrize("cls", [SGD, Adam, RMSprop, Adagrad, LBFGS])
def test_float16_parameters_are_refused_with_the_dtypes_accepted(cls):
    with pytest.raises(
        TypeError, match=r"params\[1\] must have dtype float32 or float64, got float16"
    ):
        cls([np.ones(2), np.ones(3, np.float16)])


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8, reason="longdouble is float64 here")
def test_longdouble_parameters_are_refused():
    with pytest.raises(TypeError, match=r"must have dtype float32 or float64"):
        Adam(np.ones(2, np.longdouble))


# -- finding 4: schedules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "step", "shown"),
    [
        (lambda t: -1.0 * np.ones_like(t, dtype=float), 3, r"-1\.0 at step 3"),
        (lambda t: np.nan * np.ones_like(t, dtype=float), 3, r"nan at step 3"),
        (lambda t: np.where(t > 4, np.inf, 0.1), np.arange(10), r"inf at step 5"),
        (lambda t: -0.5, np.arange(3), r"-0\.5"),
    ],
)
def test_a_schedule_whose_rule_returns_a_negative_or_non_finite_rate_raises_naming_it(
    rule, step, shown
):
    with pytest.raises(ValueError, match=rf"schedule my_rule returned the learning rate {shown}"):
        S.Schedule(rule, "my_rule")(step)


def test_apply_schedule_with_a_negative_rate_leaves_the_learning_rate_alone():
    opt = SGD(np.ones(2), lr=0.1)
    bad = S.Schedule(lambda t: np.where(t < 2, 0.1, -0.1), "bad")
    with pytest.raises(ValueError, match=r"schedule bad .* -0\.1 at step 2"):
        S.apply_schedule(opt, bad, 2)
    assert opt.lr == 0.1


def test_a_negative_rate_from_an_inner_schedule_is_named_by_the_inner_schedule():
    inner = S.Schedule(lambda t: np.where(t < 3, 0.1, -0.1), "inner")
    with pytest.raises(ValueError, match=r"schedule inner returned .* -0\.1 at step 3"):
        S.linear_warmup(inner, 2)(np.arange(10))


@pytest.mark.parametrize(("lr_start", "lr_end"), [(1.0, 1e-5), (0.1, 0.1)])
def test_lr_range_test_must_ramp_up(lr_start, lr_end):
    with pytest.raises(ValueError, match=rf"lr_end must be > lr_start = {lr_start}"):
        S.lr_range_test(lr_start, lr_end, 100)


def test_a_step_beyond_int64_says_which_steps_are_accepted():
    with pytest.raises(ValueError, match=r"step must be an integer from 0 to 9223372036854775807"):
        S.constant(0.1)(10**20)
    assert S.constant(0.1)(2**63 - 1) == 0.1
    assert S.constant(0.1)(1e20) == 0.1
