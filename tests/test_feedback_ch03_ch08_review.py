"""Feedback fixes from a learner's review of chapters 03 and 08 with wrong answers.

1. ch08_numerical_gradient with a step scaled to each entry, h·max(1, |x_i|), passed every
   visible check (their x had no entry above 1 in size): a visible case has entries 1.5 to 3 in
   size, and the slip is named;
2. a result that is nan where the reference at another argument value is nan too (ch03_ewa's
   closed form at beta = 0, the reference at beta = 1: 0/0) is not "as if beta were 1";
3. chapter 08's Exercise 1 gives the two-sided formula, and a result right to 4 to 7 digits
   only (a five-point stencil) hears that it may be another difference formula;
4. the backward one-sided difference and the difference of the norms are named;
5. Exercise 1 says the caller's x may not change even for a moment (np.asarray is no copy);
6. the dtype advice fits the exercise: a mini-batch that converted X is not told about masks,
   and an average that must be float64 for integer readings too is told that;
7. a relative-error case's label reads "an analytic gradient", and notebook 08 imports
   ``warnings`` in its own imports cell (the bootstrap cell is removed from the learner's copy);
8. ch03_minibatches: the last partial batch merged into the one before, and the indices sorted
   inside each batch, are named.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from verdicts import feedback, likely, mistake_names

from dlnotes.exercises import check, get

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "08_gradient_checking.ipynb"

#: Advice to hard-code a float dtype: ``.astype(np.float32)``, ``dtype=np.float64`` ...
HARD_CODED = re.compile(r"astype\(np\.float|dtype=np\.float")


def cell(cell_id: str) -> str:
    """The source of notebook 08's cell ``cell_id``."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (source,) = [c.source for c in nb.cells if c.get("id") == cell_id]
    return source


# -- 1. a step scaled to each entry -------------------------------------------------------------


def gradient_relative_step(f, x, h):
    x = np.array(x, dtype=float)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        hi = h * max(1, abs(x[i]))  # "a step relative to the entry's size"
        saved = x[i]
        x[i] = saved + hi
        up = f(x)
        x[i] = saved - hi
        down = f(x)
        x[i] = saved
        grad[i] = (up - down) / (2 * hi)
    return grad


def test_a_step_scaled_to_each_entry_fails_the_visible_checks_and_is_named():
    message = feedback("ch08_numerical_gradient", gradient_relative_step)
    assert mistake_names(message) == ["scaled step"], message
    assert "the given h itself" in likely(message)


def test_a_visible_case_has_entries_well_above_one_in_size_for_every_seed():
    ex = get("ch08_numerical_gradient")
    for seed in (None, 11, 987654):
        xs = [np.asarray(c.args[1]) for c in ex.cases("visible", seed=seed)]
        assert any(np.abs(x).min() >= 1.5 for x in xs), seed


# -- 2. nan matching nan is no "as if" ----------------------------------------------------------


def ewa_closed_form(series, beta, bias_correction):
    x = np.asarray(series, dtype=np.float64)
    t = np.arange(1, len(x) + 1)
    v = (1 - beta) * beta**t * np.cumsum(x * beta ** (-t))  # 0 * inf at beta = 0: nan
    if bias_correction:
        v = v / (1 - beta**t)
    return v


def test_a_nan_result_is_not_as_if_beta_were_1_where_the_reference_is_nan_too():
    message = feedback("ch03_ewa", ewa_closed_form, suite="hidden")
    assert "as if beta were" not in message, message
    assert "all 7 are inf or nan" in message, message  # what it is told instead


# -- 3. the formula asked for -------------------------------------------------------------------


def gradient_five_point(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        values = []
        for k in (2, 1, -1, -2):
            x[i] = old + k * h
            values.append(f(x))
        x[i] = old
        grad[i] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
    return grad


def test_a_five_point_stencil_hears_it_may_be_another_difference_formula():
    line = likely(feedback("ch08_numerical_gradient", gradient_five_point))
    assert "right to 4 to 7 digits only" in line, line
    assert "a different difference formula than the one asked for" in line, line


def test_exercise_1_gives_the_two_sided_formula():
    text = cell("05d64586").split("### Exercise 1")[1]
    assert r"$\big(f(x + h e_i) - f(x - h e_i)\big) / (2h)$" in text, text


# -- 4. two more common wrong answers -----------------------------------------------------------


def gradient_backward(f, x, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old - h
        grad[i] = (fx - f(x)) / h
        x[i] = old
    return grad


def relative_error_of_norms(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(abs(na - nb) / max(na + nb, np.finfo(float).tiny))


@pytest.mark.parametrize(
    ("exercise", "answer", "name", "words"),
    [
        (
            "ch08_numerical_gradient",
            gradient_backward,
            "backward one-sided difference",
            "its error is O(h), not O(h²)",
        ),
        (
            "ch08_relative_error",
            relative_error_of_norms,
            "difference of the norms",
            "the norm of the difference",
        ),
    ],
)
def test_a_common_wrong_formula_is_named(exercise, answer, name, words):
    for suite in ("visible", "hidden"):
        message = feedback(exercise, answer, suite)
        assert mistake_names(message) == [name], message
        assert words in likely(message), message


# -- 5. the caller's x, not even for a moment ---------------------------------------------------


def test_exercise_1_says_x_may_not_change_even_for_a_moment():
    text = " ".join(cell("05d64586").split("### Exercise 1")[1].split())
    assert "must not change the caller's `x`, not even for a moment" in text, text
    assert "`np.asarray(x, dtype=np.float64)` is no copy" in text, text
    assert "work on a copy" not in text  # which np.asarray of a float64 x is not


# -- 6. dtype advice that fits ------------------------------------------------------------------


def minibatches_float64(X, y, batch_size, seed):
    X = np.asarray(X, dtype=np.float64)  # a float32 X becomes float64
    order = np.random.default_rng(seed).permutation(len(X))
    return tuple(
        (X[order[s : s + batch_size]], y[order[s : s + batch_size]])
        for s in range(0, len(X), batch_size)
    )


def ewa_float32(series, beta, bias_correction):
    out = np.zeros(len(series), dtype=np.float32)
    v = 0.0
    for t in range(1, len(series) + 1):
        v = beta * v + (1 - beta) * series[t - 1]
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out


def test_a_minibatch_that_converted_x_is_told_to_index_x_as_it_is():
    line = likely(feedback("ch03_minibatches", minibatches_float64))
    assert "right values, wrong dtype" in line, line
    assert "keep the dtype of X, float32 in this check" in line, line
    assert "index X as it is" in line and ".astype(X.dtype)" in line, line
    assert "mask" not in line and "np.zeros" not in line, line
    assert not HARD_CODED.search(line), line


def test_a_float32_average_is_told_the_result_is_float64_whatever_the_inputs():
    line = likely(feedback("ch03_ewa", ewa_float32))
    assert "right values, wrong dtype" in line, line
    assert "the result is float64 in every check, whatever the inputs' dtype" in line, line
    assert "keep the inputs' dtype" not in line, line

    def followed(series, beta, bias_correction):  # the advice taken: .astype at the end
        return ewa_float32(series, beta, bias_correction).astype(np.float64)

    for suite in ("visible", "hidden"):  # passes: the advice does not send the learner back
        check("ch03_ewa", followed, suite=suite)


# -- 7. a label and an import -------------------------------------------------------------------


def test_the_relative_error_case_reads_an_analytic_gradient():
    labels = [c.label for c in get("ch08_relative_error").cases("visible")]
    assert "an analytic gradient twice the numerical one (a missing ½)" in labels, labels
    assert not any(label.startswith("a analytic") for label in labels)


def test_notebook_08_imports_warnings_outside_the_bootstrap_cell():
    imports = cell("d4f32203")  # the bootstrap cell (4767c589) is not in the learner's copy
    assert re.search(r"^import warnings$", imports, re.M), imports
    assert "warnings.catch_warnings()" in cell("a1197432")


# -- 8. two mini-batch slips --------------------------------------------------------------------


def minibatches_rest_in_last(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    n_batches = len(X) // batch_size
    batches = []
    for b in range(n_batches):
        stop = (b + 1) * batch_size if b < n_batches - 1 else len(X)  # the rest goes last
        idx = order[b * batch_size : stop]
        batches.append((X[idx], y[idx]))
    return tuple(batches)


def minibatches_sorted(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    out = []
    for start in range(0, len(X), batch_size):
        idx = sorted(order[start : start + batch_size])
        out.append((X[idx], y[idx]))
    return tuple(out)


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (minibatches_rest_in_last, "last partial batch merged into the one before"),
        (minibatches_sorted, "indices sorted inside each batch"),
    ],
)
def test_a_minibatch_slip_is_named(answer, name):
    for suite in ("visible", "hidden"):
        message = feedback("ch03_minibatches", answer, suite)
        assert mistake_names(message) == [name], message
