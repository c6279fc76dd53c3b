"""Chapter 02: wrong answers written as a careless learner writes them get true feedback.

Each answer below is typed the way a learner types it (not the registered mistake's own code),
so the tests hold the matching, not only the catalogue, on the visible and the hidden checks:
two formulas joined by masks that divide by a zero norm, a zero gradient returned as the
caller's own array, a norm per column, rates a little below 2/λ_max, a transposed path, the
challenge's edge of stability and its answer written as a string.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlnotes.exercises import check, get
from tests.mistake_names import SUITES, named


def message(name, answer, suite="visible") -> str:
    """check's verdict on ``answer``, which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer, suite=suite)
    return str(info.value)


# --- ch02_clip_by_norm -------------------------------------------------------------------------


def clip_two_formulas(g, max_norm):
    n = np.linalg.norm(g)
    return g * (max_norm / n) * (n > max_norm) + g * (n <= max_norm)


def clip_normalized_first(g, max_norm):
    unit = g / np.linalg.norm(g)
    return unit * min(np.linalg.norm(g), max_norm)


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("answer", [clip_two_formulas, clip_normalized_first])
def test_a_division_by_a_zero_norm_is_named_for_what_it_is(answer, suite):
    """Both formulas are right but for the zero gradient (NaN there): the name and the hint
    say that, and claim no formula the learner did not write."""
    text = message("ch02_clip_by_norm", answer, suite)
    assert re.findall(r"Likely mistake: (.+?) — ", text) == ["divides by a zero norm"], text
    assert "normalized first" not in text
    assert "is the right vector" not in text
    assert "NaN" in text and "False mask" in text


def clip_zero_gradient_returned(g, max_norm):
    norm = np.linalg.norm(g)
    if norm == 0:
        return g
    return g * min(1.0, max_norm / norm)


def clip_short_gradient_returned(g, max_norm):
    norm = np.linalg.norm(g)
    return g * float(max_norm / norm) if norm > max_norm else g


@pytest.mark.parametrize("suite", SUITES)
def test_returning_the_zero_gradient_itself_names_the_zero_branch(suite):
    text = message("ch02_clip_by_norm", clip_zero_gradient_returned, suite)
    assert re.findall(r"Likely mistake: (.+?) — ", text) == ["returns g itself when zero"], text
    assert "for a zero gradient you returned the caller's array" in text
    assert "‖g‖ ≤ max_norm" not in text
    # the other branch keeps its own name
    assert named("ch02_clip_by_norm", clip_short_gradient_returned, suite) == [
        "returns g itself when short"
    ]


def clip_per_column(g, max_norm):
    norms = np.linalg.norm(g, axis=0)
    return g * np.minimum(1, max_norm / norms)


@pytest.mark.parametrize("suite", SUITES)
def test_a_norm_per_column_is_named(suite):
    text = message("ch02_clip_by_norm", clip_per_column, suite)
    assert re.findall(r"Likely mistake: (.+?) — ", text) == ["norm per column"], text
    assert "np.linalg.norm(g) without an axis" in text


def clip_inf_norm(g, max_norm):
    norm = np.linalg.norm(g, ord=np.inf)
    if norm > max_norm:
        return g * (max_norm / norm)
    return g.copy()


def clip_rms(g, max_norm):
    norm = np.sqrt((g**2).mean())
    return g * min(1.0, max_norm / norm) if norm > 0 else g.copy()


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (clip_inf_norm, "max-norm (np.inf) instead of the Euclidean norm"),
        (clip_rms, "root mean square instead of the norm"),
    ],
)
def test_other_norms_are_named(answer, name, suite):
    assert named("ch02_clip_by_norm", answer, suite) == [name]


# --- ch02_max_stable_lr ------------------------------------------------------------------------


def lr_times(c):
    def max_stable_lr(H):
        return c * 2 / np.linalg.eigvalsh(H).max()

    return max_stable_lr


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("factor", [0.99, 0.999, 0.995, 0.9999, 0.95])
def test_a_rate_just_below_the_limit_is_told_the_limit_is_the_answer(factor, suite):
    text = message("ch02_max_stable_lr", lr_times(factor), suite)
    assert "the answer is the supremum 2/λ_max itself" in text, text
    assert "(2, ½, 10, a square root)" not in text


def test_a_factor_of_two_keeps_the_generic_wording():
    text = message("ch02_max_stable_lr", lr_times(2.0))
    assert "supremum" not in text
    assert "(2, ½, 10, a square root)" in text, text


def lr_upside_down(H):
    lam_max = np.max(np.linalg.eigvalsh(H))
    return lam_max / 2


def lr_eigvals_last(H):
    eigenvalues = np.linalg.eigvals(H)
    return 2 / eigenvalues[-1]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (lr_upside_down, "λ_max/2, the ratio upside down"),
        (lr_eigvals_last, "np.linalg.eigvals is not sorted"),
    ],
)
def test_more_rates_are_named(answer, name, suite):
    assert named("ch02_max_stable_lr", answer, suite) == [name]


# --- ch02_gradient_descent ---------------------------------------------------------------------


def gd_transposed(grad, x0, lr, steps):
    x = x0.copy()
    path = [x]
    for _ in range(steps):
        x = x - lr * grad(x)
        path.append(x)
    return np.stack(path, axis=1)


@pytest.mark.parametrize("suite", SUITES)
def test_a_transposed_path_is_told_rows_are_iterates(suite):
    text = message("ch02_gradient_descent", gd_transposed, suite)
    assert "Likely mistake: transposed — " in text
    assert "one row per iterate" in text and "one column per coordinate" in text, text
    assert "examples or fan_in" not in text


def gd_np_append(grad, x0, lr, steps):
    x = x0.copy()
    path = np.array([x0])
    for _ in range(steps):
        x = x - lr * grad(x)
        path = np.append(path, x)
    return path


def gd_no_start_row(grad, x0, lr, steps):
    path = np.zeros((steps + 1, x0.shape[0]))
    x = x0.copy()
    for t in range(1, steps + 1):
        x = x - lr * grad(x)
        path[t] = x
    return path


def gd_last_row_empty(grad, x0, lr, steps):
    path = np.zeros((steps + 1, len(x0)))
    path[0] = x0
    for t in range(1, steps):
        path[t] = path[t - 1] - lr * grad(path[t - 1])
    return path


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (gd_np_append, "np.append flattens the iterates"),
        (gd_no_start_row, "row 0 left at zero"),
        (gd_last_row_empty, "last row left at zero"),
    ],
)
def test_preallocated_and_appended_paths_are_named(answer, name, suite):
    assert named("ch02_gradient_descent", answer, suite) == [name]


# --- ch02_lr_challenge -------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [2, 2.0, np.float64(2.0)])
def test_lr_at_two_over_l_is_on_the_edge_not_diverged(lr):
    text = message("ch02_lr_challenge", lr)
    assert re.findall(r"Likely mistake: (.+?) — ", text) == [
        "on the edge: it oscillates forever"
    ], text
    assert "neither converging nor diverging" in text
    assert "diverged" not in text


@pytest.mark.parametrize("lr", [2.1, 2.5, 3.0, 20.0])
def test_lr_above_two_over_l_diverged(lr):
    text = message("ch02_lr_challenge", lr)
    assert re.findall(r"Likely mistake: (.+?) — ", text) == ["diverged"], text
    assert "lr > 2/L" in text


def test_a_quoted_rate_is_told_to_drop_the_quotes_in_its_own_variable():
    verify = get("ch02_lr_challenge").verify
    verdict = verify("1.8")
    assert not verdict.passed
    assert verdict.summary == "lr_challenge must be a number: write lr_challenge = 1.8 (no quotes)"
    assert "lr must be" not in verify("fast").summary
    assert "lr_challenge =" in verify("fast").summary
    assert verify([1.6]).summary == (
        "lr_challenge must be one number, not a list: write lr_challenge = 1.6"
    )
    assert verify(-1.6).summary.startswith("lr_challenge must be a positive number")
    # as check shows it
    text = message("ch02_lr_challenge", "1.8")
    assert "lr must be" not in text and "lr_challenge = 1.8" in text and "quotes" in text
