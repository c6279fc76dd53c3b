"""dlnotes.model: Sequential's params/grads contract with dlnotes.optim, modes, save/load,
shape errors, and the mlp builder."""

import numpy as np
import pytest

from dlnotes import layers as L
from dlnotes.gradcheck import check_model
from dlnotes.losses import softmax_cross_entropy
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD


def data(n=16, d=6, c=3, seed=0):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, d)).astype(np.float32), r.integers(0, c, n)


def small_model(seed=0):
    return Sequential(
        L.Linear(6, 8, seed=seed),
        L.BatchNorm(8),
        L.ReLU(),
        L.Dropout(0.2, seed=1),
        L.Linear(8, 3, seed=seed + 1),
    )


def test_params_are_the_layers_arrays_and_grads_align():
    model = small_model()
    X, y = data()
    assert [
        p is q
        for p, q in zip(
            model.params,
            [model[0].W, model[0].b, model[1].gamma, model[1].beta, model[4].W, model[4].b],
        )
    ]
    assert model.param_names == ["0.W", "0.b", "1.gamma", "1.beta", "4.W", "4.b"]
    assert model.penalized == [True, False, False, False, True, False]
    assert model.weights[0] is model[0].W
    _, d = softmax_cross_entropy(model.forward(X), y)
    model.backward(d)
    assert [g.shape for g in model.grads] == [p.shape for p in model.params]
    assert model.num_params == 6 * 8 + 8 + 8 + 8 + 8 * 3 + 3


def test_optimizer_steps_change_the_model_in_place():
    model = small_model()
    X, y = data()
    params = model.params
    opt = SGD(model.params, lr=0.5, momentum=0.9)
    model.eval()
    before = model.forward(X).copy()
    model.train()
    for _ in range(3):
        _, d = softmax_cross_entropy(model.forward(X), y)
        model.backward(d)
        opt.step(model.grads)
    assert all(p is q for p, q in zip(params, model.params))
    model.eval()
    assert not np.allclose(model.forward(X), before)


def test_whole_model_gradient_check_with_penalties():
    model = small_model()
    X, y = data()
    report = check_model(model, X, y, l2=0.05, l1=0.01, num_checks=None)
    assert report.passed(1e-7), str(report)
    assert [r["name"] for r in report.rows] == model.param_names
    assert report.rows[1]["verdict"] == "zero"  # a bias before BatchNorm has no effect
    assert model.dtype == np.float32 and model.training  # the model itself is untouched


def test_train_and_eval_modes_propagate():
    model = small_model()
    X, _ = data()
    model.eval()
    assert not model.training and all(not layer.training for layer in model.layers)
    np.testing.assert_array_equal(model.forward(X), model.forward(X))  # deterministic
    model.train()
    assert model.training
    assert not np.array_equal(model.forward(X), model.forward(X))  # dropout masks differ
    with pytest.raises(TypeError, match="mode must be True"):
        model.train("eval")  # one way to set the mode: train() / eval(), as in torch
    assert model.training


def test_predict_restores_mode_and_backward_without_input_grad():
    model = small_model()
    X, y = data()
    model.predict(X, batch_size=5)
    assert model.training
    _, d = softmax_cross_entropy(model.forward(X), y)
    assert model.backward(d, input_grad=False) is None
    assert model.backward(d).shape == X.shape


def test_save_load_roundtrip_copies_into_the_same_arrays(tmp_path):
    model = small_model(seed=0)
    X, _ = data()
    for _ in range(3):
        model.forward(X)  # move the BatchNorm running statistics
    path = tmp_path / "model.npz"
    model.save(path)
    other = small_model(seed=5)
    params = other.params
    other.load(path)
    assert all(p is q for p, q in zip(params, other.params))
    for a, b in zip(model.params, other.params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model[1].running_var, other[1].running_var)
    model.eval()
    other.eval()
    np.testing.assert_array_equal(model.forward(X), other.forward(X))


def test_load_rejects_a_different_architecture(tmp_path):
    path = tmp_path / "m.npz"
    small_model().save(path)
    with pytest.raises(ValueError, match=r"missing .*unexpected"):
        mlp([6, 8, 3]).load(path)
    wide = Sequential(
        L.Linear(6, 9, seed=0), L.BatchNorm(9), L.ReLU(), L.Dropout(0.2), L.Linear(9, 3, seed=0)
    )
    with pytest.raises(ValueError, match=r"0.W must have shape \(6, 9\), got \(6, 8\)"):
        wide.load(path)


def test_mismatched_layers_are_caught_when_building():
    with pytest.raises(
        ValueError,
        match=r"layer 2 \(Linear 100 -> 10\) expects 100 input "
        r"features but layer 0 \(Linear 784 -> 256\) produces "
        r"256: shapes \(N, 256\) and \(N, 100\)",
    ):
        Sequential(L.Linear(784, 256, seed=0), L.ReLU(), L.Linear(100, 10, seed=0))
    with pytest.raises(ValueError, match=r"layer 1 \(BatchNorm\(5\)\) expects 5"):
        Sequential(L.Linear(3, 4, seed=0), L.BatchNorm(5))
    with pytest.raises(TypeError, match="layer 1 must be a dlnotes Layer"):
        Sequential(L.ReLU(), "relu")
    with pytest.raises(TypeError, match="share one dtype"):
        Sequential(L.Linear(3, 4, seed=0), L.Linear(4, 2, seed=0, dtype=np.float64))


def test_backward_before_forward_names_the_layer():
    model = mlp([6, 5, 3], seed=0)
    with pytest.raises(
        RuntimeError,
        match=r"layer 2 \(Linear 5 -> 3\): backward\(\) called "
        r"before forward\(\)",
    ):
        model.backward(np.ones((4, 3), dtype=np.float32))


def test_wrong_input_shape_names_the_layer():
    model = Sequential(L.Flatten(), L.Linear(64, 10, seed=0))
    with pytest.raises(
        ValueError,
        match=r"layer 1 \(Linear 64 -> 10\): expected input of "
        r"shape \(N, 64\), got \(2, 49\)",
    ):
        model.forward(np.zeros((2, 7, 7)))
    assert model.forward(np.zeros((2, 8, 8))).shape == (2, 10)


def test_astype_makes_an_independent_float64_copy():
    model = small_model()
    copy64 = model.astype(np.float64)
    assert copy64.dtype == np.float64 and all(p.dtype == np.float64 for p in copy64.params)
    copy64.params[0][...] = 0
    assert np.any(model.params[0] != 0) and model.params[0].dtype == np.float32


def test_mlp_builder_structure_and_seeding():
    m = mlp([64, 32, 32, 10], norm="batchnorm", dropout=0.1, seed=3)
    kinds = [type(layer).__name__ for layer in m.layers]
    assert kinds == [
        "Linear",
        "BatchNorm",
        "ReLU",
        "Dropout",
        "Linear",
        "BatchNorm",
        "ReLU",
        "Dropout",
        "Linear",
    ]
    assert m[0].b is None and m[8].b is not None  # BatchNorm's beta replaces the bias
    twin = mlp([64, 32, 32, 10], norm="batchnorm", dropout=0.1, seed=3)
    X = np.random.default_rng(0).random((5, 64)).astype(np.float32)
    np.testing.assert_array_equal(m.forward(X), twin.forward(X))
    assert not np.array_equal(m[0].W, mlp([64, 32, 32, 10], seed=4)[0].W)
    assert [type(layer).__name__ for layer in mlp([4, 3], activation="tanh").layers] == ["Linear"]
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp([4, 3, 2], activation="swish")


def test_record_keeps_activations_and_their_gradients():
    model = mlp([6, 5, 3], seed=0)
    X, y = data()
    model.record = True
    out = model.forward(X)
    _, d = softmax_cross_entropy(out, y)
    model.backward(d)
    assert len(model.activations) == len(model.activation_grads) == 3
    assert model.activations[-1] is out and model.activation_grads[-1] is d
    assert "total" in model.summary() and repr(model).startswith("Sequential(Linear 6 -> 5")


def test_load_state_dict_refuses_non_finite_values_and_loads_nothing():
    from dlnotes._validate import NonFiniteInputError

    model = mlp([3, 4, 2], seed=0)
    before = [p.copy() for p in model.params]
    state = {k: v.copy() for k, v in model.state_dict().items()}
    state[model.param_names[0]] = np.full_like(state[model.param_names[0]], 0.5)
    name = model.param_names[-1]
    state[name] = state[name].copy()
    state[name].flat[1] = np.nan
    with pytest.raises(
        NonFiniteInputError, match=rf"{name} holds nan at index .*nothing was loaded"
    ):
        model.load_state_dict(state)
    for p, b in zip(model.params, before):
        np.testing.assert_array_equal(p, b)
    state[name] = np.array(["x"] * state[name].size).reshape(state[name].shape)
    with pytest.raises(TypeError, match=rf"{name} must be a real-valued array"):
        model.load_state_dict(state)
