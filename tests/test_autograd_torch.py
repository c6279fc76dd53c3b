"""dlnotes.autograd against torch autograd: every operation (broadcasting included) on
randomized float64 inputs, and the course MLP's gradients. Skipped only when torch is absent
(the lock installs it, so it runs in CI)."""

import numpy as np
import pytest

import dlnotes.autograd as A
from dlnotes.autograd import Tensor
from dlnotes.losses import softmax_cross_entropy
from dlnotes.model import mlp
from tests.autograd_cases import all_cases, apply_numpy_engine, apply_torch, inputs

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name, shapes", all_cases(), ids=lambda v: str(v))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_equals_torch_autograd(name, shapes, seed):
    xs = inputs(name, shapes, seed)
    ours = [Tensor(x.copy(), requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    out = apply_numpy_engine(A, name, ours)
    out_t = apply_torch(torch, name, theirs)
    assert out.shape == tuple(out_t.shape)
    np.testing.assert_allclose(out.value, out_t.detach().numpy(), rtol=1e-12, atol=1e-13)
    R = np.random.default_rng(50 + seed).standard_normal(out.shape)
    out.backward(R)
    out_t.backward(torch.tensor(R))
    for t, tt in zip(ours, theirs):
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-11, atol=1e-12, err_msg=name)


def torch_twin(model):
    """The same network as torch modules, weights copied (torch stores Linear's W as (out, in))."""
    nn = torch.nn
    modules = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Linear":
            lin = nn.Linear(layer.in_features, layer.out_features, bias=layer.b is not None)
            lin = lin.double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.W.T))
                if layer.b is not None:
                    lin.bias.copy_(torch.from_numpy(layer.b))
            modules.append(lin)
        elif kind == "BatchNorm":
            bn = nn.BatchNorm1d(layer.in_features, momentum=layer.momentum, eps=layer.eps).double()
            with torch.no_grad():
                bn.weight.copy_(torch.from_numpy(layer.gamma))
                bn.bias.copy_(torch.from_numpy(layer.beta))
            modules.append(bn)
        elif kind == "ReLU":
            modules.append(nn.ReLU())
        elif kind == "Dropout":
            modules.append(None)  # applied by hand with the same mask
    return modules


def test_course_mlp_gradients_equal_torch_and_the_hand_written_ones():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((32, 8))
    y = rng.integers(0, 4, 32)
    model = mlp([8, 16, 12, 4], norm="batchnorm", dropout=0.25, seed=1, dtype=np.float64)
    twin = model.copy()
    modules = torch_twin(model)
    logits = model.forward(X)
    loss, dlogits = softmax_cross_entropy(logits, y)
    model.backward(dlogits)
    masks = {i: layer.mask for i, layer in enumerate(model.layers) if hasattr(layer, "p")}
    params = A.parameters_of(twin)
    logits_t = A.sequential_forward(twin, X, params, dropout_masks=masks)
    A.softmax_cross_entropy(logits_t, y).backward()

    h = torch.from_numpy(X)
    for i, (layer, module) in enumerate(zip(model.layers, modules)):
        h = h * torch.from_numpy(masks[i]) / (1 - layer.p) if module is None else module(h)
    loss_t = torch.nn.functional.cross_entropy(h, torch.from_numpy(y))
    loss_t.backward()
    assert loss_t.item() == pytest.approx(loss, abs=1e-12)
    torch_grads = []
    for module in modules:
        if isinstance(module, torch.nn.Linear):
            torch_grads += [module.weight.grad.numpy().T] + (
                [module.bias.grad.numpy()] if module.bias is not None else []
            )
        elif isinstance(module, torch.nn.BatchNorm1d):
            torch_grads += [module.weight.grad.numpy(), module.bias.grad.numpy()]
    assert len(torch_grads) == len(params)
    for name, g, t, gt in zip(model.param_names, model.grads, params, torch_grads):
        np.testing.assert_allclose(t.grad, g, rtol=0, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(t.grad, gt, rtol=0, atol=1e-12, err_msg=name)
    bn = next(m for m in modules if isinstance(m, torch.nn.BatchNorm1d))
    np.testing.assert_allclose(twin.buffers["1.running_var"], bn.running_var.numpy(), atol=1e-15)
