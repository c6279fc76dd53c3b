"""Chapters 08, 13 and 14: common wrong answers a careless learner writes, once met with no hint or
a misleading one ("all zeros", "wrong shape", plain "wrong values"), each now named. Every answer
is written out as a learner would write it (not the registered mistake itself), and must be named
on both suites."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes.exercises import check
from tests.mistake_names import SUITES, named

# --- ch08_numerical_gradient ---------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_numerical_gradient_with_aliased_x_plus_and_x_minus_is_named(suite):
    def numerical_gradient(f, x, h):
        g = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            xp = x
            xp[i] += h
            xm = x
            xm[i] -= h
            g[i] = (f(xp) - f(xm)) / (2 * h)
        return g

    assert named("ch08_numerical_gradient", numerical_gradient, suite) == [
        "x_plus and x_minus are x itself"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_numerical_gradient_with_aliases_set_from_x_is_named(suite):
    def numerical_gradient(f, x, h):
        grad = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            x_plus = x
            x_plus[i] = x[i] + h
            x_minus = x
            x_minus[i] = x[i] - h
            grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
        return grad

    assert named("ch08_numerical_gradient", numerical_gradient, suite) == [
        "x_plus and x_minus are x itself"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_numerical_gradient_with_aliases_of_a_copy_is_named(suite):
    def numerical_gradient(f, x, h):
        x = x.astype(float)  # a copy, but x_plus and x_minus are still that one copy
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x_plus = x
            x_plus[i] += h
            x_minus = x
            x_minus[i] -= h
            grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
        return grad

    assert named("ch08_numerical_gradient", numerical_gradient, suite) == [
        "x_plus and x_minus are x itself"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_numerical_gradient_not_restored_keeps_its_name(suite):
    def numerical_gradient(f, x, h):
        g = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            x[i] += h
            fp = f(x)
            x[i] -= 2 * h
            fm = f(x)
            g[i] = (fp - fm) / (2 * h)
        return g

    assert named("ch08_numerical_gradient", numerical_gradient, suite) == ["x not restored"]


@pytest.mark.parametrize("suite", SUITES)
def test_numerical_gradient_not_restored_on_a_copy_is_named(suite):
    def numerical_gradient(f, x, h):
        x = x.copy()
        g = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            x[i] += h
            fp = f(x)
            x[i] -= 2 * h
            fm = f(x)
            g[i] = (fp - fm) / (2 * h)
        return g

    assert named("ch08_numerical_gradient", numerical_gradient, suite) == [
        "x not restored (on a copy)"
    ]


# --- ch08_relative_error -------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_relative_error_as_an_absolute_error_is_named(suite):
    def relative_error(a, b):
        return np.linalg.norm(a - b)

    assert named("ch08_relative_error", relative_error, suite) == ["absolute error"]


# --- ch13_halving_survivors ----------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_halving_with_nan_as_inf_and_a_default_sort_is_named(suite):
    def halving_survivors(trials, scores, eta):
        k = max(1, len(scores) // eta)
        scores = np.where(np.isnan(scores), np.inf, scores)
        order = np.argsort(scores)[:k]
        return trials[order]

    assert named("ch13_halving_survivors", halving_survivors, suite) == [
        "failed runs as inf, then an unstable sort"
    ]


def test_the_inf_hint_states_the_tie_rule():
    with pytest.raises(AssertionError) as info:
        check(
            "ch13_halving_survivors",
            lambda trials, scores, eta: trials[
                np.argsort(np.nan_to_num(scores, nan=np.inf))[: max(1, len(scores) // eta)]
            ],
        )
    text = str(info.value)
    assert "failed runs as inf, then an unstable sort" in text
    assert "rung's order" in text and "kind='stable'" in text


# --- ch13_coarse_to_fine_bounds ------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_bounds_reduced_over_each_trial_are_named(suite):
    def coarse_to_fine_bounds(values, scores, keep_fraction):
        k = math.ceil(keep_fraction * len(scores))
        kept = values[np.argsort(scores)[:k]]
        return np.stack([kept.min(axis=1), kept.max(axis=1)], axis=1)

    assert named("ch13_coarse_to_fine_bounds", coarse_to_fine_bounds, suite) == [
        "min and max of each trial, not of each hyperparameter"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_bounds_reduced_over_each_trial_written_with_transpose_are_named(suite):
    def coarse_to_fine_bounds(values, scores, keep_fraction):
        n = len(scores)
        best = np.argsort(scores)[: math.ceil(n * keep_fraction)]
        return np.array([values[best].min(1), values[best].max(1)]).T

    assert named("ch13_coarse_to_fine_bounds", coarse_to_fine_bounds, suite) == [
        "min and max of each trial, not of each hyperparameter"
    ]


# --- ch14_ensemble_predict -----------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_ensemble_softmax_summed_over_axis_0_is_named(suite):
    def ensemble_predict(logit_list):
        probs = []
        for z in logit_list:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            probs.append(e / e.sum(axis=0))  # over the examples
        return np.mean(probs, axis=0).argmax(axis=1)

    assert named("ch14_ensemble_predict", ensemble_predict, suite) == [
        "softmax normalised over the examples"
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_ensemble_unshifted_softmax_summed_over_axis_0_is_named(suite):
    def ensemble_predict(logit_list):
        avg = 0
        for z in logit_list:
            p = np.exp(z) / np.sum(np.exp(z), axis=0)
            avg = avg + p / len(logit_list)
        return np.argmax(avg, axis=1)

    with np.errstate(over="ignore", invalid="ignore"):
        assert named("ch14_ensemble_predict", ensemble_predict, suite) == [
            "softmax over the examples, without the max shift"
        ]


@pytest.mark.parametrize("suite", SUITES)
def test_ensemble_softmax_over_axis_0_throughout_keeps_its_name(suite):
    def ensemble_predict(logit_list):
        probs = []
        for z in logit_list:
            e = np.exp(z - z.max(axis=0))
            probs.append(e / e.sum(axis=0))
        return np.mean(probs, axis=0).argmax(axis=1)

    assert named("ch14_ensemble_predict", ensemble_predict, suite) == [
        "softmax over the wrong axis"
    ]
