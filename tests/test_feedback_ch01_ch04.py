"""Chapters 01 and 04: slips that got only raw values or a raw error (the
learning rate next to ρ in Nesterov's look-ahead, a velocity not started at 0, statistics per
example with keepdims, ceil + 1), the explorer's status said once and in words, and the prose
of the momentum chapter made true."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never set a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check, get
from dlnotes.explorers import ch04 as explorers
from tests.mistake_names import SUITES, named

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _verdict(name: str, answer, suite: str = "visible") -> str:
    with pytest.raises(CheckFailed) as info:
        check(name, answer, suite=suite)
    return " ".join(str(info.value).split())


# --------------------------------------------------------------------------------------------
# ch04_nesterov: lr next to rho in the look-ahead; the velocity not started at 0
# --------------------------------------------------------------------------------------------


def _nesterov_lr_rho_lookahead(grad, x0, lr, rho, steps):
    x = x0.copy()
    v = np.zeros_like(x)
    xs = [x.copy()]
    for _ in range(steps):
        v = rho * v - lr * grad(x + lr * rho * v)  # right only for lr = 1
        x = x + v
        xs.append(x.copy())
    return np.array(xs)


def _nesterov_from(start):
    """Nesterov's method written right but for the velocity's start, ``start(grad, x0, lr)``."""

    def nesterov(grad, x0, lr, rho, steps):
        x = x0.copy()
        v = start(grad, x0, lr)
        xs = [x.copy()]
        for _ in range(steps):
            v = rho * v - lr * grad(x + rho * v)
            x = x + v
            xs.append(x.copy())
        return np.array(xs)

    return nesterov


@pytest.mark.parametrize("suite", SUITES)
def test_the_learning_rate_next_to_rho_in_the_look_ahead_is_named(suite):
    name = "learning rate in the look-ahead (lr·rho·v)"
    assert named("ch04_nesterov", _nesterov_lr_rho_lookahead, suite) == [name]
    message = _verdict("ch04_nesterov", _nesterov_lr_rho_lookahead, suite)
    assert "right only when lr = 1" in message, message
    assert "lr * rho * v" not in message and "x + rho * v" not in message  # no answer line


def test_the_visible_checks_show_the_look_ahead_slip_early():
    """Check 1 uses α = 1, where lr·ρ·v is ρ·v: a case with α ≠ 1 must come right after it."""
    lrs = [case.args[2] for case in get("ch04_nesterov").cases("visible")]
    assert lrs[0] == 1.0 and lrs[1] != 1.0
    message = _verdict("ch04_nesterov", _nesterov_lr_rho_lookahead)
    assert "Check 2 (" in message, message


VELOCITY_STARTS = {
    "velocity not started at 0 (a first gradient step)": lambda grad, x0, lr: -lr * grad(x0),
    "velocity not started at 0 (a copy of x0)": lambda grad, x0, lr: x0.copy(),
}


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("name", VELOCITY_STARTS)
def test_a_velocity_not_started_at_zero_is_named(name, suite):
    answer = _nesterov_from(VELOCITY_STARTS[name])
    assert named("ch04_nesterov", answer, suite) == [name]
    assert "v₀ = 0" in _verdict("ch04_nesterov", answer, suite)


# --------------------------------------------------------------------------------------------
# ch01_standardize: statistics per example, which raise a broadcast error
# --------------------------------------------------------------------------------------------


def _standardize_keepdims(X_train, X_other):
    mu = X_train.mean(axis=1, keepdims=True)
    sigma = X_train.std(axis=1, keepdims=True)
    sigma[sigma < 1e-8] = 1.0
    X_train_std = (X_train - mu) / sigma
    X_other_std = (X_other - mu) / sigma  # (M, D) against (N, 1)
    return X_train_std, X_other_std


def _standardize_axis1_other_first(X_train, X_other):
    mu = np.mean(X_train, axis=1)
    sigma = np.std(X_train, axis=1)
    X_other_std = (X_other - mu) / sigma  # (M, D) against (N,)
    X_train_std = (X_train - mu) / sigma
    return X_train_std, X_other_std


def _standardize_axis1(X_train, X_other):
    mu, sigma = X_train.mean(axis=1), X_train.std(axis=1)
    return (X_train - mu) / sigma, (X_other - mu) / sigma  # (N, D) against (N,)


STANDARDIZE_AXIS1 = [
    (
        _standardize_keepdims,
        "statistics per example (axis=1, keepdims=True), which cannot broadcast over X_other",
    ),
    (
        _standardize_axis1_other_first,
        "statistics over axis=1, which cannot broadcast (X_other scaled first)",
    ),
    (_standardize_axis1, "statistics over axis=1, which cannot broadcast"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("answer", "name"), STANDARDIZE_AXIS1, ids=[a.__name__ for a, _ in STANDARDIZE_AXIS1]
)
def test_statistics_per_example_raise_and_are_named(answer, name, suite):
    assert named("ch01_standardize", answer, suite) == [name]
    message = _verdict("ch01_standardize", answer, suite)
    assert "your function raised ValueError: operands could not be broadcast" in message
    assert "per feature" in message and "axis=0" in message, message


# --------------------------------------------------------------------------------------------
# ch01_dev_set_size: ceil, then + 1
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_ceil_plus_one_is_named(suite):
    answer = lambda p, se: math.ceil(p * (1 - p) / se**2) + 1  # noqa: E731
    assert named("ch01_dev_set_size", answer, suite) == [
        "one example too many: ceil already rounds up"
    ]
    assert "Drop the + 1" in _verdict("ch01_dev_set_size", answer, suite)


# --------------------------------------------------------------------------------------------
# ch04's explorer: the status in words, said once
# --------------------------------------------------------------------------------------------


def test_the_explorer_says_in_words_when_f_was_below_the_target_and_rose_again():
    status = explorers.heavy_ball_quadratic().compute(lr=0.75, rho=0.9, kappa=100)["status"]
    heavy_ball = status.split(";")[0]
    assert re.fullmatch(
        r"heavy ball: f = \S+ \(below the target at step \d+, then back above\)", heavy_ball
    ), status
    assert "dipped" not in status


@pytest.mark.parametrize("static", [False, True], ids=["live or still", "website"])
def test_the_explorer_shows_its_status_once(static, monkeypatch):
    """The live and still faces print the status line above the figure: a title would repeat
    it. The website's player shows only the figure: there the figure's title carries it (on
    two lines, read here as one)."""
    monkeypatch.setenv("DLNOTES_STATIC_SITE", "1" if static else "")
    explorer = explorers.heavy_ball_quadratic()
    fig, state = explorer.setup()
    try:
        status = explorer.redraw(state, lr=0.75, rho=0.9, kappa=100)
        titles = [ax.get_title() for ax in fig.axes] + [fig.get_suptitle()]
        titles = [title.replace("\n", " ") for title in titles]
    finally:
        plt.close(fig)
    assert status and titles.count(status) == (1 if static else 0), (status, titles)


# --------------------------------------------------------------------------------------------
# prose: chapter 04's form (B) after a drop, ρ = 0.82; chapter 01's negative avoidable bias
# --------------------------------------------------------------------------------------------


def _cells(notebook: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in nb["cells"]]


def test_chapter_04_no_longer_says_form_b_fades_in_ten_steps_or_within_10_percent():
    text = "\n".join(_cells("04_momentum.ipynb"))
    assert "fades over about" not in text and "coasts for about" not in text
    assert "within 10 %" not in text
    assert "swings from farther out" in text and "both take 146 steps" in text
    assert "assert counts[0.82] == (146, 146)" in text  # the claim, checked when it runs
    assert "assert 2.5 < _dist_b[31:].max() / _dist_b[30] < 3.5" in text


def test_chapter_01_says_what_a_negative_avoidable_bias_means():
    cells = _cells("01_learning_problem.ipynb")
    prose = next(c for c in cells if c.startswith("The 2-unit network cannot even fit"))
    assert "no avoidable-bias gap" in prose and "only an" in prose
    assert any("round(_over_tr - bayes_ref, 3) == -0.05" in c for c in cells)
