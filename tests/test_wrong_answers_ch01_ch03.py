"""Chapters 01 and 03: wrong answers a careless learner writes, each named (and an input with
one small entry printed without scientific notation). Every answer is written out
as a learner would write it (not the registered mistake itself), and must be named on both
suites."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mistake_names import SUITES, named

# --- a mistake is named whether the answer returns views of the inputs or copies --------------


@pytest.mark.parametrize("suite", SUITES)
def test_unshuffled_batches_as_copies_are_named_like_slices(suite):
    """The registered "no shuffling" slices X (views); this answer indexes it with an identity
    order (copies). The values are the same, and so is the mistake."""

    def minibatches(X, y, batch_size, seed):
        order = np.arange(len(X))
        return tuple(
            (X[order[i : i + batch_size]], y[order[i : i + batch_size]])
            for i in range(0, len(X), batch_size)
        )

    assert named("ch03_minibatches", minibatches, suite) == ["no shuffling"]


# --- inputs are printed as Python reads them back -------------------------------------------


def test_an_input_with_one_small_entry_is_not_printed_in_scientific_notation():
    """ch03's X (a column 0..9 beside entries like -0.005) was printed as
    `[[ 0.000e+00, -1.750e-01,  1.664e+00], ...`."""
    from dlnotes.exercises.core import _describe

    X = np.array([[0.0, -0.175, 1.664], [9.0, 0.776, -0.005]])
    assert _describe(X) == "[[0, -0.175, 1.664], [9, 0.776, -0.005]] (float64, shape (2, 3))"
    # tiny and huge entries keep their digits; -0 is 0; float32 entries as they read
    tiny = np.array([1e-8, -0.0, 3e9, np.nan, 0.1], dtype=np.float32)
    assert _describe(tiny).startswith("[1e-08, 0, 3e+09, nan, 0.1] (float32")


# --- ch01_standardize ----------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_sigma_clipped_at_a_small_value_is_named(suite):
    def standardize(X_train, X_other):
        mu = X_train.mean(axis=0)
        sigma = np.maximum(X_train.std(axis=0), 1e-8)
        return (X_train - mu) / sigma, (X_other - mu) / sigma

    assert named("ch01_standardize", standardize, suite) == ["σ clipped at 1e-8"]
