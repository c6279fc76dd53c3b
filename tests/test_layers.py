"""dlnotes.layers: backward passes against central differences (float64), golden values,
torch conventions (BatchNorm momentum and unbiased running variance, Dropout's drop p), errors."""

import numpy as np
import pytest

import dlnotes.layers as L
from dlnotes._validate import NonFiniteError, NonFiniteInputError
from dlnotes.gradcheck import check_layer, numerical_gradient_array, relative_error

TOL = 1e-7


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(shape, seed=0):
    """Random non-zero inputs kept at least 0.05 from the ReLU kink."""
    x = rng(seed).standard_normal(shape)
    return x + 0.05 * np.sign(x)


# -- functional backward passes vs finite differences -----------------------------------------


def test_linear_backward_matches_finite_differences():
    r = rng(1)
    X, W, b = r.standard_normal((5, 4)), r.standard_normal((4, 3)), r.standard_normal(3)
    dout = r.standard_normal((5, 3))
    _, cache = L.linear_forward(X, W, b)
    dX, dW, db = L.linear_backward(dout, cache)
    f = lambda _: L.linear_forward(X, W, b)[0]  # noqa: E731
    assert relative_error(dX, numerical_gradient_array(f, X, dout)) < TOL
    assert relative_error(dW, numerical_gradient_array(f, W, dout)) < TOL
    assert relative_error(db, numerical_gradient_array(f, b, dout)) < TOL


@pytest.mark.parametrize(
    "forward, backward",
    [
        (L.relu_forward, L.relu_backward),
        (lambda x: L.leaky_relu_forward(x, 0.2), L.leaky_relu_backward),
        (L.tanh_forward, L.tanh_backward),
        (L.sigmoid_forward, L.sigmoid_backward),
    ],
    ids=["relu", "leaky_relu", "tanh", "sigmoid"],
)
def test_activation_backward_matches_finite_differences(forward, backward):
    X = away_from_zero((6, 5), seed=2)
    dout = rng(3).standard_normal((6, 5))
    _, cache = forward(X)
    num = numerical_gradient_array(lambda _: forward(X)[0], X, dout)
    assert relative_error(backward(dout, cache), num) < TOL


@pytest.mark.parametrize("kind", ["inverted", "vanilla"])
def test_dropout_backward_with_fixed_mask(kind):
    X = rng(4).standard_normal((6, 5))
    mask = rng(5).random((6, 5)) > 0.3
    dout = rng(6).standard_normal((6, 5))
    _, cache = L.dropout_forward(X, 0.3, "train", kind=kind, mask=mask)
    f = lambda _: L.dropout_forward(X, 0.3, "train", kind=kind, mask=mask)[0]  # noqa: E731
    num = numerical_gradient_array(f, X, dout)
    assert relative_error(L.dropout_backward(dout, cache), num) < TOL


def test_batchnorm_train_backward_matches_finite_differences():
    r = rng(7)
    X = r.standard_normal((8, 4)) * 3 + 1
    gamma, beta = r.standard_normal(4), r.standard_normal(4)
    dout = r.standard_normal((8, 4))
    _, cache = L.batchnorm_forward(X, gamma, beta, None, None, "train")
    dX, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    f = lambda _: L.batchnorm_forward(X, gamma, beta, None, None, "train")[0]  # noqa: E731
    assert relative_error(dX, numerical_gradient_array(f, X, dout)) < TOL
    assert relative_error(dgamma, numerical_gradient_array(f, gamma, dout)) < TOL
    assert relative_error(dbeta, numerical_gradient_array(f, beta, dout)) < TOL


def test_batchnorm_eval_backward_matches_finite_differences():
    r = rng(8)
    X = r.standard_normal((5, 3))
    gamma, beta = r.standard_normal(3), r.standard_normal(3)
    mean, var = r.standard_normal(3), r.random(3) + 0.5
    dout = r.standard_normal((5, 3))
    _, cache = L.batchnorm_forward(X, gamma, beta, mean, var, "eval")
    dX, dgamma, _ = L.batchnorm_backward(dout, cache)
    f = lambda _: L.batchnorm_forward(X, gamma, beta, mean, var, "eval")[0]  # noqa: E731
    assert relative_error(dX, numerical_gradient_array(f, X, dout)) < TOL
    assert relative_error(dgamma, numerical_gradient_array(f, gamma, dout)) < TOL


def test_layernorm_backward_matches_finite_differences():
    r = rng(9)
    X = r.standard_normal((4, 6)) * 2 - 1
    gamma, beta = r.standard_normal(6), r.standard_normal(6)
    dout = r.standard_normal((4, 6))
    _, cache = L.layernorm_forward(X, gamma, beta)
    dX, dgamma, dbeta = L.layernorm_backward(dout, cache)
    f = lambda _: L.layernorm_forward(X, gamma, beta)[0]  # noqa: E731
    assert relative_error(dX, numerical_gradient_array(f, X, dout)) < TOL
    assert relative_error(dgamma, numerical_gradient_array(f, gamma, dout)) < TOL
    assert relative_error(dbeta, numerical_gradient_array(f, beta, dout)) < TOL


# -- modules through check_layer ------------------------------------------------------------


def _bn_with_affine(cls):
    layer = cls(5)
    layer.params[0][:] = rng(10).standard_normal(5)
    layer.params[1][:] = rng(11).standard_normal(5)
    return layer


@pytest.mark.parametrize(
    "make",
    [
        lambda: L.Linear(5, 4, seed=0),
        L.ReLU,
        lambda: L.LeakyReLU(0.1),
        L.Tanh,
        L.Sigmoid,
        lambda: L.Dropout(0.4, seed=1),
        lambda: L.Dropout(0.4, kind="vanilla", seed=1),
        lambda: _bn_with_affine(L.BatchNorm),
        lambda: _bn_with_affine(L.BatchNorm).eval(),
        lambda: _bn_with_affine(L.LayerNorm),
        L.Flatten,
    ],
    ids=[
        "linear",
        "relu",
        "leaky",
        "tanh",
        "sigmoid",
        "dropout",
        "dropout-vanilla",
        "batchnorm-train",
        "batchnorm-eval",
        "layernorm",
        "flatten",
    ],
)
def test_every_module_passes_gradcheck(make):
    layer = make()
    report = check_layer(layer, away_from_zero((7, 5), seed=12))
    assert report.passed(TOL), str(report)
    assert {r["name"] for r in report.rows} == {"X", *layer.param_names}


def test_flatten_of_images_passes_gradcheck():
    report = check_layer(L.Flatten(), rng(13).standard_normal((3, 2, 4)))
    assert report.passed(TOL)


# -- golden values --------------------------------------------------------------------------


def test_linear_golden_values():
    X = np.array([[1.0, 2.0], [-1.0, 0.5]])
    W = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
    b = np.array([0.1, 0.2, 0.3])
    out, cache = L.linear_forward(X, W, b)
    np.testing.assert_allclose(out, [[3.6, -0.8, 1.3], [0.35, 1.2, -1.95]])
    dout = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    dX, dW, db = L.linear_backward(dout, cache)
    np.testing.assert_allclose(dX, [[-1.5, 2.0], [0.0, 3.0]])
    np.testing.assert_allclose(dW, [[-1.0, -1.0, -1.0], [3.0, 0.5, -2.0]])
    np.testing.assert_allclose(db, [3.0, 1.0, -1.0])


def test_relu_and_leaky_relu_golden_values():
    X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    out, cache = L.relu_forward(X)
    np.testing.assert_array_equal(out, [[0, 0, 0, 0.5, 3]])
    np.testing.assert_array_equal(L.relu_backward(np.full_like(X, 2.0), cache), [[0, 0, 0, 2, 2]])
    out, cache = L.leaky_relu_forward(X, 0.1)
    np.testing.assert_allclose(out, [[-0.2, -0.05, 0, 0.5, 3]])
    np.testing.assert_allclose(
        L.leaky_relu_backward(np.full_like(X, 2.0), cache), [[0.2, 0.2, 0.2, 2, 2]]
    )


def test_sigmoid_is_stable_for_huge_inputs_and_tanh_golden():
    X = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, _ = L.sigmoid_forward(X)
    e = np.exp(1.0)
    np.testing.assert_allclose(out, [[0.0, 1 / (1 + e), 0.5, e / (1 + e), 1.0]], rtol=1e-15)
    out, cache = L.tanh_forward(np.array([[0.5]]))
    np.testing.assert_allclose(
        L.tanh_backward(np.array([[3.0]]), cache), 3 * (1 - np.tanh(0.5) ** 2)
    )


def test_batchnorm_uses_biased_variance_and_torch_running_statistics():
    X = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 60.0]])
    gamma, beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])
    running_mean, running_var = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    out, _ = L.batchnorm_forward(X, gamma, beta, running_mean, running_var, "train", momentum=0.1)
    mu = X.mean(axis=0)
    biased = ((X - mu) ** 2).sum(axis=0) / 3
    unbiased = ((X - mu) ** 2).sum(axis=0) / 2
    np.testing.assert_allclose(out, gamma * (X - mu) / np.sqrt(biased + 1e-5) + beta)
    np.testing.assert_allclose(running_mean, 0.9 * np.array([0.5, -1.0]) + 0.1 * mu)
    np.testing.assert_allclose(running_var, 0.9 * np.array([2.0, 3.0]) + 0.1 * unbiased)
    # eval mode normalises with the running statistics
    Z = np.array([[3.0, 5.0]])
    out, _ = L.batchnorm_forward(Z, gamma, beta, running_mean, running_var, "eval")
    np.testing.assert_allclose(out, gamma * (Z - running_mean) / np.sqrt(running_var + 1e-5) + beta)


def test_batchnorm_module_running_stats_converge_and_eval_differs_from_train():
    layer = L.BatchNorm(3, momentum=0.5, dtype=np.float64)
    r = rng(14)
    for _ in range(60):
        layer.forward(r.normal(2.0, 3.0, size=(500, 3)))
    np.testing.assert_allclose(layer.running_mean, 2.0, atol=0.4)
    np.testing.assert_allclose(layer.running_var, 9.0, rtol=0.2)
    X = r.normal(2.0, 3.0, size=(4, 3))
    train_out = layer.forward(X)
    layer.eval()
    eval_out = layer.forward(X)
    assert not np.allclose(train_out, eval_out)
    np.testing.assert_allclose(
        eval_out, (X - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    )


def test_layernorm_normalises_each_row_independently_of_the_batch():
    X = rng(15).standard_normal((5, 8)) * 4 + 2
    layer = L.LayerNorm(8, dtype=np.float64)
    out = layer.forward(X)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), X.var(axis=1) / (X.var(axis=1) + 1e-5))
    np.testing.assert_allclose(layer.forward(X[2:3]), out[2:3])


# -- dropout conventions -----------------------------------------------------------------------


def test_dropout_p_is_the_drop_probability_and_inverted_keeps_the_mean():
    X = rng(16).random((400, 500)) + 0.5
    out, _ = L.dropout_forward(X, 0.3, "train", seed=0)
    dropped = np.mean(out == 0)
    assert abs(dropped - 0.3) < 0.01
    kept = out != 0
    np.testing.assert_allclose(out[kept], X[kept] / 0.7)
    assert abs(out.mean() / X.mean() - 1) < 0.01
    out_eval, _ = L.dropout_forward(X, 0.3, "eval")
    np.testing.assert_array_equal(out_eval, X)


def test_vanilla_dropout_scales_at_test_time_and_matches_in_expectation():
    X = rng(17).random((400, 500)) + 0.5
    out, _ = L.dropout_forward(X, 0.25, "train", kind="vanilla", seed=0)
    kept = out != 0
    np.testing.assert_array_equal(out[kept], X[kept])
    out_test, _ = L.dropout_forward(X, 0.25, "test", kind="vanilla")
    np.testing.assert_allclose(out_test, 0.75 * X)
    assert abs(out.mean() / out_test.mean() - 1) < 0.01


def test_dropout_masks_are_seeded():
    X = np.ones((20, 30))
    a, b = L.Dropout(0.5, seed=3), L.Dropout(0.5, seed=3)
    np.testing.assert_array_equal(a.forward(X), b.forward(X))
    np.testing.assert_array_equal(a.forward(X), b.forward(X))  # second masks agree too
    assert not np.array_equal(a.forward(X), L.Dropout(0.5, seed=4).forward(X))
    first, second = a.forward(X), a.forward(X)
    assert not np.array_equal(first, second)  # a new mask every step
    np.testing.assert_array_equal(a.mask, second != 0)
    a.eval()
    np.testing.assert_array_equal(a.forward(X), X)


# -- dtypes ---------------------------------------------------------------------------------


def test_float32_stays_float32_through_forward_and_backward():
    X = rng(18).standard_normal((6, 5)).astype(np.float32)
    for layer in [
        L.Linear(5, 5, seed=0),
        L.ReLU(),
        L.LeakyReLU(),
        L.Tanh(),
        L.Sigmoid(),
        L.Dropout(0.3, seed=0),
        L.BatchNorm(5),
        L.LayerNorm(5),
    ]:
        out = layer.forward(X)
        dX = layer.backward(np.ones_like(out))
        assert out.dtype == np.float32, layer
        assert dX is not None and dX.dtype == np.float32, layer
        assert all(g.dtype == np.float32 for g in layer.grads), layer


def test_input_grad_false_skips_dx():
    layer = L.Linear(3, 2, seed=0)
    layer.forward(np.ones((4, 3), dtype=np.float32))
    assert layer.backward(np.ones((4, 2), dtype=np.float32), input_grad=False) is None
    np.testing.assert_allclose(layer.grads[0], np.full((3, 2), 4.0))


def test_linear_initialisers_and_bias_flag():
    lin = L.Linear(200, 50, seed=0)
    assert np.abs(lin.W).max() <= 1 / np.sqrt(200) and np.abs(lin.b).max() <= 1 / np.sqrt(200)
    he = L.Linear(200, 50, init="kaiming_normal", seed=0, dtype=np.float64)
    assert abs(he.W.std() / np.sqrt(2 / 200) - 1) < 0.05
    np.testing.assert_array_equal(he.b, 0)
    W = rng(19).standard_normal((3, 2))
    fixed = L.Linear(3, 2, init=W, bias=False, dtype=np.float64)
    np.testing.assert_array_equal(fixed.W, W)
    assert fixed.W is not W and fixed.b is None and fixed.param_names == ["W"]


# -- errors ---------------------------------------------------------------------------------


def test_backward_before_forward_names_the_layer():
    with pytest.raises(RuntimeError, match=r"Linear 3 -> 2: backward\(\) called before forward"):
        L.Linear(3, 2, seed=0).backward(np.ones((1, 2), dtype=np.float32))
    with pytest.raises(RuntimeError, match="ReLU: backward"):
        L.ReLU().backward(np.ones(3))


def test_wrong_input_and_dout_shapes_name_layer_and_shapes():
    lin = L.Linear(4, 2, seed=0)
    with pytest.raises(
        ValueError,
        match=r"Linear 4 -> 2: expected input of shape \(N, 4\), "
        r"got \(5, 3\)",
    ):
        lin.forward(np.ones((5, 3), dtype=np.float32))
    lin.forward(np.ones((5, 4), dtype=np.float32))
    with pytest.raises(
        ValueError,
        match=r"dout must have the shape of the last output "
        r"\(5, 2\), got \(5, 3\)",
    ):
        lin.backward(np.ones((5, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm\(3\): expected input of shape \(N, 3\)"):
        L.BatchNorm(3).forward(np.ones((5, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"linear_forward: X must have shape \(N, 3\)"):
        L.linear_forward(np.ones((2, 4)), np.ones((3, 2)), np.ones(2))


def test_unknown_mode_and_kind_and_bad_p():
    X = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"mode must be 'train' or 'eval'.*got 'tset'"):
        L.dropout_forward(X, 0.5, "tset")
    with pytest.raises(ValueError, match=r"mode must be 'train' or 'eval'.*got 'inference'"):
        L.batchnorm_forward(X, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), "inference")
    with pytest.raises(TypeError, match="mode must be True"):
        L.ReLU().train("training")
    with pytest.raises(ValueError, match="kind must be 'inverted' or 'vanilla', got 'keep'"):
        L.Dropout(0.5, kind="keep")
    with pytest.raises(ValueError, match=r"p must be < 1\.0, got 1"):
        L.Dropout(1)
    with pytest.raises(TypeError, match="mode must be True"):
        L.ReLU().train("eval")


def test_batchnorm_train_needs_two_examples_and_non_float_input_is_rejected():
    with pytest.raises(ValueError, match="at least 2 examples"):
        L.BatchNorm(3).forward(np.ones((1, 3), dtype=np.float32))
    with pytest.raises(TypeError, match="ReLU: input must be a floating-point numpy array"):
        L.ReLU().forward(np.ones((2, 2), dtype=int))


# -- the functional forms validate their inputs (issue 16) ------------------------------------


@pytest.mark.parametrize(
    "forward, backward, name",
    [
        (L.relu_forward, L.relu_backward, "relu_backward"),
        (L.leaky_relu_forward, L.leaky_relu_backward, "leaky_relu_backward"),
        (L.tanh_forward, L.tanh_backward, "tanh_backward"),
        (L.sigmoid_forward, L.sigmoid_backward, "sigmoid_backward"),
        (lambda X: L.dropout_forward(X, 0.3, seed=1), L.dropout_backward, "dropout_backward"),
    ],
)
def test_elementwise_backward_rejects_a_wrong_shaped_dout(forward, backward, name):
    X = away_from_zero((4, 3), seed=3)
    _, cache = forward(X)
    # (4, 1) used to broadcast silently to a (4, 3) result for relu: a wrong gradient
    for bad in (np.ones((4, 1)), np.ones((3, 4)), np.ones(3)):
        with pytest.raises(ValueError, match=rf"{name}: dout must have the shape .*\(4, 3\)"):
            backward(bad, cache)
    with pytest.raises(TypeError, match=rf"{name}: dout must be a numpy array, got list"):
        backward(np.ones((4, 3)).tolist(), cache)


def test_dropout_backward_in_eval_mode_scales_and_needs_an_array():
    X = away_from_zero((4, 3))
    _, cache = L.dropout_forward(X, 0.3, "eval", kind="vanilla")
    dout = rng(2).standard_normal((4, 3))
    np.testing.assert_allclose(L.dropout_backward(dout, cache), 0.7 * dout, rtol=1e-15)
    with pytest.raises(TypeError, match="dropout_backward: dout must be a numpy array"):
        L.dropout_backward([1.0, 2.0], cache)


@pytest.mark.parametrize("argument", ["X", "W", "b"])
def test_linear_forward_rejects_lists_with_a_clear_error(argument):
    r = rng(4)
    args = {"X": r.standard_normal((5, 4)), "W": r.standard_normal((4, 3)), "b": np.zeros(3)}
    args[argument] = args[argument].tolist()
    with pytest.raises(TypeError, match=f"linear_forward: {argument} must be a numpy array"):
        L.linear_forward(args["X"], args["W"], args["b"])


def test_forward_functions_reject_non_numeric_arrays():
    words = np.array([["a", "b"], ["c", "d"]])
    for forward in (L.relu_forward, L.tanh_forward, L.sigmoid_forward, L.leaky_relu_forward):
        with pytest.raises(TypeError, match="X must be a real-valued array, got dtype <U1"):
            forward(words)
    with pytest.raises(TypeError, match="dropout_forward: X must be a numpy array"):
        L.dropout_forward([[1.0, 2.0]], 0.5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_batchnorm_never_writes_a_bad_batch_into_its_running_statistics(bad):
    r = rng(5)
    X = r.standard_normal((8, 3))
    gamma, beta = np.ones(3), np.zeros(3)
    running_mean, running_var = r.standard_normal(3), r.uniform(0.5, 2.0, 3)
    mean0, var0 = running_mean.copy(), running_var.copy()
    X[2, 1] = bad
    with pytest.raises(NonFiniteError, match=r"X holds inf or NaN \(feature 1"):
        L.batchnorm_forward(X, gamma, beta, running_mean, running_var, "train")
    np.testing.assert_array_equal(running_mean, mean0)
    np.testing.assert_array_equal(running_var, var0)
    # the module too: its buffers keep their values and eval mode still works
    layer = L.BatchNorm(3, dtype=np.float64)
    layer.forward(r.standard_normal((8, 3)))
    before = {k: v.copy() for k, v in layer.buffers.items()}
    with pytest.raises(NonFiniteError):
        layer.forward(X)
    for k, v in layer.buffers.items():
        np.testing.assert_array_equal(v, before[k])
    assert np.all(np.isfinite(layer.eval().forward(r.standard_normal((4, 3)))))


def test_fit_reports_a_batch_norm_refusal_as_divergence():
    from dlnotes.model import Sequential
    from dlnotes.optim import SGD
    from dlnotes.train import fit

    r = rng(6)
    X, y = r.standard_normal((32, 4)), r.integers(0, 3, 32)
    model = Sequential([L.Linear(4, 8, seed=1), L.BatchNorm(8), L.ReLU(), L.Linear(8, 3, seed=2)])
    opt = SGD(model.params, lr=0.1)
    model.layers[0].params[0][1, 2] = np.inf  # a weight that blew up: unit 2 outputs +-inf
    running = model.layers[1].running_mean.copy()
    history = fit(model, X, y, optimizer=opt, epochs=2, batch_size=32, on_nonfinite="stop")
    assert history.diverged
    np.testing.assert_array_equal(model.layers[1].running_mean, running)
    with pytest.raises(NonFiniteError, match="running statistics were left"):
        fit(model, X, y, optimizer=opt, epochs=1, batch_size=32)


# -- the rest of the numerics floor validates the same way (issue 16, item 6) ----------------


def test_relu_backward_with_a_column_dout_raises_instead_of_broadcasting():
    X = away_from_zero((5, 3), seed=4)
    _, cache = L.relu_forward(X)
    with pytest.raises(ValueError) as err:
        L.relu_backward(np.ones((5, 1)), cache)
    message = str(err.value)
    assert "relu_backward: dout must have the shape of the forward output (5, 3)" in message
    assert "got (5, 1)" in message


def _bn_stats(seed):
    r = rng(seed)
    return r.standard_normal(3), r.uniform(0.5, 2.0, 3)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["functional", "spatial", "module", "module2d"])
def test_batchnorm_refuses_a_bad_batch_with_a_value_error_and_keeps_its_statistics(where, bad):
    """A ValueError (bad argument X) that is also a NonFiniteError (what fit reports as
    divergence); running_mean and running_var stay bit-identical."""
    r = rng(12)
    gamma, beta = np.ones(3), np.zeros(3)
    if where == "functional":
        rm, rv = _bn_stats(13)
        X = r.standard_normal((6, 3))
        X[4, 2] = bad

        def call():
            L.batchnorm_forward(X, gamma, beta, rm, rv, "train")

    elif where == "spatial":
        rm, rv = _bn_stats(13)
        X = r.standard_normal((2, 3, 2, 2))
        X[1, 2, 0, 1] = bad

        def call():
            L.spatial_batchnorm_forward(X, gamma, beta, rm, rv, "train")

    else:
        layer = L.BatchNorm(3, dtype=np.float64) if where == "module" else L.BatchNorm2d(3)
        shape = (6, 3) if where == "module" else (2, 3, 2, 2)
        layer.forward(r.standard_normal(shape).astype(layer.gamma.dtype))  # stats move off 0/1
        rm, rv = layer.running_mean, layer.running_var
        X = r.standard_normal(shape).astype(layer.gamma.dtype)
        X[(1, 2) + (0,) * (X.ndim - 2)] = bad

        def call():
            layer.forward(X)

    mean0, var0 = rm.tobytes(), rv.tobytes()
    with pytest.raises(ValueError, match=r"the batch X holds inf or NaN \(feature 2 of 3") as err:
        call()
    assert isinstance(err.value, NonFiniteError)
    assert isinstance(err.value, NonFiniteInputError)
    assert "running statistics were left unchanged" in str(err.value)
    assert rm.tobytes() == mean0
    assert rv.tobytes() == var0


def test_batchnorm_train_refuses_running_statistics_it_cannot_update_before_touching_either():
    X = rng(14).standard_normal((6, 3))
    gamma, beta = np.ones(3), np.zeros(3)
    # the mean would be updated, then the integer variance's in-place update would fail
    rm, rv = _bn_stats(15)
    mean0 = rm.tobytes()
    with pytest.raises(
        TypeError, match=r"batchnorm_forward: running_var must be a floating-point array .*int"
    ):
        L.batchnorm_forward(X, gamma, beta, rm, np.ones(3, dtype=int), "train")
    assert rm.tobytes() == mean0
    frozen = rv.copy()
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="batchnorm_forward: running_var must be writeable"):
        L.batchnorm_forward(X, gamma, beta, rm, frozen, "train")
    assert rm.tobytes() == mean0
    # eval mode only reads them: read-only running statistics are fine there
    frozen_mean = rm.copy()
    frozen_mean.flags.writeable = False
    out, _ = L.batchnorm_forward(X, gamma, beta, frozen_mean, frozen, "eval")
    np.testing.assert_allclose(out, (X - rm) / np.sqrt(rv + 1e-5), rtol=1e-14)


def test_flatten_validates_x_and_dout():
    X = rng(16).standard_normal((4, 2, 3))
    with pytest.raises(TypeError, match="flatten_forward: X must be a numpy array, got list"):
        L.flatten_forward(X.tolist())
    _, cache = L.flatten_forward(X)
    dout = rng(17).standard_normal((4, 6))
    dX = L.flatten_backward(dout, cache)
    assert dX.shape == (4, 2, 3) and dX.tobytes() == dout.tobytes()
    # the same number of entries is not enough: (2, 12) used to reshape silently into (4, 2, 3)
    for bad in (np.ones((2, 12)), np.ones((4, 2, 3)), np.ones((4, 1))):
        with pytest.raises(
            ValueError, match=r"flatten_backward: dout must have the shape .*\(4, 6\), got"
        ):
            L.flatten_backward(bad, cache)
    with pytest.raises(TypeError, match="flatten_backward: dout must be a numpy array, got list"):
        L.flatten_backward(dout.tolist(), cache)
    _, cache1 = L.flatten_forward(np.ones(5))  # a 1-D batch flattens to a column
    assert L.flatten_backward(np.ones((5, 1)), cache1).shape == (5,)


@pytest.mark.parametrize("argument", ["X", "W", "b"])
def test_dropconnect_forward_names_itself_and_the_list_argument(argument):
    r = rng(18)
    args = {"X": r.standard_normal((5, 4)), "W": r.standard_normal((4, 3)), "b": np.zeros(3)}
    args[argument] = args[argument].tolist()
    with pytest.raises(TypeError, match=f"dropconnect_forward: {argument} must be a numpy array"):
        L.dropconnect_forward(args["X"], args["W"], args["b"], 0.5, seed=0)


def test_dropconnect_backward_rejects_a_wrong_shaped_dout():
    r = rng(19)
    _, cache = L.dropconnect_forward(
        r.standard_normal((5, 4)), r.standard_normal((4, 3)), None, 0.5
    )
    for bad in (np.ones((5, 1)), np.ones((3, 5))):
        with pytest.raises(
            ValueError, match=r"dropconnect_backward: dout must have shape \(5, 3\), got"
        ):
            L.dropconnect_backward(bad, cache)
    with pytest.raises(TypeError, match="dropconnect_backward: dout must be a numpy array"):
        L.dropconnect_backward(np.ones((5, 3)).tolist(), cache)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: L.Linear(3, 2, seed=0), (4, 3)),
        (lambda: L.DropConnect(3, 2, seed=0, mask_seed=1), (4, 3)),
        (L.ReLU, (4, 3)),
        (L.LeakyReLU, (4, 3)),
        (L.Tanh, (4, 3)),
        (L.Sigmoid, (4, 3)),
        (lambda: L.Dropout(0.5, seed=0), (4, 3)),
        (L.Flatten, (4, 3, 2)),
        (lambda: L.BatchNorm(3), (4, 3)),
        (lambda: L.BatchNorm2d(3), (4, 3, 2, 2)),
        (lambda: L.LayerNorm(3), (4, 3)),
    ],
)
def test_every_module_rejects_a_list_input_and_a_column_dout(make, shape):
    layer = make()
    X = rng(20).standard_normal(shape).astype(np.float32)
    with pytest.raises(TypeError, match="input must be a floating-point numpy array, got list"):
        layer.forward(X.tolist())
    out = layer.forward(X)
    with pytest.raises(ValueError, match=r"dout must have the shape of the last output"):
        layer.backward(np.ones((out.shape[0], 1), dtype=np.float32))
    with pytest.raises(TypeError, match=r"dout must be a numpy array of the last output's shape"):
        layer.backward(out.tolist())
    assert layer.backward(np.ones_like(out)).shape == X.shape


# -- batch norm per channel of (N, C, H, W) feature maps (issue 19) ---------------------------


def test_spatial_batchnorm_normalises_each_channel_over_batch_and_positions():
    r = rng(7)
    X = r.standard_normal((4, 3, 5, 6)) * np.array([1.0, 3.0, 0.2])[None, :, None, None] + 2.0
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    rm, rv = np.zeros(3), np.ones(3)
    out, _ = L.spatial_batchnorm_forward(X, gamma, beta, rm, rv, "train", momentum=0.3)
    xhat = (out - beta[None, :, None, None]) / gamma[None, :, None, None]
    np.testing.assert_allclose(xhat.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    var = X.var(axis=(0, 2, 3))
    np.testing.assert_allclose(xhat.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-10)
    m = 4 * 5 * 6
    np.testing.assert_allclose(rm, 0.3 * X.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(rv, 0.7 + 0.3 * var * m / (m - 1), rtol=1e-12)


def test_spatial_batchnorm_backward_matches_finite_differences():
    r = rng(8)
    X = r.standard_normal((3, 2, 4, 3))
    gamma, beta = r.standard_normal(2), r.standard_normal(2)
    dout = r.standard_normal(X.shape)
    for mode in ("train", "eval"):
        rm, rv = r.standard_normal(2), r.uniform(0.5, 2, 2)

        def f(_, mode=mode, rm=rm, rv=rv):
            return L.spatial_batchnorm_forward(X, gamma, beta, rm.copy(), rv.copy(), mode)[0]

        _, cache = L.spatial_batchnorm_forward(X, gamma, beta, rm.copy(), rv.copy(), mode)
        dX, dgamma, dbeta = L.spatial_batchnorm_backward(dout, cache)
        assert relative_error(dX, numerical_gradient_array(f, X, dout)) < TOL
        assert relative_error(dgamma, numerical_gradient_array(f, gamma, dout)) < TOL
        assert relative_error(dbeta, numerical_gradient_array(f, beta, dout)) < TOL


def test_batchnorm2d_module_matches_torch_batchnorm2d():
    torch = pytest.importorskip("torch")
    r = rng(9)
    layer = L.BatchNorm2d(3, momentum=0.2, dtype=np.float64)
    ref = torch.nn.BatchNorm2d(3, momentum=0.2, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor([0.5, 1.5, -1.0], dtype=torch.float64))
        ref.bias.copy_(torch.tensor([0.1, 0.0, 2.0], dtype=torch.float64))
    layer.params[0][:] = [0.5, 1.5, -1.0]
    layer.params[1][:] = [0.1, 0.0, 2.0]
    for step in range(3):  # three train batches: outputs, running statistics and gradients
        X = r.standard_normal((4, 3, 5, 5)) * (step + 1) + step
        dout = r.standard_normal(X.shape)
        Xt = torch.tensor(X, requires_grad=True)
        out_t = ref(Xt)
        out_t.backward(torch.tensor(dout))
        out = layer.forward(X)
        dX = layer.backward(dout)
        np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.grads[0], ref.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(layer.grads[1], ref.bias.grad.numpy(), rtol=1e-10)
        ref.zero_grad()
    np.testing.assert_allclose(layer.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, ref.running_var.numpy(), rtol=1e-12)
    ref.eval()
    X = r.standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(
        layer.eval().forward(X), ref(torch.tensor(X)).detach().numpy(), rtol=1e-10, atol=1e-12
    )


def test_batchnorm2d_rejects_wrong_shapes_and_checks_gradients_in_a_model():
    layer = L.BatchNorm2d(3, dtype=np.float64)
    with pytest.raises(
        ValueError, match=r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\)"
    ):
        layer.forward(np.ones((2, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"X must have shape \(N, C, H, W\), got \(2, 3\)"):
        L.spatial_batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), None, None)
    r = rng(10)
    layer.forward(r.standard_normal((2, 3, 2, 2)))
    with pytest.raises(ValueError, match="dout must have the shape of the last output"):
        layer.backward(np.ones((2, 3, 2, 1)))
    report = check_layer(L.BatchNorm2d(2, dtype=np.float64), r.standard_normal((3, 2, 3, 3)))
    assert report.passed(TOL), str(report)


# -- DropConnect: dropping weights instead of activations (issue 19) --------------------------


def test_dropconnect_backward_with_a_fixed_mask_matches_finite_differences():
    r = rng(11)
    X, W, b = r.standard_normal((5, 4)), r.standard_normal((4, 3)), r.standard_normal(3)
    mask = (r.random((4, 3)) > 0.4).astype(float)
    dout = r.standard_normal((5, 3))
    out, cache = L.dropconnect_forward(X, W, b, 0.4, mask=mask)
    np.testing.assert_allclose(out, X @ (W * mask / 0.6) + b, rtol=1e-14)
    dX, dW, db = L.dropconnect_backward(dout, cache)

    def f(_):
        return L.dropconnect_forward(X, W, b, 0.4, mask=mask)[0]

    assert relative_error(dX, numerical_gradient_array(f, X, dout)) < TOL
    assert relative_error(dW, numerical_gradient_array(f, W, dout)) < TOL
    assert relative_error(db, numerical_gradient_array(f, b, dout)) < TOL
    assert np.all(dW[mask == 0] == 0)  # a dropped weight learns nothing from this batch


def test_dropconnect_is_the_linear_layer_in_expectation_and_in_eval_mode():
    r = rng(12)
    X, W, b = r.standard_normal((3, 6)), r.standard_normal((6, 2)), r.standard_normal(2)
    gen = np.random.default_rng(0)
    outs = [L.dropconnect_forward(X, W, b, 0.3, seed=gen)[0] for _ in range(4000)]
    mean = np.mean(outs, axis=0)
    sem = np.std(outs, axis=0) / np.sqrt(len(outs))
    assert np.all(np.abs(mean - (X @ W + b)) < 5 * sem)
    np.testing.assert_array_equal(L.dropconnect_forward(X, W, b, 0.3, "eval")[0], X @ W + b)


def test_dropconnect_module_masks_weights_is_seeded_and_gradchecks():
    layer = L.DropConnect(5, 4, p=0.5, seed=1, mask_seed=2)
    X = rng(13).standard_normal((6, 5)).astype(np.float32)
    out = layer.forward(X)
    assert out.dtype == np.float32 and layer.mask is not None and layer.mask.shape == (5, 4)
    assert 0 < layer.mask.mean() < 1
    twin = L.DropConnect(5, 4, p=0.5, seed=1, mask_seed=2)
    np.testing.assert_array_equal(twin.forward(X), out)
    np.testing.assert_allclose(layer.eval().forward(X), X @ layer.W + layer.b, rtol=1e-6)
    report = check_layer(L.DropConnect(5, 4, p=0.3, seed=3, mask_seed=4), away_from_zero((7, 5)))
    assert report.passed(TOL), str(report)
    with pytest.raises(ValueError, match=r"mask must have the shape of W \(5, 4\), got \(4, 5\)"):
        L.dropconnect_forward(X, layer.W, layer.b, 0.5, mask=np.ones((4, 5)))
    with pytest.raises(ValueError, match="p must be < 1"):
        L.DropConnect(5, 4, p=1.0)


def test_update_running_stats_in_place_is_the_exercise_update_in_place():
    """One update rule for batch norm's running statistics: the library's in-place form and
    chapter 11's exercise (new arrays) agree, and batchnorm_forward uses it."""
    from dlnotes.exercises.ch11 import update_running_stats
    from dlnotes.layers import update_running_stats_in_place

    rng = np.random.default_rng(7)
    rm, rv = rng.normal(size=5), rng.uniform(0.5, 2.0, 5)
    mu, var = rng.normal(size=5), rng.uniform(0.1, 3.0, 5)
    want_m, want_v = update_running_stats(rm, rv, mu, var, 16, 0.1)
    got_m, got_v = rm.copy(), rv.copy()
    assert update_running_stats_in_place(got_m, got_v, mu, var, 16, 0.1) is None
    np.testing.assert_allclose(got_m, want_m, rtol=1e-15)
    np.testing.assert_allclose(got_v, want_v, rtol=1e-15)
    only_v = rv.copy()
    update_running_stats_in_place(None, only_v, mu, var, 16, 0.1)
    np.testing.assert_allclose(only_v, want_v, rtol=1e-15)
    with pytest.raises(ValueError, match="n must be >= 2"):
        update_running_stats_in_place(rm.copy(), rv.copy(), mu, var, 1, 0.1)
    with pytest.raises(ValueError, match="momentum"):
        update_running_stats_in_place(rm.copy(), rv.copy(), mu, var, 16, 1.5)
    with pytest.raises(ValueError, match="running_var must have the shape"):
        update_running_stats_in_place(rm.copy(), rv[:3].copy(), mu, var, 16, 0.1)


# -- fuzz-review refusals: dtypes, masks, running statistics, caches ------------------------------


@pytest.mark.parametrize("dtype", [bool, np.int8, np.int64, np.uint8])
def test_linear_forward_refuses_non_float_x_or_w(dtype):
    X, W = np.ones((2, 3), dtype=dtype), np.ones((3, 2), dtype=dtype)
    with pytest.raises(TypeError, match=r"linear_forward: X must be a float array .* got dtype"):
        L.linear_forward(X, np.ones((3, 2)), None)
    with pytest.raises(TypeError, match=r"linear_forward: W must be a float array .* got dtype"):
        L.linear_forward(np.ones((2, 3)), W, None)
    with pytest.raises(TypeError, match=r"linear_forward: X must be a float array"):
        L.linear_forward(X, np.ones((3, 2)), np.ones(2))  # was a raw UFuncTypeError
    with pytest.raises(TypeError, match=r"dropconnect_forward: X must be a float array"):
        L.dropconnect_forward(X, np.ones((3, 2)), None, 0.5, seed=0)


@pytest.mark.parametrize("forward", [L.sigmoid_forward, L.tanh_forward])
@pytest.mark.parametrize("dtype", [np.uint8, np.int64, bool])
def test_sigmoid_and_tanh_refuse_integer_input(forward, dtype):
    with pytest.raises(TypeError, match=rf"{forward.__name__}: X must be a float array"):
        forward(np.array([3, 200], dtype=dtype))


def test_linear_module_refuses_bad_bias_flag_non_finite_init_and_odd_dtypes():
    with pytest.raises(TypeError, match="bias must be True or False, got 'no'"):
        L.Linear(2, 2, bias="no")
    with pytest.raises(ValueError, match="init must give finite weights"):
        L.Linear(2, 2, init=np.full((2, 2), np.nan))
    for dtype in (np.float16, np.longdouble, np.int32):
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            L.Linear(2, 2, dtype=dtype)
        for cls in (L.BatchNorm, L.LayerNorm, L.BatchNorm2d):
            with pytest.raises(TypeError, match="dtype must be float32 or float64"):
                cls(2, dtype=dtype)
    assert L.Linear(2, 2, bias=np.bool_(False)).b is None


def test_layer_backward_refuses_non_float_dout_and_keeps_the_grads_dtype():
    layer = L.Linear(3, 2, seed=0)
    layer.forward(np.ones((4, 3), dtype=np.float32))
    for dtype in (int, bool):
        with pytest.raises(TypeError, match=r"Linear 3 -> 2: dout must be a floating-point"):
            layer.backward(np.ones((4, 2), dtype=dtype))
    layer.backward(np.ones((4, 2), dtype=np.float64))
    assert [g.dtype for g in layer.grads] == [np.float32, np.float32]


def test_given_dropout_masks_must_hold_zeros_and_ones():
    X = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"dropout_forward: mask must hold only 0 and 1.*2\.0"):
        L.dropout_forward(X, 0.5, mask=np.array([[2.0, 0, 1], [1, 1, 1]]))
    with pytest.raises(ValueError, match=r"dropconnect_forward: mask must hold only 0 and 1"):
        L.dropconnect_forward(X, np.ones((3, 2)), None, 0.5, mask=np.full((3, 2), 0.5))
    ok = np.array([[1, 0, 1], [0, 1, 1]])
    out, _ = L.dropout_forward(X, 0.5, mask=ok)
    np.testing.assert_array_equal(out, 2.0 * ok)
    out_bool, _ = L.dropout_forward(X, 0.5, mask=ok.astype(bool))
    np.testing.assert_array_equal(out_bool, out)


def test_batchnorm_eval_refuses_bad_running_statistics_and_shared_buffers():
    X, g, b = np.ones((2, 2)), np.ones(2), np.zeros(2)
    with pytest.raises(ValueError, match=r"running_var must be >= 0 \(a variance\).*-1\.0"):
        L.batchnorm_forward(X, g, b, np.zeros(2), np.array([1.0, -1.0]), "eval")
    with pytest.raises(ValueError, match=r"running_var must be finite in eval mode.*nan"):
        L.batchnorm_forward(X, g, b, np.zeros(2), np.array([np.nan, 1.0]), "eval")
    with pytest.raises(ValueError, match="running_mean and running_var must be finite"):
        L.batchnorm_forward(X, g, b, np.array([np.inf, 0.0]), np.ones(2), "eval")
    s = np.ones(2)
    for mode in ("train", "eval"):
        with pytest.raises(ValueError, match="running_mean and running_var must be two separate"):
            L.batchnorm_forward(np.random.default_rng(0).random((3, 2)), g, b, s, s, mode)
    np.testing.assert_array_equal(s, 1.0)


def test_flatten_of_an_empty_batch():
    out, cache = L.flatten_forward(np.zeros((0, 3, 2)))
    assert out.shape == (0, 6)
    assert L.flatten_backward(out, cache).shape == (0, 3, 2)


def test_spatial_batchnorm_errors_name_it_and_the_callers_shape():
    X = np.ones((2, 3, 2, 2))
    with pytest.raises(
        ValueError,
        match=r"^spatial_batchnorm_forward: gamma must have shape \(3,\).*\(2, 3, 2, 2\)",
    ):
        L.spatial_batchnorm_forward(X, np.ones(2), np.zeros(3), None, None)
    with pytest.raises(
        ValueError, match=r"^spatial_batchnorm_forward: running_var must have shape \(3,\)"
    ):
        L.spatial_batchnorm_forward(X, np.ones(3), np.zeros(3), np.zeros(3), np.ones(4))
    with pytest.raises(
        ValueError, match=r"^spatial_batchnorm_forward: train mode needs .*\(1, 3, 1, 1\)"
    ):
        L.spatial_batchnorm_forward(np.ones((1, 3, 1, 1)), np.ones(3), np.zeros(3), None, None)
    bad = X.copy()
    bad[0, 1, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^spatial_batchnorm_forward: the batch X holds inf"):
        L.spatial_batchnorm_forward(bad, np.ones(3), np.zeros(3), None, None)


@pytest.mark.parametrize(
    ("backward", "forward", "shape"),
    [
        (L.linear_backward, "linear_forward", (2, 2)),
        (L.batchnorm_backward, "batchnorm_forward", (2, 2)),
        (L.layernorm_backward, "layernorm_forward", (2, 2)),
        (L.spatial_batchnorm_backward, "spatial_batchnorm_forward", (1, 2, 1, 1)),
        (L.dropconnect_backward, "dropconnect_forward", (2, 2)),
        (L.relu_backward, "relu_forward", (2, 2)),
        (L.tanh_backward, "tanh_forward", (2, 2)),
        (L.sigmoid_backward, "sigmoid_forward", (2, 2)),
        (L.leaky_relu_backward, "leaky_relu_forward", (2, 2)),
        (L.dropout_backward, "dropout_forward", (2, 2)),
        (L.flatten_backward, "flatten_forward", (2, 2)),
    ],
)
def test_functional_backward_with_a_malformed_cache_says_what_the_cache_must_be(
    backward, forward, shape
):
    for cache in (None, (np.ones(2),), "cache"):
        with pytest.raises(TypeError, match=rf"cache must be what {forward} returned"):
            backward(np.ones(shape), cache)
