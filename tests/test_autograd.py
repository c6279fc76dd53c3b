"""dlnotes.autograd (numpy only): every operation's gradient against central differences in
float64 (broadcasting cases included), the course MLP's gradients against the hand-written
backward passes of dlnotes.layers, checkpointing, no_grad, and the errors."""

import numpy as np
import pytest

import dlnotes.autograd as A
from dlnotes.autograd import Tensor
from dlnotes.layers import Linear
from dlnotes.losses import softmax_cross_entropy
from dlnotes.model import Sequential, mlp
from tests.autograd_cases import all_cases, apply_numpy_engine, inputs


def weighted_loss(out, R):
    """A scalar that depends on every output entry with a random weight."""
    return (out * Tensor(R)).sum() if out.ndim else out * float(R)


def numerical_grads(f, xs, eps=1e-6):
    grads = []
    for x in xs:
        g = np.zeros_like(x)
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = x[i]
            x[i] = old + eps
            up = f()
            x[i] = old - eps
            down = f()
            x[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("name, shapes", all_cases(), ids=lambda v: str(v))
def test_gradient_matches_central_differences(name, shapes):
    for seed in (0, 1):
        xs = inputs(name, shapes, seed)
        out_shape = apply_numpy_engine(A, name, [Tensor(x) for x in xs]).shape
        R = np.random.default_rng(100 + seed).standard_normal(out_shape)

        def f(xs=xs, R=R):
            return weighted_loss(apply_numpy_engine(A, name, [Tensor(x) for x in xs]), R).item()

        ts = [Tensor(x, requires_grad=True) for x in xs]
        weighted_loss(apply_numpy_engine(A, name, ts), R).backward()
        for t, num in zip(ts, numerical_grads(f, xs)):
            assert t.grad.shape == t.shape and t.grad.dtype == np.float64
            np.testing.assert_allclose(t.grad, num, rtol=1e-6, atol=1e-8, err_msg=name)


def test_broadcast_gradient_is_a_sum_over_the_stretched_axes():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    c = Tensor(np.array([[2.0], [5.0]]), requires_grad=True)
    ((x + b) * c).sum().backward()
    np.testing.assert_array_equal(b.grad, [7.0, 7.0, 7.0])  # sum over rows of c
    np.testing.assert_array_equal(c.grad, [[3.0 + 6.0], [12.0 + 6.0]])
    np.testing.assert_array_equal(x.grad, [[2.0] * 3, [5.0] * 3])


def test_seed_example_minimised_to_five():
    w = Tensor(np.array(0.0), requires_grad=True)
    for _ in range(200):
        J = w * w - 10 * w + 25
        w.zero_grad()
        J.backward()
        assert w.grad == pytest.approx(2 * w.value - 10)
        with A.no_grad():
            w.value -= 0.1 * w.grad
    assert w.item() == pytest.approx(5.0, abs=1e-12)


def test_gradient_accumulates_over_paths_and_over_calls():
    x = Tensor(np.array(3.0), requires_grad=True)
    y = x * x + x  # two paths to x
    y.backward(retain_graph=True)
    assert x.grad == 7.0
    y.backward()  # leaves accumulate, as in torch
    assert x.grad == 14.0


def test_no_grad_records_nothing_and_is_restored_after_an_error():
    x = Tensor(np.ones(3), requires_grad=True)
    with A.no_grad():
        y = x * 2
    assert y.node is None and not y.requires_grad
    with pytest.raises(ZeroDivisionError), A.no_grad():
        _ = 1 / 0
    assert A.is_grad_enabled()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_backward_twice_on_a_freed_graph_is_a_clear_error():
    x = Tensor(np.ones(3), requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        loss.backward()
    assert A.saved_bytes(loss) == 0  # freed


def test_non_scalar_backward_needs_a_seed():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"non-scalar tensor of shape \(2, 3\) needs a seed"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad must have the shape of the tensor, \(2, 3\)"):
        y.backward(np.ones(3))
    y.backward(np.full((2, 3), 2.0))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 6.0))


def test_shape_and_dtype_errors_name_the_problem():
    a = Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"add: shapes \(3, 4\) and \(3,\) cannot be broadcast"):
        a + Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"matmul: .* got \(3, 4\) @ \(3, 4\)"):
        a @ a
    with pytest.raises(TypeError, match="different dtypes"):
        a + Tensor(np.ones(4, dtype=np.float32))
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        Tensor(np.arange(3))
    with pytest.raises(TypeError, match="integer class labels"):
        A.softmax_cross_entropy(a, np.zeros(3))
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        A.softmax_cross_entropy(a, np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="cannot reshape"):
        a.reshape(5, 2)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        a.sum(axis=2)


def test_float32_stays_float32():
    x = Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    W = Tensor(np.full((3, 2), 0.5, dtype=np.float32), requires_grad=True)
    loss = A.softmax_cross_entropy((x @ W).tanh() * 2 + 1, np.array([0, 1, 1, 0]))
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and W.grad.dtype == np.float32


def test_cross_entropy_is_stable_for_huge_logits():
    z = Tensor(np.array([[1000.0, 0.0], [0.0, -1000.0]]), requires_grad=True)
    loss = A.softmax_cross_entropy(z, np.array([0, 1]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(500.0)
    loss.backward()
    np.testing.assert_allclose(z.grad, [[0.0, 0.0], [0.5, -0.5]], atol=1e-12)


def course_mlp(seed=0, dtype=np.float64):
    """The chapter's network: Linear-BatchNorm-ReLU-Dropout twice, then a Linear classifier."""
    return mlp([8, 16, 12, 4], norm="batchnorm", dropout=0.25, seed=seed, dtype=dtype)


def test_mlp_gradients_equal_the_hand_written_backward_passes():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((32, 8))
    y = rng.integers(0, 4, 32)
    for _ in range(3):  # several steps: running statistics and parameters change
        model = course_mlp()
        twin = model.copy()
        logits = model.forward(X)
        loss, dlogits = softmax_cross_entropy(logits, y)
        model.backward(dlogits)
        masks = {i: layer.mask for i, layer in enumerate(model.layers) if hasattr(layer, "p")}
        params = A.parameters_of(twin)
        loss_t = A.softmax_cross_entropy(
            A.sequential_forward(twin, X, params, dropout_masks=masks), y
        )
        loss_t.backward()
        assert loss_t.item() == pytest.approx(loss, abs=1e-12)
        for name, g, t in zip(model.param_names, model.grads, params):
            np.testing.assert_allclose(t.grad, g, rtol=0, atol=1e-12, err_msg=name)
        for k, v in model.buffers.items():
            np.testing.assert_allclose(twin.buffers[k], v, rtol=0, atol=1e-15, err_msg=k)
        X = X + 0.1


def test_mlp_in_eval_mode_matches_predict():
    model = course_mlp(seed=2)
    rng = np.random.default_rng(4)
    model.forward(rng.standard_normal((16, 8)))  # moves the running statistics
    model.eval()
    X = rng.standard_normal((5, 8))
    out = A.sequential_forward(model, X, A.parameters_of(model))
    np.testing.assert_allclose(out.value, model.predict(X), rtol=0, atol=1e-13)


def test_sequential_forward_errors():
    model = course_mlp()
    with pytest.raises(ValueError, match="pass its 0/1 mask in dropout_masks"):
        A.sequential_forward(model, np.ones((4, 8)), A.parameters_of(model))
    with pytest.raises(ValueError, match="one tensor per model parameter: expected"):
        A.sequential_forward(model, np.ones((4, 8)), A.parameters_of(model)[:2])


def test_checkpoint_gives_the_same_gradients_with_less_saved_memory():
    rng = np.random.default_rng(5)
    X = Tensor(rng.standard_normal((64, 32)))
    Ws = [Tensor(rng.standard_normal((32, 32)) * 0.2, requires_grad=True) for _ in range(8)]

    def segment(weights):
        def run(h):
            for W in weights:
                h = (h @ W).tanh()
            return h

        return run

    def run(segments):
        h = X
        size = len(Ws) // segments
        for s in range(segments):
            block = segment(Ws[s * size : (s + 1) * size])
            h = A.checkpoint(block, h) if segments > 1 else block(h)
        return h.sum()

    plain = run(1)
    plain_bytes = A.saved_bytes(plain)
    plain.backward()
    expected = [W.grad.copy() for W in Ws]
    for W in Ws:
        W.zero_grad()
    ckpt = run(4)  # 4 segments of 2 layers: keeps 3 segment inputs instead of 8 activations
    assert A.saved_bytes(ckpt) == 3 * X.value.nbytes
    assert plain_bytes == 8 * X.value.nbytes
    ckpt.backward()
    for W, g in zip(Ws, expected):
        np.testing.assert_allclose(W.grad, g, rtol=1e-12, atol=1e-14)


def test_linear_layer_layout_is_in_by_out():
    layer = Linear(3, 2, seed=0, dtype=np.float64)
    x = Tensor(np.ones((4, 3)))
    W, b = (Tensor(p, requires_grad=True) for p in layer.params)
    out = A.linear(x, W, b)
    np.testing.assert_allclose(out.value, layer.forward(np.ones((4, 3))))
    assert W.shape == (3, 2)


def test_topological_order_puts_inputs_first():
    x = Tensor(np.ones(2), requires_grad=True, name="x")
    h = x.exp()
    y = (h * h + x).sum()
    order = A.topological_order(y)
    position = {id(t): k for k, t in enumerate(order)}
    assert position[id(x)] < position[id(h)] < position[id(y)] and order[-1] is y


def test_sequential_rejects_unsupported_layers():
    from dlnotes.layers import LayerNorm

    model = Sequential(Linear(3, 3, seed=0, dtype=np.float64), LayerNorm(3, dtype=np.float64))
    with pytest.raises(TypeError, match="has no autograd version"):
        A.sequential_forward(model, np.ones((2, 3)), A.parameters_of(model))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_batch_norm_refuses_a_bad_batch_before_touching_the_running_statistics(bad):
    from dlnotes._validate import NonFiniteError

    r = np.random.default_rng(3)
    x = r.standard_normal((6, 3))
    x[2, 1] = bad
    rm, rv = r.standard_normal(3), r.uniform(0.5, 2.0, 3)
    mean0, var0 = rm.tobytes(), rv.tobytes()
    gamma, beta = Tensor(np.ones(3)), Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"batch_norm: the batch X holds inf or NaN \(feature 1"):
        A.batch_norm(Tensor(x), gamma, beta, rm, rv)
    assert rm.tobytes() == mean0 and rv.tobytes() == var0
    with pytest.raises(NonFiniteError):  # what fit catches as divergence
        A.batch_norm(Tensor(x), gamma, beta, rm, None)
    assert rm.tobytes() == mean0


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"eps": -1e-5}, ValueError, "eps must be > 0"),
        ({"eps": 0.0}, ValueError, "eps must be > 0"),
        ({"eps": np.nan}, ValueError, "eps must be finite"),
        ({"eps": "1e-5"}, TypeError, "eps must be a real number"),
        ({"training": "no"}, TypeError, "training must be True or False, got 'no'"),
        ({"training": 0}, TypeError, "training must be True or False, got 0"),
    ],
)
def test_batch_norm_refuses_bad_options_before_touching_the_running_statistics(
    options, error, message
):
    x = np.random.default_rng(4).standard_normal((6, 3))
    rm, rv = np.zeros(3), np.ones(3)
    gamma, beta = Tensor(np.ones(3)), Tensor(np.zeros(3))
    with pytest.raises(error, match="batch_norm: " + message):
        A.batch_norm(Tensor(x), gamma, beta, rm, rv, **options)
    np.testing.assert_array_equal(rm, np.zeros(3))
    np.testing.assert_array_equal(rv, np.ones(3))
    out = A.batch_norm(Tensor(x), gamma, beta, rm, rv, training=np.True_, eps=1e-5)
    np.testing.assert_allclose(out.value.mean(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize(
    ("grad_shape", "shape"), [((2, 3), (4,)), ((3,), (2, 3)), ((2, 3), (5, 3)), ((2, 3), (2,))]
)
def test_unbroadcast_refuses_a_shape_the_gradient_does_not_reduce_to(grad_shape, shape):
    with pytest.raises(ValueError, match=r"unbroadcast: a gradient of shape .* cannot be summed"):
        A.unbroadcast(np.ones(grad_shape), shape)


def test_unbroadcast_still_sums_broadcast_axes():
    assert A.unbroadcast(np.ones((4, 2, 3)), (3,)).tolist() == [8.0, 8.0, 8.0]
    assert A.unbroadcast(np.ones((2, 3)), (2, 1)).tolist() == [[3.0], [3.0]]
    assert A.unbroadcast(np.ones((2, 3)), (1, 3)).shape == (1, 3)
    assert A.unbroadcast(np.ones((2, 3)), ()).shape == ()
