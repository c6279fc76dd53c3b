"""Chapter 15's explorer (the backward sweep, event by event) and exercise references."""

import numpy as np
import pytest

from dlnotes.exercises.ch15 import logsumexp_backward, torch_train
from dlnotes.explorers import all_explorers, ch15


@pytest.mark.parametrize("w", [-1.0, 0.0, 2.0, 7.0])
def test_backward_events_add_up_to_the_engine_gradient(w):
    J, named = ch15.seed_graph(w)
    events = ch15.backward_events(J)
    total = sum(v for ev in events for parent, v in ev.sends if parent is named["w"])
    assert total == pytest.approx(2 * w - 10)
    assert [ev.node.name for ev in events] == ["J", "J", "w·w − 10·w", "w·w", "10·w"]
    # the graph is kept: the engine's own sweep afterwards gives the same gradient
    J.backward()
    assert named["w"].grad == pytest.approx(2 * w - 10)


def test_explorer_steps_and_reports_the_final_gradient():
    explorer = all_explorers()["ch15.backward_stepper"]()
    fig, state = explorer.setup()
    assert "no gradient yet" in explorer.redraw(state, step=0, w=0.0)
    last = max(explorer.controls[0].values)
    assert "dJ/dw = -10 = 2w − 10" in explorer.redraw(state, step=last, w=0.0)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_logsumexp_backward_matches_the_autograd_node():
    from dlnotes.autograd import Tensor, logsumexp

    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal(5)
    t = Tensor(x, requires_grad=True)
    logsumexp(t, axis=1).backward(g)
    np.testing.assert_allclose(logsumexp_backward(x, g), t.grad, rtol=1e-14)


def test_torch_train_reference_equals_dlnotes_model_and_sgd():
    from dlnotes import optim
    from dlnotes.layers import Linear, ReLU
    from dlnotes.losses import softmax_cross_entropy
    from dlnotes.model import Sequential

    rng = np.random.default_rng(1)
    params = [rng.standard_normal(s) for s in [(4, 5), (5,), (5, 3), (3,)]]
    batches = [(rng.standard_normal((6, 4)), rng.integers(0, 3, 6)) for _ in range(3)]
    model = Sequential(
        Linear(4, 5, init=params[0], dtype=np.float64),
        ReLU(),
        Linear(5, 3, init=params[2], dtype=np.float64),
    )
    model.params[1][...] = params[1]
    model.params[3][...] = params[3]
    opt = optim.SGD(model.params, lr=0.3, momentum=0.9)
    for X, y in batches:
        _, d = softmax_cross_entropy(model.forward(X), y)
        model.backward(d)
        opt.step(model.grads)
    for a, b in zip(torch_train(params, batches, 0.3, 0.9), model.params):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# --- the exercises' named mistakes, each written out as a learner would ----------------------


def named(name, answer):
    """The mistake names in check's verdict on ``answer`` (visible suite), which must fail."""
    import re

    from dlnotes.exercises import check

    with pytest.raises(AssertionError) as info:
        check(name, answer)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value))


def test_logsumexp_backward_with_the_softmax_jacobian_diagonal_is_named():
    def logsumexp_backward(x, g):
        e = np.exp(x - np.max(x, axis=1, keepdims=True))
        p = e / np.sum(e, axis=1, keepdims=True)
        return g[:, None] * p * (1 - p)  # "the derivative of a softmax is p(1 - p)"

    assert named("ch15_logsumexp_backward", logsumexp_backward) == ["softmax times (1 − softmax)"]


def test_logsumexp_backward_without_the_division_by_the_sum_is_named():
    def logsumexp_backward(x, g):
        m = x.max(axis=1, keepdims=True)
        return np.exp(x - m) * g.reshape(-1, 1)  # d/dx Σ exp(x), the 1/S of the log forgotten

    assert named("ch15_logsumexp_backward", logsumexp_backward) == ["exp not divided by the sum"]


def test_logsumexp_backward_shifted_by_the_batch_max_is_named():
    def logsumexp_backward(x, g):
        e = np.exp(x - np.max(x))  # one max for the whole batch
        return g[:, None] * e / e.sum(axis=1, keepdims=True)

    assert named("ch15_logsumexp_backward", logsumexp_backward) == ["one max for the whole array"]


def test_logsumexp_backward_divided_by_the_batch_size_is_named():
    def logsumexp_backward(x, g):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return g[:, None] * e / e.sum(axis=1, keepdims=True) / len(x)  # "the loss is a mean"

    assert named("ch15_logsumexp_backward", logsumexp_backward) == ["divided by the batch size"]


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_logsumexp_backward_written_by_torch_is_refused_even_when_wrong(suite):
    """torch's autograd writes the rule (a framework: refused, as dlnotes.autograd is), and a
    wrong torch answer (the mean's 1/N, float32) is refused for that before its values."""
    from dlnotes.exercises import check

    torch = pytest.importorskip("torch")

    def mean_in_torch(x, g):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (torch.logsumexp(t, dim=1) * torch.from_numpy(g)).mean().backward()  # the mean's 1/N
        return t.grad.numpy().copy()

    def softmax_float32(x, g):
        return (
            torch.tensor(g).float()[:, None] * torch.softmax(torch.tensor(x).float(), 1)
        ).numpy()

    for answer in (mean_in_torch, softmax_float32):
        with pytest.raises(AssertionError) as info:
            check("ch15_logsumexp_backward", answer, suite=suite)
        said = str(info.value)
        assert said.startswith("ch15_logsumexp_backward: your function calls torch (torch."), said
        assert "This exercise asks you to write it with numpy" in said


def test_logsumexp_backward_in_float32_numpy_is_told_to_use_float64():
    def logsumexp_backward(x, g):
        x32, g32 = x.astype(np.float32), g.astype(np.float32)
        e = np.exp(x32 - x32.max(axis=1, keepdims=True))
        return g32[:, None] * e / e.sum(axis=1, keepdims=True)

    assert named("ch15_logsumexp_backward", logsumexp_backward) == ["softmax computed in float32"]


def _learner_port(
    *,
    reshape=False,
    reduction="mean",
    relu=True,
    ema=False,
    float32=False,
    mean_twice=False,
    optimizer_per_batch=False,
    no_momentum=False,
    clip=None,
    relu6=False,
    **sgd_options,
):
    """The notebook's torch_train with one slip a learner makes."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    dtype = torch.float32 if float32 else torch.float64

    def torch_train(params, batches, lr, momentum):
        W1, b1, W2, b2 = params
        layers = [torch.nn.Linear(*W1.shape), torch.nn.Linear(*W2.shape)]
        if relu:
            layers.insert(1, torch.nn.ReLU6() if relu6 else torch.nn.ReLU())
        net = torch.nn.Sequential(*layers).to(dtype)
        first, last = net[0], net[len(net) - 1]
        with torch.no_grad():
            for linear, W, b in ((first, W1, b1), (last, W2, b2)):
                out_in = (W.shape[1], W.shape[0])
                weight = torch.from_numpy(W).reshape(out_in) if reshape else torch.from_numpy(W.T)
                linear.weight.copy_(weight)
                linear.bias.copy_(torch.from_numpy(b))
        params_t = list(net.parameters())
        options = {k: momentum if v == "momentum" else v for k, v in sgd_options.items()}
        plain = ema or no_momentum  # no_momentum: momentum=momentum left out of SGD(...)
        opt = torch.optim.SGD(params_t, lr=lr, momentum=0.0 if plain else momentum, **options)
        velocity = [torch.zeros_like(p) for p in params_t]
        for Xb, yb in batches:
            if optimizer_per_batch:  # a new optimizer, with no momentum buffer, every batch
                opt = torch.optim.SGD(params_t, lr=lr, momentum=momentum, **options)
            opt.zero_grad()
            logits = net(torch.from_numpy(Xb).to(dtype))
            loss = F.cross_entropy(logits, torch.from_numpy(yb), reduction=reduction)
            if mean_twice:  # "the loss must be averaged": the mean divided by N again
                loss = loss / len(yb)
            loss.backward()
            if clip is not None:  # "clipping never hurts": it does change the steps
                torch.nn.utils.clip_grad_norm_(params_t, clip)
            if ema:  # momentum as a moving average of the gradients
                with torch.no_grad():
                    for p, v in zip(params_t, velocity):
                        v.mul_(momentum).add_((1 - momentum) * p.grad)
                        p -= lr * v
            else:
                opt.step()
        out = []
        for linear, W in ((first, W1), (last, W2)):
            weight = linear.weight.detach().numpy()
            out.append(weight.reshape(W.shape).copy() if reshape else weight.T.copy())
            out.append(linear.bias.detach().numpy().copy())
        return out

    return torch_train


def test_torch_port_right_answer_passes():
    from dlnotes.exercises import check

    check("ch15_torch_port", _learner_port())


@pytest.mark.parametrize(
    ("slip", "mistake"),
    [
        ({"reshape": True}, "reshape instead of transpose"),
        ({"reduction": "sum"}, "summed loss instead of the mean"),
        ({"relu": False}, "no ReLU between the layers"),
        ({"ema": True}, "momentum as a moving average"),
        ({"float32": True}, "trained in float32"),
        ({"mean_twice": True}, "mean loss divided by the batch size again"),
        ({"dampening": "momentum"}, "dampening set to the momentum"),
        ({"nesterov": True}, "Nesterov momentum"),
        ({"optimizer_per_batch": True}, "steps without momentum"),
        ({"no_momentum": True}, "steps without momentum"),
    ],
    ids=[
        "reshape",
        "sum",
        "no-relu",
        "ema",
        "float32",
        "mean-twice",
        "dampening",
        "nesterov",
        "optimizer-per-batch",
        "no-momentum",
    ],
)
def test_torch_port_slips_are_named(slip, mistake):
    assert named("ch15_torch_port", _learner_port(**slip)) == [mistake]


@pytest.mark.parametrize("slip", [{"clip": 5.0}, {"relu6": True}], ids=["clip", "relu6"])
@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_torch_port_with_clipping_or_relu6_fails(slip, suite):
    """A case with inputs of scale 8 (pre-activations near 20, gradient norms 7-10): gradient
    clipping or ReLU6 slipped into the loop changes the weights (every gradient norm was below
    1.6 and every pre-activation below 6, so both passed)."""
    from dlnotes.exercises import check

    with pytest.raises(AssertionError, match="inputs of scale 8"):
        check("ch15_torch_port", _learner_port(**slip), suite=suite)


def test_torch_port_in_float32_is_told_to_use_float64():
    from dlnotes.exercises import check

    with pytest.raises(AssertionError) as info:
        check("ch15_torch_port", _learner_port(float32=True), suite="hidden")
    assert "Likely mistake: trained in float32" in str(info.value)
    assert ".double()" in str(info.value) and "float64" in str(info.value)


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_a_port_with_right_numbers_but_no_torch_optimizer_is_refused(suite):
    """The exercise asks for the loop in PyTorch, trained by torch.optim.SGD: the same numbers
    computed in numpy, or by a momentum update written by hand, are refused, and told why."""
    pytest.importorskip("torch")
    from dlnotes.exercises import check
    from tests.feedback.alternatives.ch15 import NOT_PYTORCH

    for answer in NOT_PYTORCH:
        with pytest.raises(AssertionError) as info:
            check("ch15_torch_port", answer, suite=suite)
        said = str(info.value)
        assert said.startswith("ch15_torch_port: not counted: the weights you return must be "
                               "those of a torch.optim.SGD optimizer"), said  # fmt: skip
