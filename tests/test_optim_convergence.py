"""Every optimizer minimises an ill-conditioned quadratic and the Rosenbrock function."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes import schedules
from dlnotes.optim import SGD, Adagrad, Adam, AdamW, RMSprop

# f(x) = (x - c)^T A (x - c) / 2 with A = R diag(1, 10) R^T (rotated by 30 degrees)
_ANGLE = np.pi / 6
_R = np.array([[np.cos(_ANGLE), -np.sin(_ANGLE)], [np.sin(_ANGLE), np.cos(_ANGLE)]])
A = _R @ np.diag([1.0, 10.0]) @ _R.T
C = np.array([0.7, -1.3])


def quadratic(x):
    return 0.5 * (x - C) @ A @ (x - C), A @ (x - C)


def rosenbrock(x):
    a, b = x
    f = (1 - a) ** 2 + 100 * (b - a * a) ** 2
    return f, np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])


def minimise(objective, x0, make_opt, steps, schedule=None):
    x = np.array(x0, dtype=float)
    opt = make_opt(x)
    for step in range(steps):
        if schedule is not None:
            schedules.apply_schedule(opt, schedule, step)
        _, g = objective(x)
        opt.step(g)
    return x


# (name, optimizer factory, steps, schedule): adaptive methods without momentum settle into
# a cycle of size ~lr on a fixed learning rate, so they get a decaying schedule.
QUADRATIC = [
    ("sgd", lambda x: SGD(x, lr=0.15), 200, None),
    ("momentum", lambda x: SGD(x, lr=0.1, momentum=0.5), 200, None),
    ("nesterov", lambda x: SGD(x, lr=0.1, momentum=0.5, nesterov=True), 200, None),
    ("adagrad", lambda x: Adagrad(x, lr=1.0), 500, None),
    ("rmsprop", lambda x: RMSprop(x, lr=0.1), 4000, schedules.exponential(0.1, 0.005)),
    (
        "rmsprop-centered-momentum",
        lambda x: RMSprop(x, lr=0.01, momentum=0.9, centered=True),
        2000,
        None,
    ),
    ("adam", lambda x: Adam(x, lr=0.1), 2000, schedules.cosine(0.1, 2000)),
    ("adam-amsgrad", lambda x: Adam(x, lr=0.1, amsgrad=True), 2000, schedules.cosine(0.1, 2000)),
    ("adamw", lambda x: AdamW(x, lr=0.1, weight_decay=0.0), 2000, schedules.cosine(0.1, 2000)),
]

ROSENBROCK = [
    ("sgd", lambda x: SGD(x, lr=1e-3), 20000, None),
    ("momentum", lambda x: SGD(x, lr=1e-3, momentum=0.9), 5000, None),
    ("nesterov", lambda x: SGD(x, lr=1e-3, momentum=0.9, nesterov=True), 5000, None),
    ("adagrad", lambda x: Adagrad(x, lr=1.0), 30000, None),
    ("rmsprop", lambda x: RMSprop(x, lr=0.01), 10000, schedules.cosine(0.01, 10000, 1e-5)),
    (
        "rmsprop-centered-momentum",
        lambda x: RMSprop(x, lr=1e-3, momentum=0.9, centered=True),
        5000,
        schedules.cosine(1e-3, 5000, 1e-5),
    ),
    ("adam", lambda x: Adam(x, lr=0.01), 5000, None),
    (
        "adam-amsgrad",
        lambda x: Adam(x, lr=0.05, amsgrad=True),
        10000,
        schedules.cosine(0.05, 10000, 1e-4),
    ),
    # decoupled decay moves the fixed point by about weight_decay * 1.6 here
    ("adamw", lambda x: AdamW(x, lr=0.01, weight_decay=1e-4), 5000, None),
]


@pytest.mark.parametrize(
    ("name", "make", "steps", "schedule"), QUADRATIC, ids=[q[0] for q in QUADRATIC]
)
def test_quadratic(name, make, steps, schedule):
    x = minimise(quadratic, [-2.0, 2.0], make, steps, schedule)
    assert np.linalg.norm(x - C) < 1e-6, f"{name}: ended at {x}"


@pytest.mark.parametrize(
    ("name", "make", "steps", "schedule"), ROSENBROCK, ids=[r[0] for r in ROSENBROCK]
)
def test_rosenbrock(name, make, steps, schedule):
    x = minimise(rosenbrock, [-1.5, 2.0], make, steps, schedule)
    assert np.linalg.norm(x - 1.0) < 1e-3, f"{name}: ended at {x}"
    assert rosenbrock(x)[0] < 1e-6


def test_float32_adam_minimises_a_quadratic_too():
    x = minimise(
        quadratic,
        np.array([-2.0, 2.0], dtype=np.float32),
        lambda x: Adam(x, lr=0.1),
        2000,
        schedules.cosine(0.1, 2000),
    )
    assert np.linalg.norm(x - C) < 1e-5
