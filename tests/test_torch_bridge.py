"""dlnotes.optim reproduces torch.optim on the same initial weights and batches; optimizer and
model checkpoints cross dlnotes -> torch -> dlnotes with identical results; bad or mismatched
state gets a clear error. The torch parts are skipped only when torch is absent."""

import numpy as np
import pytest

from dlnotes import optim
from dlnotes.losses import softmax_cross_entropy
from dlnotes.model import mlp

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-3)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, weight_decay=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=1e-2, momentum=0.5, centered=True)),
]


def batches(n_steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n_steps):
        X = rng.standard_normal((16, 6))
        yield X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)


def new_model(seed=0):
    return mlp([6, 10, 3], norm="batchnorm", seed=seed, dtype=np.float64)


def dlnotes_steps(model, opt, data):
    for X, y in data:
        _, dlogits = softmax_cross_entropy(model.forward(X), y)
        model.backward(dlogits, input_grad=False)
        opt.step(model.grads)


def torch_steps(torch, net, opt, data):
    for X, y in data:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y))
        loss.backward()
        opt.step()


@pytest.mark.parametrize("name, hyper", CONFIGS, ids=lambda v: str(v))
def test_dlnotes_optim_reproduces_torch_optim(name, hyper):
    torch = pytest.importorskip("torch")
    from dlnotes.torch_bridge import model_state_from_torch, torch_sequential

    model = new_model()
    net = torch_sequential(model)
    opt = getattr(optim, name)(model.params, **hyper)
    topt = getattr(torch.optim, name)(net.parameters(), **hyper)
    dlnotes_steps(model, opt, batches(8))
    torch_steps(torch, net, topt, batches(8))
    theirs = model_state_from_torch(net.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, theirs[key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name, hyper", CONFIGS, ids=lambda v: str(v))
def test_checkpoint_round_trip_dlnotes_torch_dlnotes(name, hyper):
    torch = pytest.importorskip("torch")
    from dlnotes.torch_bridge import (
        model_state_from_torch,
        model_state_to_torch,
        optimizer_state_from_torch,
        optimizer_state_to_torch,
        torch_sequential,
    )

    data = list(batches(9, seed=3))
    # the reference: nine steps in dlnotes
    ref = new_model(1)
    dlnotes_steps(ref, getattr(optim, name)(ref.params, **hyper), data)
    # three in dlnotes, three in torch, three in dlnotes again
    model = new_model(1)
    opt = getattr(optim, name)(model.params, **hyper)
    dlnotes_steps(model, opt, data[:3])
    net = torch_sequential(new_model(2))  # other weights: the checkpoint must overwrite them
    net.load_state_dict(model_state_to_torch(model.state_dict()))
    topt = getattr(torch.optim, name)(net.parameters(), **hyper)
    topt.load_state_dict(optimizer_state_to_torch(opt.state_dict(), model))
    torch_steps(torch, net, topt, data[3:6])
    back = new_model(3)
    back.load_state_dict(model_state_from_torch(net.state_dict()))
    opt_back = getattr(optim, name)(back.params, **hyper)
    opt_back.load_state_dict(optimizer_state_from_torch(topt.state_dict(), back))
    # torch's SGD counts no steps: the "step" dlnotes stored travels through torch unchanged
    # (SGD uses its step count only to start the momentum buffer, so the updates agree).
    assert opt_back.t == (3 if name == "SGD" else 6)
    dlnotes_steps(back, opt_back, data[6:])
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(back.state_dict()[key], value, rtol=1e-10, atol=1e-12)


def test_optimizer_state_dict_round_trips_within_dlnotes():
    model = new_model()
    opt = optim.Adam(model.params, lr=1e-2)
    dlnotes_steps(model, opt, batches(4))
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["state"][0]["step"] == 4 and set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["param_groups"][0]["params"] == list(range(len(model.params)))
    twin = model.copy()
    opt2 = optim.Adam(twin.params, lr=1e-2)
    opt2.load_state_dict(sd)
    sd["state"][0]["exp_avg"] += 1  # a copy: changing it changes neither optimizer
    dlnotes_steps(model, opt, batches(2, seed=9))
    dlnotes_steps(twin, opt2, batches(2, seed=9))
    for a, b in zip(model.params, twin.params):
        np.testing.assert_array_equal(a, b)


def test_fresh_optimizer_has_empty_state_like_torch():
    opt = optim.SGD(np.ones(3), lr=0.1, momentum=0.9)
    assert opt.state_dict()["state"] == {}
    opt.load_state_dict(opt.state_dict())
    assert opt.t == 0


def test_learning_rate_comes_from_the_checkpoint():
    x = np.ones(3)
    opt = optim.SGD(x, lr=0.1, momentum=0.9)
    opt.step(np.ones(3))
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.01  # e.g. a schedule had lowered it
    other = optim.SGD(np.ones(3), lr=0.1, momentum=0.9)
    other.load_state_dict(sd)
    assert other.lr == 0.01 and other.t == 1


def test_bad_or_mismatched_state_is_a_clear_error():
    x = np.ones((2, 3))
    adam = optim.Adam([x, np.ones(3)], lr=1e-2)
    adam.step([np.ones((2, 3)), np.ones(3)])
    sd = adam.state_dict()
    sgd = optim.SGD([np.ones((2, 3)), np.ones(3)], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="has 'betas', which SGD does not have"):
        sgd.load_state_dict(sd)
    lacking = adam.state_dict()
    del lacking["state"][0]["exp_avg_sq"]
    pattern = r"params\[0\] does not match Adam.*missing \['exp_avg_sq'\]"
    with pytest.raises(ValueError, match=pattern):
        optim.Adam([np.ones((2, 3)), np.ones(3)], lr=1e-2).load_state_dict(lacking)
    with pytest.raises(ValueError, match=r"saved with betas=.*build the optimizer"):
        optim.Adam([np.ones((2, 3)), np.ones(3)], betas=(0.8, 0.999)).load_state_dict(sd)
    with pytest.raises(ValueError, match="lists 2 parameters, this optimizer has 1"):
        optim.Adam([np.ones((2, 3))]).load_state_dict(sd)
    bad = adam.state_dict()
    bad["state"][1]["exp_avg"] = np.ones(4)
    with pytest.raises(ValueError, match=r"exp_avg must have the parameter's shape \(3,\)"):
        optim.Adam([np.ones((2, 3)), np.ones(3)]).load_state_dict(bad)
    with pytest.raises(ValueError, match="keys 'state' and 'param_groups'"):
        adam.load_state_dict({"state": {}})
    two_groups = {"state": {}, "param_groups": [sd["param_groups"][0]] * 2}
    with pytest.raises(ValueError, match="exactly one param group, got 2"):
        adam.load_state_dict(two_groups)
    with pytest.raises(ValueError, match="decouples weight decay"):
        wrong = adam.state_dict()
        wrong["param_groups"][0]["decoupled_weight_decay"] = False
        optim.AdamW([np.ones((2, 3)), np.ones(3)], weight_decay=0.0).load_state_dict(wrong)
    with pytest.raises(ValueError, match="maximize=True, which dlnotes does not support"):
        wrong = adam.state_dict()
        wrong["param_groups"][0]["maximize"] = True
        adam.load_state_dict(wrong)
    with pytest.raises(NotImplementedError, match="LBFGS has no state_dict"):
        optim.LBFGS(np.ones(3)).state_dict()


def test_model_state_bridge_errors_and_layout():
    torch = pytest.importorskip("torch")
    from dlnotes.torch_bridge import model_state_from_torch, model_state_to_torch

    model = new_model()
    state = model_state_to_torch(model.state_dict())
    assert tuple(state["0.weight"].shape) == (10, 6) and model.params[0].shape == (6, 10)
    assert isinstance(state["1.num_batches_tracked"], torch.Tensor)
    with pytest.raises(ValueError, match="no torch counterpart"):
        model_state_to_torch({"0.V": np.ones(2)})
    with pytest.raises(ValueError, match="no dlnotes counterpart"):
        model_state_from_torch({"0.scale": torch.ones(2)})
    back = model_state_from_torch(state)
    assert set(back) == set(model.state_dict())
