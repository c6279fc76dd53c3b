"""Bad input to dlnotes.autograd, dlnotes.gradcheck, dlnotes.train and dlnotes.losses gets a clear
error naming the argument, before anything changes; valid input keeps its exact results.

Covers the API review's items 2 (in-place changes between forward and backward), 7, 12, 16, 17,
18, 21 (autograd), 22, 23, 24, 26, 28 and 30.
"""

import numpy as np
import pytest

import dlnotes.autograd as ag
from dlnotes import layers as L
from dlnotes._validate import NonFiniteInputError
from dlnotes.autograd import Tensor, no_grad
from dlnotes.gradcheck import check_layer, numerical_gradient, relative_error
from dlnotes.losses import l2_penalty, softmax_cross_entropy
from dlnotes.model import mlp
from dlnotes.optim import SGD, Adam
from dlnotes.train import EarlyStopping, evaluate, fit

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4)).astype(np.float32)
Y = RNG.integers(0, 3, 40)


def snapshot(model):
    return [p.copy() for p in model.params]


def unchanged(model, before):
    return all(np.array_equal(p, q) for p, q in zip(model.params, before))


# -- item 2: autograd refuses a saved value changed in place before backward -------------------


def test_backward_after_an_in_place_update_raises_naming_the_op():
    W = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="W")
    loss = (W * W).sum()
    W.value -= 1.0  # e.g. an optimizer step before backward
    with pytest.raises(RuntimeError, match=r"'mul' node: its input 0 'W' .*changed in place"):
        loss.backward()
    assert W.grad is None


def test_version_counts_assignments_of_value():
    W = Tensor(np.ones(3), requires_grad=True)
    assert W.version == 0
    W.value -= 1.0
    W.value = np.zeros(3)
    assert W.version == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda W: (W @ Tensor(np.ones((2, 2)))).sum(),  # matmul saves its operands
        lambda W: (W**2).sum(),  # pow
        lambda W: ag.log(W).sum(),  # log
        lambda W: (Tensor(np.ones((2, 2))) / W).sum(),  # div
    ],
)
def test_every_op_that_saves_its_input_checks_its_version(make):
    W = Tensor(np.full((2, 2), 2.0), requires_grad=True)
    loss = make(W)
    with no_grad():
        W.value += 0.5
    with pytest.raises(RuntimeError, match="changed in place after the forward pass"):
        loss.backward()


def test_an_output_saved_for_backward_is_checked_too():
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    z = x.exp()  # exp's backward rule reuses its output
    loss = z.sum()
    z.value *= 2
    with pytest.raises(RuntimeError, match=r"'exp' node: its output"):
        loss.backward()


def test_detach_shares_the_version_counter():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (x * x).sum()
    x.detach().value -= 1.0  # same array
    with pytest.raises(RuntimeError, match="'mul' node"):
        loss.backward()


def test_retained_graph_after_an_update_raises():
    W = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (W * W).sum()
    loss.backward(retain_graph=True)
    W.value -= 0.1 * W.grad
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_checkpoint_refuses_a_changed_constant_input():
    W = Tensor(np.eye(3), requires_grad=True)
    x = Tensor(np.ones((2, 3)))  # a constant: checkpoint still saves it
    loss = ag.checkpoint(lambda h: (h @ W).tanh(), x).sum()
    x.value += 1.0
    with pytest.raises(RuntimeError, match="'checkpoint' node"):
        loss.backward()


def test_an_op_that_saved_nothing_of_the_input_keeps_working():
    W = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (W + 1.0).sum()  # add's gradient does not depend on W's value (torch agrees)
    W.value -= 1.0
    loss.backward()
    assert np.array_equal(W.grad, np.ones(2))


def descent(steps, fresh):
    """Gradient descent on a small network; ``fresh`` rebuilds the leaves from copies every
    step (no in-place update ever meets a graph), the other updates them in place after
    backward, as chapter 15 does."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)
    values = [rng.normal(size=(5, 8)), np.zeros(8), rng.normal(size=(8, 3))]
    leaves = [Tensor(v.copy(), requires_grad=True) for v in values]
    grads = []
    for _ in range(steps):
        if fresh:
            leaves = [Tensor(t.value.copy(), requires_grad=True) for t in leaves]
        for t in leaves:
            t.zero_grad()
        W1, b1, W2 = leaves
        h = ag.checkpoint(lambda z: (z @ W1 + b1).tanh(), Tensor(X))  # noqa: B023
        ag.softmax_cross_entropy(h @ W2, y).backward()
        grads.append([t.grad.copy() for t in leaves])
        with no_grad():
            for t in leaves:
                t.value -= 0.1 * t.grad
    return grads, [t.value for t in leaves]


def test_normal_training_gives_bit_identical_gradients():
    grads_in_place, final_in_place = descent(5, fresh=False)
    grads_fresh, final_fresh = descent(5, fresh=True)
    for a, b in zip(grads_in_place, grads_fresh):
        assert all(np.array_equal(g, h) for g, h in zip(a, b))
    assert all(np.array_equal(a, b) for a, b in zip(final_in_place, final_fresh))


def test_chapter_15_training_with_an_optimizer_after_backward_still_works():
    model = mlp([4, 8, 3], seed=0, dtype=np.float64)
    opt = SGD(model.params, lr=0.1, momentum=0.9)
    leaves = ag.parameters_of(model)
    Xd = X.astype(np.float64)
    for _ in range(3):
        for t in leaves:
            t.zero_grad()
        loss = ag.softmax_cross_entropy(ag.sequential_forward(model, Xd, leaves), Y)
        loss.backward()
        _, dout = softmax_cross_entropy(model.forward(Xd), Y)
        model.backward(dout)
        assert all(
            np.allclose(t.grad, g, rtol=1e-10, atol=1e-14) for t, g in zip(leaves, model.grads)
        )
        opt.step([t.grad for t in leaves])


# -- items 7 and 21: autograd's batch_norm, linear, dropout, reductions ------------------------

x3 = Tensor(np.random.default_rng(1).normal(size=(4, 3)))
gamma, beta = Tensor(np.ones(3)), Tensor(np.zeros(3))


def bn_eval(mean, var):
    return ag.batch_norm(x3, gamma, beta, mean, var, training=False)


def test_batch_norm_refuses_running_stats_of_another_shape():
    with pytest.raises(
        ValueError, match=r"batch_norm: running_mean must have shape \(3,\).*\(1,\)"
    ):
        bn_eval(np.zeros(1), np.ones(1))
    with pytest.raises(ValueError, match=r"batch_norm: running_var must have shape \(3,\).*\(4,\)"):
        bn_eval(np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        ag.batch_norm(x3, gamma, beta, np.zeros(1), np.ones(3))  # train mode too


def test_batch_norm_refuses_negative_or_nan_running_var():
    with pytest.raises(ValueError, match=r"running_var must be >= 0 \(a variance\).*-1\.0"):
        bn_eval(np.zeros(3), -np.ones(3))
    with pytest.raises(NonFiniteInputError, match=r"running_var must be finite.*nan"):
        bn_eval(np.zeros(3), np.full(3, np.nan))
    with pytest.raises(NonFiniteInputError, match="running_mean and running_var must be finite"):
        bn_eval(np.full(3, np.inf), np.ones(3))


def test_batch_norm_refuses_list_stats_one_array_for_both_and_a_bad_momentum():
    with pytest.raises(TypeError, match="batch_norm: running_mean must be a numpy array"):
        bn_eval([0, 0, 0], [1, 1, 1])
    stats = np.ones(3)
    with pytest.raises(ValueError, match="two separate arrays"):
        ag.batch_norm(x3, gamma, beta, stats, stats)
    with pytest.raises(ValueError, match=r"batch_norm: momentum must be <= 1\.0, got 5"):
        ag.batch_norm(x3, gamma, beta, np.zeros(3), np.ones(3), momentum=5)


def test_batch_norm_eval_with_valid_stats_is_unchanged():
    mean, var = np.array([0.1, -0.2, 0.3]), np.array([1.5, 0.5, 2.0])
    out = bn_eval(mean, var).value
    expected = np.ones(3) * ((x3.value - mean) * (var + 1e-5) ** -0.5) + np.zeros(3)
    assert np.array_equal(out, expected)


def test_linear_refuses_a_bias_that_is_not_one_per_output():
    W = Tensor(np.ones((3, 2)))
    for shape in [(4, 1), (1, 2), (3,)]:
        with pytest.raises(ValueError, match=r"linear: b must have shape \(2,\)"):
            ag.linear(x3, W, Tensor(np.ones(shape)))
    assert ag.linear(x3, W, Tensor(np.ones(2))).shape == (4, 2)


def test_dropout_p_must_be_a_number():
    with pytest.raises(TypeError, match=r"dropout: p must be a real number in \[0, 1\), got '0.5'"):
        ag.dropout(x3, "0.5", np.ones((4, 3)))


@pytest.mark.parametrize("op", [ag.sum, ag.mean, ag.logsumexp])
def test_reductions_check_axis_and_keepdims(op):
    t = Tensor(np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"axis must be an int, a tuple of ints or None, got 1\.0"):
        op(t, axis=1.0)
    with pytest.raises(TypeError, match="keepdims must be True or False, got 'yes'"):
        op(t, axis=0, keepdims="yes")
    assert op(t, axis=[0, 1]).shape == ()


# -- item 18: wrong types get TypeErrors -----------------------------------------------------


def test_wrong_types_get_type_errors_naming_the_argument():
    with pytest.raises(TypeError, match=r"parameters_of: model must be a dlnotes Sequential.*int"):
        ag.parameters_of(5)
    with pytest.raises(TypeError, match=r"saved_bytes: root must be a Tensor.*ndarray"):
        ag.saved_bytes(np.ones(3))
    with pytest.raises(TypeError, match="topological_order: root must be a Tensor"):
        ag.topological_order(np.ones(3))
    with pytest.raises(
        TypeError, match=r"model must be a dlnotes Sequential, got Linear.*Sequential\(layer\)"
    ):
        evaluate(L.Linear(4, 3), X, Y)
    with pytest.raises(
        TypeError, match=r"layer must be a dlnotes Layer.*got function.*numerical_gradient_array"
    ):
        check_layer(lambda x: x, np.ones((2, 3)))
    with pytest.raises(
        TypeError, match=r"layer must be a dlnotes Layer.*got Sequential.*check_model"
    ):
        check_layer(mlp([3, 2]), np.ones((2, 3)))


# -- items 12, 16, 26: gradcheck ------------------------------------------------------------


def test_relative_error_refuses_complex_inputs():
    with pytest.raises(TypeError, match=r"a must be a real-valued array.*complex128"):
        relative_error(np.ones(2) * 1j, np.ones(2))
    with pytest.raises(TypeError, match=r"b must be a real-valued array.*complex"):
        relative_error(np.ones(2), np.ones(2) + 0j)
    assert relative_error([1.0, 2.0], np.array([1.0, 2.0], np.float32)) == 0.0


def test_numerical_gradient_explains_a_loss_returning_loss_and_gradient():
    W = np.random.default_rng(2).normal(size=(4, 3))
    with pytest.raises(TypeError, match=r"f must return a scalar.*tuple of 2.*\[0\]"):
        numerical_gradient(lambda W: softmax_cross_entropy(X.astype(float) @ W, Y), W)
    g = numerical_gradient(lambda W: softmax_cross_entropy(X.astype(float) @ W, Y)[0], W)
    assert g.shape == W.shape


def test_numerical_gradient_of_an_empty_x_says_it_is_empty():
    with pytest.raises(ValueError, match=r"x must hold at least one entry.*empty.*\(0,\)"):
        numerical_gradient(lambda z: 0.0, np.zeros(0))
    with pytest.raises(ValueError, match="x must be writeable"):
        numerical_gradient(lambda z: z.sum(), np.broadcast_to(np.ones(1), (3,)))


# -- item 28: l2_penalty names the dtype ------------------------------------------------------


def test_penalty_names_the_dtype_of_a_non_float_weight():
    with pytest.raises(
        TypeError, match=r"weights\[0\] must be a floating-point numpy array, got dtype int"
    ):
        l2_penalty([np.ones(2, int)], 1)
    with pytest.raises(TypeError, match=r"got dict \(pass list\(weights.values\(\)\)\)"):
        l2_penalty({"W": np.ones(2)}, 1)


# -- items 17, 22, 23, 24, 30: fit refuses up front, before any step -------------------------


def run_fit(**kw):
    model = kw.pop("model") if "model" in kw else mlp([4, 8, 3], seed=0)
    optimizer = kw.pop("optimizer") if "optimizer" in kw else SGD(model.params, lr=0.1)
    before = snapshot(model)
    try:
        fit(model, kw.pop("X", X), kw.pop("y", Y), optimizer=optimizer, progress=False, **kw)
    finally:
        assert unchanged(model, before), "a refused fit changed the model"


@pytest.mark.parametrize(
    ("kw", "exc", "message"),
    [
        (
            {"optimizer": SGD},
            TypeError,
            r"optimizer must be an optimizer object.*SGD\(model\.params, lr=0\.1\), "
            r"got the class SGD",
        ),
        ({"schedule": 0.1}, TypeError, r"schedule must be a function step -> lr.*got 0\.1"),
        (
            {"callbacks": EarlyStopping(monitor="train_loss")},
            TypeError,
            r"callbacks must be a list.*got EarlyStopping \(wrap it in a list",
        ),
        (
            {"callbacks": [5]},
            TypeError,
            r"callbacks\[0\] must be a Callback or a function.*got int 5",
        ),
        (
            {"augment": True},
            TypeError,
            r"augment must be a function augment\(X_batch, rng\).*got True",
        ),
        (
            {"early_stopping": 2.0, "dev": (X, Y)},
            TypeError,
            r"early_stopping must be an EarlyStopping, an int patience.*got 2\.0",
        ),
        ({"early_stopping": True, "dev": (X, Y)}, TypeError, r"early_stopping must be .*got True"),
        ({"early_stopping": 0, "dev": (X, Y)}, ValueError, r"early_stopping must be >= 1.*got 0"),
    ],
)
def test_fit_refuses_bad_arguments_before_any_step(kw, exc, message):
    with pytest.raises(exc, match=message):
        run_fit(epochs=1, **kw)


def test_fit_says_float64_input_overflows_the_float32_model():
    big = X.astype(np.float64) * 1e39
    with pytest.raises(
        ValueError,
        match=r"X holds values as large as .*e\+39.*float32 model converts X from float64",
    ):
        run_fit(X=big, epochs=1)
    with pytest.raises(ValueError, match=r"X_dev holds values as large as"):
        run_fit(dev=(big, Y), epochs=1)
    model = mlp([4, 8, 3], seed=0, dtype=np.float64)  # fits in float64: trains
    fit(model, big * 1e-40, Y, optimizer=SGD(model.params, lr=0.1), epochs=1, progress=False)


def test_fit_refuses_a_batch_of_one_for_batch_norm_up_front():
    model = mlp([4, 8, 3], norm="batchnorm", seed=0)
    X41, y41 = np.vstack([X, X[:1]]), np.append(Y, Y[0])
    with pytest.raises(
        ValueError,
        match=r"layer 1 \(BatchNorm\(8\)\).*at least 2 examples.*N = 41.*batch_size = 8"
        r".*41 = 5 \* 8 \+ 1.*e\.g\. 7",
    ):
        run_fit(model=model, X=X41, y=y41, batch_size=8, epochs=2)
    with pytest.raises(ValueError, match="but batch_size = 1"):
        run_fit(model=model, batch_size=1, epochs=1)
    fit(
        model, X41, y41, optimizer=SGD(model.params, lr=0.1), batch_size=7, epochs=1, progress=False
    )
    plain = mlp([4, 8, 3], seed=0)  # no BatchNorm: a last batch of one is fine
    fit(
        plain, X41, y41, optimizer=SGD(plain.params, lr=0.1), batch_size=8, epochs=1, progress=False
    )


@pytest.mark.parametrize("make", [SGD, Adam])
def test_fit_trains_only_the_parameters_of_an_optimizer_over_some_of_them(make):
    model = mlp([4, 8, 3], seed=0)
    head = model.params[2:]
    before = snapshot(model)
    fit(
        model,
        X,
        Y,
        optimizer=make(head, lr=0.05),
        epochs=2,
        batch_size=16,
        shuffle=False,
        progress=False,
    )
    assert all(np.array_equal(p, q) for p, q in zip(model.params[:2], before[:2]))  # frozen
    # the same steps by hand: only the head's gradients reach the optimizer
    twin = mlp([4, 8, 3], seed=0)
    opt = make(twin.params[2:], lr=0.05)
    for _ in range(2):
        for start in range(0, 40, 16):
            _, dout = softmax_cross_entropy(
                twin.forward(X[start : start + 16]), Y[start : start + 16]
            )
            twin.backward(dout)
            opt.step(twin.grads[2:])
    assert all(np.array_equal(p, q) for p, q in zip(model.params, twin.params))


def test_fit_with_an_optimizer_in_another_order_gets_the_matching_gradients():
    model, twin = mlp([4, 8, 3], seed=0), mlp([4, 8, 3], seed=0)
    fit(
        model,
        X,
        Y,
        optimizer=SGD(model.params[::-1], lr=0.1),
        epochs=1,
        shuffle=False,
        progress=False,
    )
    fit(twin, X, Y, optimizer=SGD(twin.params, lr=0.1), epochs=1, shuffle=False, progress=False)
    assert all(np.array_equal(p, q) for p, q in zip(model.params, twin.params))
