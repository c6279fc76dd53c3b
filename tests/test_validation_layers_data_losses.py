"""Public-API review, part b: activation caches, backward dtypes, dropout's eval cache,
minibatches' copies and its per-epoch seed, float32 finite differences, model.grads before any
backward pass."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlnotes import gradcheck as gc
from dlnotes import layers as L
from dlnotes.data import minibatches
from dlnotes.losses import softmax_cross_entropy
from dlnotes.model import Sequential, mlp


def rng(seed=0):
    return np.random.default_rng(seed)


# -- 1: editing an activation's output in place leaves the backward pass right ----------------

ACTIVATIONS = [
    (L.relu_forward, L.relu_backward, lambda Z: (Z > 0).astype(float)),
    (L.tanh_forward, L.tanh_backward, lambda Z: 1 - np.tanh(Z) ** 2),
    (L.sigmoid_forward, L.sigmoid_backward, lambda Z: (s := 1 / (1 + np.exp(-Z))) * (1 - s)),
    (
        lambda Z: L.leaky_relu_forward(Z, 0.1),
        L.leaky_relu_backward,
        lambda Z: np.where(Z > 0, 1.0, 0.1),
    ),
]


@pytest.mark.parametrize(("forward", "backward", "slope"), ACTIVATIONS)
def test_in_place_dropout_on_an_activation_output_keeps_its_gradient(forward, backward, slope):
    Z = rng(0).normal(size=(4, 3))
    keep = rng(1).random((4, 3)) > 0.5
    h, cache = forward(Z)
    h *= keep / 0.5  # inverted dropout written in place
    h[0] = -5.0  # and a clip-like overwrite
    dout = keep / 0.5
    np.testing.assert_allclose(backward(dout, cache), dout * slope(Z), rtol=1e-12, atol=0)
    assert not np.shares_memory(h, cache if isinstance(cache, np.ndarray) else cache[0])


@pytest.mark.parametrize("activation", [L.Tanh, L.Sigmoid, L.ReLU])
def test_editing_a_model_output_in_place_leaves_its_backward_pass_right(activation):
    X = rng(2).normal(size=(5, 4))
    dout = rng(3).normal(size=(5, 3))
    ref = Sequential(L.Linear(4, 3, seed=0, dtype=np.float64), activation())
    ref.forward(X)
    ref.backward(dout)
    model = Sequential(L.Linear(4, 3, seed=0, dtype=np.float64), activation())
    out = model.forward(X)
    out *= 0.0  # the caller owns the returned array
    dX = model.backward(dout)
    np.testing.assert_array_equal(dX, ref.backward(dout))
    for g, g_ref in zip(model.grads, ref.grads):
        np.testing.assert_array_equal(g, g_ref)


def test_relu_backward_still_reads_a_float_cache_through_its_sign():
    out = np.array([[0.0, 2.0, 0.5]])
    np.testing.assert_array_equal(L.relu_backward(np.full((1, 3), 3.0), out), [[0.0, 3.0, 3.0]])


# -- 4: every functional backward requires a float dout ---------------------------------------


def _backward_cases():
    X = rng(4).normal(size=(4, 3))
    W, b = rng(5).normal(size=(3, 2)), np.zeros(2)
    gamma, beta = np.ones(3), np.zeros(3)
    images = rng(6).normal(size=(2, 3, 2, 2))
    return [
        ("relu_backward", L.relu_backward, L.relu_forward(X)[1], (4, 3)),
        ("leaky_relu_backward", L.leaky_relu_backward, L.leaky_relu_forward(X)[1], (4, 3)),
        ("tanh_backward", L.tanh_backward, L.tanh_forward(X)[1], (4, 3)),
        ("sigmoid_backward", L.sigmoid_backward, L.sigmoid_forward(X)[1], (4, 3)),
        ("dropout_backward", L.dropout_backward, L.dropout_forward(X, 0.3, seed=0)[1], (4, 3)),
        ("dropout_backward", L.dropout_backward, L.dropout_forward(X, 0.3, "eval")[1], (4, 3)),
        ("linear_backward", L.linear_backward, L.linear_forward(X, W, b)[1], (4, 2)),
        (
            "dropconnect_backward",
            L.dropconnect_backward,
            L.dropconnect_forward(X, W, b, 0.3, seed=0)[1],
            (4, 2),
        ),
        ("flatten_backward", L.flatten_backward, L.flatten_forward(images)[1], (2, 12)),
        (
            "batchnorm_backward",
            L.batchnorm_backward,
            L.batchnorm_forward(X, gamma, beta, None, None, "train")[1],
            (4, 3),
        ),
        (
            "layernorm_backward",
            L.layernorm_backward,
            L.layernorm_forward(X, gamma, beta)[1],
            (4, 3),
        ),
        (
            "spatial_batchnorm_backward",
            L.spatial_batchnorm_backward,
            L.spatial_batchnorm_forward(images, gamma, beta, None, None, "train")[1],
            (2, 3, 2, 2),
        ),
    ]


@pytest.mark.parametrize(
    ("name", "backward", "cache", "shape"),
    _backward_cases(),
    ids=[
        c[0] + ("_eval" if isinstance(c[2], tuple) and c[0] == "dropout_backward" else "")
        for c in _backward_cases()
    ],
)
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int64])
def test_functional_backward_refuses_a_bool_or_int_dout(name, backward, cache, shape, dtype):
    with pytest.raises(TypeError, match=rf"{name}: dout must be a float array .*got dtype"):
        backward(np.ones(shape, dtype=dtype), cache)
    backward(np.ones(shape), cache)  # a float dout of the same shape is fine


def test_relu_backward_of_a_bool_dout_used_to_return_bools():
    _, cache = L.relu_forward(np.array([[1.0, -1.0]]))
    with pytest.raises(TypeError, match="relu_backward: dout must be a float array"):
        L.relu_backward(np.array([[True, True]]), cache)
    out = L.relu_backward(np.array([[2.0, 2.0]], dtype=np.float32), cache)
    assert out.dtype == np.float32 and out.tolist() == [[2.0, 0.0]]


# -- 5: dropout's eval-mode cache knows the forward shape -------------------------------------


@pytest.mark.parametrize("kind", ["inverted", "vanilla"])
def test_dropout_backward_in_eval_mode_checks_the_shape_of_dout(kind):
    X = rng(7).normal(size=(2, 2))
    _, cache = L.dropout_forward(X, 0.5, "test", kind=kind)
    for bad in (np.ones(7), np.ones((2, 1)), np.ones((1, 2, 2))):
        with pytest.raises(
            ValueError, match=r"dropout_backward: dout must have the shape .*\(2, 2\)"
        ):
            L.dropout_backward(bad, cache)
    dout = rng(8).normal(size=(2, 2))
    scale = 1.0 if kind == "inverted" else 0.5
    np.testing.assert_array_equal(L.dropout_backward(dout, cache), dout * scale)


def test_dropout_backward_refuses_a_bare_number_or_a_malformed_eval_cache():
    for cache in (0.5, 1, (0.5,), (0.5, "shape"), ("0.5", (2, 2)), (True, (2, 2))):
        with pytest.raises(TypeError, match="dropout_backward: cache must be what dropout_forward"):
            L.dropout_backward(np.ones((2, 2)), cache)


def test_dropout_module_in_eval_mode_still_has_no_mask_and_backpropagates():
    layer = L.Dropout(0.3, seed=0)
    X = rng(9).normal(size=(3, 4)).astype(np.float32)
    layer.forward(X)
    assert layer.mask is not None
    layer.eval()
    np.testing.assert_array_equal(layer.forward(X), X)
    assert layer.mask is None
    dout = np.ones((3, 4), dtype=np.float32)
    np.testing.assert_array_equal(layer.backward(dout), dout)


# -- 2: minibatches never alias X, and its docstring says how epochs reshuffle ----------------


@pytest.mark.parametrize("shuffle", [False, True])
def test_editing_a_batch_in_place_never_changes_the_data(shuffle):
    X, y = np.arange(16.0).reshape(8, 2), np.arange(8)
    X0, y0 = X.copy(), y.copy()
    seen = []
    for Xb, yb in minibatches(X, y, 3, shuffle=shuffle):
        seen.append(Xb.copy())
        Xb *= 0
        yb[:] = -1
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert sum(len(b) for b in seen) == 8
    for Xb, _ in minibatches(X, None, 4, shuffle=False):
        Xb -= 100
    np.testing.assert_array_equal(X, X0)


def test_unshuffled_batches_keep_their_values_and_memory_layout():
    X = np.asfortranarray(rng(10).normal(size=(7, 3)))
    batches = [Xb for Xb, _ in minibatches(X, None, 3, shuffle=False)]
    np.testing.assert_array_equal(np.concatenate(batches), X)
    assert all(b.flags.f_contiguous for b in batches)


def test_minibatches_docstring_warns_that_an_int_seed_repeats_the_order():
    doc = minibatches.__doc__
    assert "same* permutation at every call" in doc and "default_rng" in doc

    def order(seed):
        batches = minibatches(np.ones((6, 1)), np.arange(6), 3, seed=seed)
        return [yb.tolist() for _, yb in batches]

    assert order(0) == order(0)  # an int repeats (documented) ...
    gen = rng(0)
    assert order(gen) != order(gen)  # ... a Generator advances


# -- 3: finite differences in float32 are warned about ----------------------------------------


def test_numerical_gradient_warns_on_float32_with_a_filterable_category():
    x32 = rng(0).normal(size=5).astype(np.float32)
    with pytest.warns(
        gc.LowPrecisionWarning,
        match=r"x is float32: finite differences need float64 \(see chapter 08\)",
    ):
        g = gc.numerical_gradient(lambda v: float(np.tanh(v).sum()), x32)
    assert g.dtype == np.float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", gc.LowPrecisionWarning)
        gc.numerical_gradient(lambda v: float(np.tanh(v).sum()), x32)  # chapter 08's filter
    assert issubclass(gc.LowPrecisionWarning, UserWarning)


def test_numerical_gradient_array_warns_once_and_float64_never_warns():
    W32 = rng(1).normal(size=(3, 2)).astype(np.float32)
    X = rng(2).normal(size=(4, 3)).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.numerical_gradient_array(lambda _: X @ W32, W32, np.ones((4, 2)))
    assert [type(w.message) for w in caught] == [gc.LowPrecisionWarning]
    assert caught[0].filename == __file__  # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x64 = rng(3).normal(size=4)
        gc.numerical_gradient(lambda v: float(np.sum(v**2)), x64)
        assert gc.check_layer(L.Linear(3, 2, seed=0), X).passed(1e-7)  # float64 copies


# -- 7: model.grads before any backward pass ---------------------------------------------------


def test_model_grads_before_any_backward_pass_says_to_call_backward():
    model = mlp([4, 5, 3], seed=0)
    with pytest.raises(
        RuntimeError,
        match=r"model.grads: layer 0 \(Linear 4 -> 5\) has had no "
        r"backward pass yet.*call model.backward\(dout\) first",
    ):
        model.grads  # noqa: B018
    X, y = rng(4).normal(size=(6, 4)).astype(np.float32), np.array([0, 1, 2, 0, 1, 2])
    model.forward(X)  # a forward pass alone does not make gradients
    with pytest.raises(RuntimeError, match=r"call model\.backward"):
        model.grads  # noqa: B018
    _, d = softmax_cross_entropy(model.forward(X), y)
    model.backward(d, input_grad=False)
    assert [g.shape for g in model.grads] == [p.shape for p in model.params]
    assert all(layer.has_grads for layer in model.layers)
    assert model.copy().grads[0] is not model.grads[0]  # a copy keeps its gradients
    assert len(Sequential(L.ReLU()).grads) == 0  # no parameters, nothing to refuse
