"""The optimizer API: parameters updated in place, state, lr changes, dtypes, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes._validate import NonFiniteError
from dlnotes.optim import CHUNK, LBFGS, SGD, Adagrad, Adam, AdamW, RMSprop

ALL = [
    (SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    (RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    (Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    (AdamW, {"lr": 0.01}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(ALL)]


def make_problem(seed, shapes, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(4)]
    return params, grads


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
def test_updates_in_place_and_leaves_grads_alone(cls, hyper):
    params, grads = make_problem(0, [(3, 4), (5,), ()])
    before = [p.copy() for p in params]
    ids = [id(p) for p in params]
    opt = cls(params, **hyper)
    for g in grads:
        g_copy = [a.copy() for a in g]
        opt.step(g)
        for a, b in zip(g, g_copy):
            np.testing.assert_array_equal(a, b)
    assert [id(p) for p in opt.params] == ids
    assert all(not np.array_equal(p, b) for p, b in zip(params, before))
    assert opt.t == len(grads)


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
def test_single_array_without_ceremony(cls, hyper):
    (x,), grads = make_problem(1, [(2,)])
    y = x.copy()
    single = cls(x, **hyper)
    listed = cls([y], **hyper)
    for (g,) in grads:
        single.step(g)
        listed.step([g])
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
def test_float32_stays_float32_and_tracks_float64(cls, hyper):
    p64, g64 = make_problem(2, [(7, 3)])
    p32 = [p.astype(np.float32) for p in p64]
    o64, o32 = cls(p64, **hyper), cls(p32, **hyper)
    for g in g64:
        o64.step(g)
        o32.step([a.astype(np.float32) for a in g])
    assert p32[0].dtype == np.float32
    assert all(buf.dtype == np.float32 for buf in o32.state[0].values())
    np.testing.assert_allclose(p32[0], p64[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
def test_chunked_large_parameter_equals_elementwise_small_ones(cls, hyper):
    """A parameter longer than CHUNK gives the same numbers as the same values split up."""
    rng = np.random.default_rng(3)
    n = 2 * CHUNK + 123
    big = rng.standard_normal(n)
    grads = [rng.standard_normal(n) for _ in range(3)]
    pieces = [big[:100].copy(), big[100:].copy()]
    o_big, o_pieces = cls(big, **hyper), cls(pieces, **hyper)
    for g in grads:
        o_big.step(g)
        o_pieces.step([g[:100], g[100:]])
    np.testing.assert_array_equal(big, np.concatenate(pieces))


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
def test_non_contiguous_parameters_are_updated_in_place(cls, hyper):
    rng = np.random.default_rng(4)
    base = rng.standard_normal((6, 8))
    fortran = np.asfortranarray(base.copy())
    strided = np.zeros((6, 16))
    view = strided[:, ::2]
    view[...] = base
    contiguous = base.copy()
    grads = [rng.standard_normal((6, 8)) for _ in range(3)]
    opts = [cls(p, **hyper) for p in (contiguous, fortran, view)]
    for g in grads:
        for o in opts:
            o.step(np.asfortranarray(g) if o is opts[1] else g)
    np.testing.assert_array_equal(fortran, contiguous)
    np.testing.assert_array_equal(view, contiguous)
    assert np.all(strided[:, 1::2] == 0.0)  # the gaps are untouched


def test_state_names_are_readable_and_documented():
    x = np.ones(3)
    assert set(SGD(x, momentum=0.9).state[0]) == {"velocity"}
    assert SGD(x).state[0] == {}
    assert set(Adagrad(x).state[0]) == {"grad_sum"}
    assert set(RMSprop(x).state[0]) == {"grad_squared"}
    assert set(RMSprop(x, momentum=0.9, centered=True).state[0]) == {
        "grad_squared",
        "grad_avg",
        "velocity",
    }
    assert set(Adam(x).state[0]) == {"first_moment", "second_moment"}
    assert set(Adam(x, amsgrad=True).state[0]) == {
        "first_moment",
        "second_moment",
        "max_second_moment",
    }
    for cls in (SGD, Adagrad, RMSprop, Adam):
        assert cls.torch_state_names  # a mapping to torch.optim's keys for the conventions table
    assert Adam.torch_state_names["first_moment"] == "exp_avg"


def test_lr_can_change_between_steps_and_is_validated():
    x = np.array([1.0])
    opt = SGD(x, lr=0.5)
    opt.step(np.array([1.0]))
    opt.lr = 0.25
    opt.step(np.array([1.0]))
    assert x[0] == pytest.approx(1.0 - 0.5 - 0.25)
    with pytest.raises(ValueError, match=r"lr must be >= 0"):
        opt.lr = -0.1
    with pytest.raises(TypeError, match="lr must be a real number"):
        opt.lr = "fast"
    assert opt.lr == 0.25


def test_hyperparameters_and_repr():
    opt = Adam([np.zeros((2, 3)), np.zeros(4)], lr=0.01, betas=(0.8, 0.9))
    assert opt.hyperparameters == {
        "lr": 0.01,
        "betas": (0.8, 0.9),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
    }
    assert repr(opt).startswith("Adam([(2, 3), (4,)], lr=0.01, betas=(0.8, 0.9)")
    assert "t=0" in repr(opt)


def test_grads_as_tuple_and_lists_of_numbers():
    x = np.array([1.0, 2.0])
    opt = SGD([x], lr=0.5)
    opt.step(([2.0, 2.0],))
    np.testing.assert_array_equal(x, [0.0, 1.0])


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("params", "exc", "pattern"),
    [
        (np.array([1, 2, 3]), TypeError, r"params must have a floating dtype .*int"),
        ([np.zeros(2), np.array([1, 2])], TypeError, r"params\[1\] must have a floating dtype"),
        ([[1.0, 2.0]], TypeError, r"params\[0\] must be a numpy array .*got list"),
        ([1.0, 2.0], TypeError, r"params\[0\] must be a numpy array .*got float"),
        ("weights", TypeError, r"params must be a float numpy array or a list"),
        ([], ValueError, r"params must hold at least one array"),
    ],
)
def test_bad_params(params, exc, pattern):
    with pytest.raises(exc, match=pattern):
        SGD(params, lr=0.1)


def test_read_only_and_repeated_params():
    x = np.zeros(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="params must be writeable"):
        Adam(x)
    y = np.zeros(3)
    with pytest.raises(ValueError, match=r"params\[1\] is the same array"):
        Adam([y, y])


def test_mismatched_grads():
    opt = Adam([np.zeros((2, 3)), np.zeros(4)])
    with pytest.raises(
        ValueError, match=r"grads must have one entry per parameter: expected 2, got 1"
    ):
        opt.step([np.zeros((2, 3))])
    with pytest.raises(
        ValueError,
        match=r"grads\[1\] must have the shape of params\[1\], \(4,\), "
        r"got \(5,\)",
    ):
        opt.step([np.zeros((2, 3)), np.zeros(5)])
    with pytest.raises(
        ValueError,
        match=r"grads\[0\] must have the shape of params\[0\], \(2, 3\), "
        r"got \(3, 2\)",
    ):
        opt.step([np.zeros((3, 2)), np.zeros(4)])
    with pytest.raises(TypeError, match=r"grads must be a list of 2 arrays .*single array"):
        opt.step(np.zeros(4))
    with pytest.raises(TypeError, match=r"grads must be a list of 2 arrays .*got dict"):
        opt.step({"w": np.zeros(4)})
    with pytest.raises(TypeError, match=r"grads\[1\] must be a real-valued array"):
        opt.step([np.zeros((2, 3)), np.array(["a"] * 4)])
    assert opt.t == 0  # nothing happened
    single = SGD(np.zeros(3), lr=0.1)
    with pytest.raises(
        ValueError, match=r"grads must have the shape of params, \(3,\), got \(2,\)"
    ):
        single.step(np.zeros(2))


@pytest.mark.parametrize(
    ("cls", "hyper", "exc", "pattern"),
    [
        (SGD, {"lr": -0.1}, ValueError, r"lr must be >= 0\.0, got -0\.1"),
        (Adam, {"lr": float("nan")}, ValueError, r"lr must be finite"),
        (SGD, {"momentum": -0.5}, ValueError, r"momentum must be >= 0\.0, got -0\.5"),
        (SGD, {"momentum": 1.0}, ValueError, r"momentum must be < 1\.0, got 1\.0"),
        (SGD, {"momentum": 0.9, "dampening": 1.5}, ValueError, r"dampening must be <= 1\.0"),
        (SGD, {"weight_decay": -1e-4}, ValueError, r"weight_decay must be >= 0\.0"),
        (
            SGD,
            {"nesterov": True},
            ValueError,
            r"nesterov=True requires momentum > 0 and dampening == 0, got momentum=0\.0",
        ),
        (
            SGD,
            {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
            ValueError,
            r"nesterov=True requires .*dampening=0\.1",
        ),
        (SGD, {"nesterov": 1, "momentum": 0.9}, TypeError, r"nesterov must be True or False"),
        (Adagrad, {"lr_decay": -0.1}, ValueError, r"lr_decay must be >= 0\.0"),
        (
            Adagrad,
            {"initial_accumulator_value": -1.0},
            ValueError,
            r"initial_accumulator_value must be >= 0\.0",
        ),
        (Adagrad, {"eps": -1e-10}, ValueError, r"eps must be >= 0\.0"),
        (RMSprop, {"alpha": 1.0}, ValueError, r"alpha must be < 1\.0, got 1\.0"),
        (RMSprop, {"alpha": -0.1}, ValueError, r"alpha must be >= 0\.0"),
        (RMSprop, {"momentum": 1.2}, ValueError, r"momentum must be < 1\.0"),
        (RMSprop, {"centered": "yes"}, TypeError, r"centered must be True or False"),
        (
            Adam,
            {"betas": (1.0, 0.999)},
            ValueError,
            r"betas\[0\] \(beta1\) must be < 1\.0, got 1\.0",
        ),
        (Adam, {"betas": (0.9, -0.1)}, ValueError, r"betas\[1\] \(beta2\) must be >= 0\.0"),
        (Adam, {"betas": 0.9}, TypeError, r"betas must be a pair \(beta1, beta2\)"),
        (Adam, {"betas": (0.9, 0.99, 0.999)}, TypeError, r"betas must be a pair"),
        (AdamW, {"weight_decay": -0.01}, ValueError, r"weight_decay must be >= 0\.0"),
        (Adam, {"amsgrad": None}, TypeError, r"amsgrad must be True or False"),
        (Adam, {"eps": -1.0}, ValueError, r"eps must be >= 0\.0"),
        (Adam, {"check_finite": "no"}, TypeError, r"check_finite must be True or False"),
    ],
)
def test_bad_hyperparameters(cls, hyper, exc, pattern):
    with pytest.raises(exc, match=pattern):
        cls(np.zeros(2), **hyper)


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_non_finite_gradient_is_reported_with_index_and_step(cls, hyper, bad_value):
    params, grads = make_problem(5, [(3,), (2, 2)])
    opt = cls(params, **hyper)
    opt.step(grads[0])
    bad = [grads[1][0], grads[1][1].copy()]
    bad[1][1, 0] = bad_value
    with pytest.raises(
        NonFiniteError, match=r"grads\[1\] is not finite at step 2: .*index \(1, 0\)"
    ):
        opt.step(bad)


def test_non_finite_gradient_in_a_later_chunk_gives_the_full_index():
    x = np.zeros((3, CHUNK))
    g = np.ones((3, CHUNK))
    g[2, 5] = np.nan
    with pytest.raises(NonFiniteError, match=r"grads is not finite at step 1: .*index \(2, 5\)"):
        Adam(x).step(g)


def test_diverging_parameter_is_reported_with_index_and_step():
    x = np.array([1.0, 1e307, 2.0])
    opt = SGD(x, lr=1.0)
    opt.step(np.array([0.0, -1e307, 0.0]))  # 2e307 is still finite
    with pytest.raises(
        NonFiniteError, match=r"params is not finite after step 2: .*index \(1,\) = inf"
    ):
        opt.step(np.array([0.0, -1.7e308, 0.0]))


def test_non_finite_initial_parameter_and_opt_out():
    with pytest.raises(NonFiniteError, match=r"params\[0\] is not finite before the first step"):
        Adam([np.array([1.0, np.inf])])
    x = np.array([1.0, 2.0])
    opt = SGD(x, lr=0.1, check_finite=False)
    opt.step(np.array([np.nan, 1.0]))  # reported nowhere, by request
    assert np.isnan(x[0])
    assert x[1] == pytest.approx(1.9)


def test_large_finite_values_are_not_false_alarms():
    x = np.full(10, 3e38, dtype=np.float32)  # the sum overflows, the entries do not
    opt = SGD(x, lr=0.0)
    opt.step(np.full(10, 3e38, dtype=np.float32))
    assert np.all(x == np.float32(3e38))


def test_lbfgs_bad_input():
    with pytest.raises(
        ValueError, match=r"line_search_fn must be None or 'strong_wolfe', got 'armijo'"
    ):
        LBFGS(np.zeros(2), line_search_fn="armijo")
    with pytest.raises(ValueError, match=r"history_size must be >= 1"):
        LBFGS(np.zeros(2), history_size=0)
    with pytest.raises(TypeError, match=r"max_iter must be an integer"):
        LBFGS(np.zeros(2), max_iter=2.5)
    with pytest.raises(ValueError, match=r"lr must be >= 0"):
        LBFGS(np.zeros(2), lr=-1.0)
    opt = LBFGS(np.zeros(2))
    with pytest.raises(TypeError, match=r"closure, a function returning \(loss, grads\)"):
        opt.step(np.zeros(2))
    with pytest.raises(TypeError, match=r"closure must return a pair \(loss, grads\)"):
        opt.step(lambda: 1.0)
    with pytest.raises(ValueError, match=r"grads must have the shape of params"):
        opt.step(lambda: (1.0, np.zeros(3)))
    with pytest.raises(NonFiniteError, match=r"loss returned by closure is not finite at step"):
        opt.step(lambda: (float("nan"), np.ones(2)))
    with pytest.raises(NonFiniteError, match=r"grads is not finite at step"):
        opt.step(lambda: (1.0, np.array([1.0, np.inf])))


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
def test_float64_grads_for_float32_params(cls, hyper):
    (x64,), grads = make_problem(6, [(5,)])
    x32 = x64.astype(np.float32)
    a, b = cls(x32, **hyper), cls(x32.astype(np.float64), **hyper)
    for (g,) in grads:
        a.step(g)  # float64 gradient, cast into the float32 update
        b.step(g)
    assert x32.dtype == np.float32
    np.testing.assert_allclose(x32, b.params[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS"])
def test_hyperparameter_names_are_the_constructor_arguments_in_torch_order(name: str) -> None:
    """``hyperparameter_names`` is read off ``__init__`` (params first, keyword-only flags left
    out); it must list torch.optim's own positional arguments, in torch's order."""
    import inspect

    import dlnotes.optim as optim

    torch = pytest.importorskip("torch")
    ours = getattr(optim, name).hyperparameter_names
    params = inspect.signature(getattr(torch.optim, name).__init__).parameters.values()
    theirs = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD][2:]  # self, params
    assert ours[0] == "lr" and list(ours) == theirs[: len(ours)]
    opt = getattr(optim, name)([np.zeros(3)])
    assert list(opt.hyperparameters) == list(ours)


def test_a_subclass_keeps_its_parents_hyperparameters_unless_it_names_its_own() -> None:
    """User subclasses (as of a torch optimizer): no __init__, a **kwargs wrapper, an extra
    argument kept under another name all keep the parent's names, so repr and state_dict work."""
    from dlnotes.optim.base import Optimizer, hyperparameters_of

    class Plain(Optimizer):
        pass

    class Wrapped(SGD):
        def __init__(self, params, lr=0.1, **kwargs):
            super().__init__(params, lr=lr, **kwargs)

    class Warm(SGD):
        def __init__(self, params, lr=0.1, momentum=0.0, warmup=10):
            super().__init__(params, lr=lr, momentum=momentum)
            self.n_warm = warmup

    assert Plain.hyperparameter_names == ("lr",)
    for cls in (Wrapped, Warm):
        opt = cls([np.zeros(2)], momentum=0.9)
        assert cls.hyperparameter_names == SGD.hyperparameter_names
        assert (
            "momentum=0.9" in repr(opt) and opt.state_dict()["param_groups"][0]["momentum"] == 0.9
        )
    with pytest.raises(TypeError, match=r"no \*args, \*\*kwargs"):
        hyperparameters_of(Wrapped.__init__)
    with pytest.raises(TypeError, match=r"starts \(self, params, lr, ...\)"):
        hyperparameters_of(lambda self, params, learning_rate: None)


# -- fuzz-review: atomic finiteness check, eps=0, overlapping params, bool gradients ---------------


@pytest.mark.parametrize(("cls", "hyper"), ALL, ids=IDS)
@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_a_non_finite_gradient_never_reaches_a_parameter_or_the_state(cls, hyper, bad_value):
    """Every gradient is checked before any update: a refused step changes no parameter, no
    buffer and not t, whether the bad entry is in a later array or a later chunk (the module's
    docstring says what that costs)."""
    params, grads = make_problem(7, [(3, 2), (CHUNK + 5,), (4,)])
    opt = cls(params, **hyper)
    opt.step(grads[0])
    for i, index in ((2, (1,)), (1, (CHUNK + 1,))):  # a later array, a later chunk
        before = [p.copy() for p in params]
        state = [{k: v.copy() for k, v in s.items()} for s in opt.state]
        bad = [g.copy() for g in grads[1]]
        bad[i][index] = bad_value
        with pytest.raises(
            NonFiniteError,
            match=rf"grads\[{i}\] is not finite at step {opt.t + 1}: .*"
            rf"index \({index[0]},\).*the step was refused: nothing was updated",
        ):
            opt.step(bad)
        assert opt.t == 1
        for j, p in enumerate(params):
            np.testing.assert_array_equal(p, before[j])
            for k in opt.state[j]:
                np.testing.assert_array_equal(opt.state[j][k], state[j][k])
    opt.step(grads[1])  # and the optimizer carries on
    assert all(np.all(np.isfinite(p)) for p in params)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: Adam(x, lr=0.1, eps=0.0),
        lambda x: AdamW(x, lr=0.1, eps=0.0),
        lambda x: RMSprop(x, lr=0.1, eps=0.0),
        lambda x: Adagrad(x, lr=0.1, eps=0.0),
    ],
)
def test_eps_zero_with_a_zero_gradient_blames_eps_not_the_learning_rate(make):
    x = np.ones(3)
    opt = make(x)
    with pytest.raises(
        NonFiniteError, match=r"params is not finite after step 1: .*eps=0 divides 0 by 0"
    ) as err:
        opt.step(np.array([1.0, 0.0, 1.0]))
    assert "learning rate" not in str(err.value)
    y = np.ones(3)
    make(y).step(np.array([1.0, 2.0, 3.0]))  # eps=0 stays allowed (torch parity)
    assert np.all(np.isfinite(y))


def test_parameters_that_overlap_in_memory_are_refused():
    W = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"params\[1\] shares memory with params\[0\]"):
        SGD([W, W[0]], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[1\] shares memory with params\[0\]"):
        Adam([W[:, 1:], W.T], lr=0.1)
    flat = np.zeros(10)
    SGD([flat[:5], flat[5:]], lr=0.1).step([np.ones(5), np.ones(5)])  # disjoint views are fine
    np.testing.assert_array_equal(flat, -0.1)


def test_bool_gradients_are_refused():
    opt = SGD([np.ones(2), np.ones(3)], lr=0.1)
    with pytest.raises(TypeError, match=r"grads\[1\] must hold real numbers .*bool"):
        opt.step([np.ones(2), np.array([True, False, True])])
    with pytest.raises(TypeError, match=r"grads must hold real numbers .*bool"):
        SGD(np.ones(2), lr=0.1).step(np.array([True, False]))
    with pytest.raises(TypeError, match=r"grads\[0\] must hold real numbers .*bool"):
        opt.step([[True, False], np.ones(3)])
    assert opt.t == 0
