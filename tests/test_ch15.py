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
    assert "no gradient yet" in explorer.update(state, step=0, w=0.0)
    last = max(explorer.controls[0].values)
    assert "dJ/dw = -10 = 2w − 10" in explorer.update(state, step=last, w=0.0)
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
