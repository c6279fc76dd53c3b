"""The schedule table of :mod:`dlnotes.schedules` against ``torch.optim.lr_scheduler``: each row
gives the learning rates of torch's ``opt.step(); scheduler.step()`` loop, step by step."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from dlnotes import schedules as S

torch = pytest.importorskip("torch")
L = torch.optim.lr_scheduler

N = 60  # steps compared; the cosines after a warm-up run longer, so none ends within them (after
# its end torch's CosineAnnealingLR climbs back up, see the cosine test)


def torch_rates(make, lr0: float, n: int = N) -> np.ndarray:
    """The learning rate torch's optimizer uses at each of ``n`` steps under ``make(opt)``."""
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SequentialLR's warning about step order
        scheduler = make(opt)
        rates = []
        for _ in range(n):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
    return np.array(rates)


ROWS = {
    "step_decay": (S.step_decay(0.1, 7, 0.5), lambda o: L.StepLR(o, step_size=7, gamma=0.5)),
    "multistep": (
        S.multistep(0.1, [10, 25], 0.3),
        lambda o: L.MultiStepLR(o, milestones=[10, 25], gamma=0.3),
    ),
    "exponential": (
        S.exponential(0.1, 0.05),
        lambda o: L.ExponentialLR(o, gamma=math.exp(-0.05)),
    ),
    "inverse_time": (
        S.inverse_time(0.1, 0.2),
        lambda o: L.LambdaLR(o, lambda step: 1 / (1 + 0.2 * step)),
    ),
    "cosine_restarts": (
        S.cosine_restarts(0.1, 15, 0.01),
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=15, eta_min=0.01),
    ),
    "triangular": (
        S.triangular(0.01, 0.1, 8),
        lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=8, cycle_momentum=False),
    ),
    "linear_warmup": (
        S.linear_warmup(S.cosine(0.1, 60), 5, start_factor=0.1),
        lambda o: L.SequentialLR(
            o,
            [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=60)],
            milestones=[5],
        ),
    ),
    "linear_warmup from 0": (
        S.linear_warmup(S.cosine(0.1, 60), 5),
        lambda o: L.SequentialLR(
            o,
            [L.LambdaLR(o, lambda step: step / 5), L.CosineAnnealingLR(o, T_max=60)],
            milestones=[5],
        ),
    ),
    "sequential": (
        S.sequential([S.constant(0.1), S.exponential(0.1, 0.1)], [10]),
        lambda o: L.SequentialLR(
            o,
            [L.LambdaLR(o, lambda step: 1.0), L.ExponentialLR(o, gamma=math.exp(-0.1))],
            milestones=[10],
        ),
    ),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_each_row_of_the_table_gives_torchs_learning_rates(name):
    ours, make = ROWS[name]
    lr0 = 0.01 if name == "triangular" else 0.1  # CyclicLR starts at base_lr
    expected = torch_rates(make, lr0)
    np.testing.assert_allclose(ours(np.arange(N)), expected, rtol=1e-9, atol=1e-15)


def test_cosine_is_torchs_until_the_end_then_stays_at_lr_min():
    """CosineAnnealingLR climbs back up after T_max; ``cosine`` stays at ``lr_min``."""
    ours = S.cosine(0.1, 40, 0.01)
    theirs = torch_rates(lambda o: L.CosineAnnealingLR(o, T_max=40, eta_min=0.01), 0.1)
    steps = np.arange(N)
    np.testing.assert_allclose(ours(steps[:41]), theirs[:41], rtol=1e-9, atol=1e-15)
    assert np.all(ours(steps[41:]) == 0.01) and np.all(theirs[41:] > 0.0101)


def test_torchs_linear_lr_refuses_a_warm_up_from_0_as_the_docstring_says():
    p = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="greater than 0"):
        L.LinearLR(torch.optim.SGD([p], lr=0.1), start_factor=0.0, total_iters=5)
    approx = torch_rates(
        lambda o: L.SequentialLR(
            o,
            [L.LinearLR(o, start_factor=1e-8, total_iters=5), L.CosineAnnealingLR(o, T_max=60)],
            milestones=[5],
        ),
        0.1,
    )
    ours = S.linear_warmup(S.cosine(0.1, 60), 5)(np.arange(N))
    assert 0 < np.abs(approx - ours).max() < 1e-8
