"""Chapters 02, 03, 05 and 08: slips a careless learner makes, which ``check`` rejected without
naming them (or named misleadingly): each is now a registered mistake, told by its name on the
visible and on the hidden checks.

Every answer below is typed the way a learner types it (not the registered mistake's own code),
so the tests hold the matching, not only the catalogue. Correct answers written in the same
styles still pass, so no new mistake takes the place of a right answer.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.exercises import check, get
from tests.mistake_names import SUITES, named

# --- ch02_clip_by_norm: every gradient rescaled to length max_norm --------------------------


def clip_always_rescaled(g, max_norm):
    norm = np.linalg.norm(g)
    if norm == 0:
        return g.copy()
    return g * (max_norm / norm)


def clip_always_rescaled_zeros_like(g, max_norm):
    norm = np.linalg.norm(g)
    return g * (max_norm / norm) if norm > 0 else np.zeros_like(g)


def clip_right_with_a_branch(g, max_norm):
    norm = np.linalg.norm(g)
    if norm <= max_norm:
        return g.copy()
    return g * (max_norm / norm)


# --- ch03_ewa: bias correction one step too far ---------------------------------------------


def ewa_corrected_one_step_too_far(series, beta, bias_correction):
    out = np.zeros(len(series))
    v = 0.0
    for t in range(1, len(series) + 1):
        v = beta * v + (1 - beta) * series[t - 1]
        out[t - 1] = v / (1 - beta ** (t + 1)) if bias_correction else v
    return out


def ewa_enumerate_plus_two(series, beta, bias_correction):
    out = []
    v = 0.0
    for i, x in enumerate(series):
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta ** (i + 2)) if bias_correction else v)
    return np.array(out, dtype=float)


# --- ch03_minibatches: the labels left in the data set's order ------------------------------


def mb_labels_not_shuffled(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return tuple(
        (X[order[s : s + batch_size]], y[s : s + batch_size]) for s in range(0, len(X), batch_size)
    )


def mb_labels_not_shuffled_copied(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    batches = []
    for start in range(0, len(X), batch_size):
        stop = start + batch_size
        batches.append((X[order[start:stop]], y[start:stop].copy()))  # .copy() fixes nothing
    return tuple(batches)


# --- ch05_adamw_step: the Adam slips ch05_adam_step names -----------------------------------


def adamw_eps_inside_sqrt(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = x * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - lr * m_hat / np.sqrt(v_hat + eps), m, v


def adamw_corrected_moments_returned(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = x - lr * weight_decay * x
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m = m / (1 - beta1**t)
    v = v / (1 - beta2**t)
    return x - lr * m / (np.sqrt(v) + eps), m, v


# --- ch08_relative_error: an additive guard -------------------------------------------------


def re_plus_1e12(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + 1e-12)


def re_plus_1e8(a, b):
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + 1e-8))


ANSWERS = [
    ("ch02_clip_by_norm", clip_always_rescaled, "always rescales (zero gradient kept)"),
    ("ch02_clip_by_norm", clip_always_rescaled_zeros_like, "always rescales (zero gradient kept)"),
    ("ch03_ewa", ewa_corrected_one_step_too_far, "corrected with 1 − β**(t + 1)"),
    ("ch03_ewa", ewa_enumerate_plus_two, "corrected with 1 − β**(t + 1)"),
    ("ch03_minibatches", mb_labels_not_shuffled, "labels not shuffled"),
    ("ch03_minibatches", mb_labels_not_shuffled_copied, "labels not shuffled"),
    ("ch05_adamw_step", adamw_eps_inside_sqrt, "eps inside the square root"),
    ("ch05_adamw_step", adamw_corrected_moments_returned, "returned the corrected moments"),
    ("ch08_relative_error", re_plus_1e12, "ε = 1e-12 added to the denominator"),
    ("ch08_relative_error", re_plus_1e8, "ε added to the denominator"),  # named before: kept
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("exercise", "answer", "mistake"), ANSWERS, ids=[a.__name__ for _, a, _ in ANSWERS]
)
def test_the_slip_is_named(exercise, answer, mistake, suite):
    assert named(exercise, answer, suite) == [mistake]


@pytest.mark.parametrize("suite", SUITES)
def test_a_right_clip_written_with_a_branch_still_passes(suite):
    check("ch02_clip_by_norm", clip_right_with_a_branch, suite=suite)


@pytest.mark.parametrize(
    ("exercise", "mistake", "words"),
    [
        ("ch02_clip_by_norm", "always rescales (zero gradient kept)", ["min(1, max_norm/‖g‖)"]),
        ("ch03_ewa", "corrected with 1 − β**(t + 1)", ["1 − β**t", "x_1/(1 + β)"]),
        ("ch03_minibatches", "labels not shuffled", [".copy()", "order[start:start + batch"]),
        ("ch05_adamw_step", "eps inside the square root", ["√v̂ + ε"]),
        ("ch05_adamw_step", "returned the corrected moments", ["raw m and v"]),
        (
            "ch08_relative_error",
            "ε = 1e-12 added to the denominator",
            ["scale-free", "max(‖a‖ + ‖b‖, tiny)", "np.finfo(float).tiny"],
        ),
    ],
)
def test_the_hint_says_what_to_do(exercise, mistake, words):
    hint = get(exercise).mistake(mistake).hint
    assert all(word in hint for word in words), hint


def test_the_adamw_hints_are_the_adam_ones_where_nothing_differs():
    adam, adamw = get("ch05_adam_step"), get("ch05_adamw_step")
    name = "returned the corrected moments"
    assert adamw.mistake(name).hint == adam.mistake(name).hint
