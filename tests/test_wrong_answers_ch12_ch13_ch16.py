"""Chapters 12, 13 and 16: wrong answers a careless learner writes that once passed, or failed
without a name or with a confusing message, are now rejected and named.

* ch13_coarse_to_fine_bounds: ``int(keep_fraction * n) + 1`` for the ceiling (the hidden suite
  had no whole keep_fraction · n);
* ch13_log_uniform: a right result drawn with another number of draws from ``rng`` (the check
  now compares where the generator is left with where the reference leaves it);
* ch13_halving_survivors: numpy's default, unstable, ``np.argsort``;
* ch12_freeze: batch norm's gamma and beta left out (no case had a BatchNorm layer);
* ch12_finetune_lrs: a bare number (or an array) where the list of rates is expected;
* ch16_diagnose_runs: (fix, cause) pairs, the cause second.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from verdicts import feedback, mistake_names

from dlnotes.exercises import check, get
from dlnotes.layers import BatchNorm, LayerNorm, Linear

SUITES = ("visible", "hidden")


named = mistake_names


def passes(exercise: str, answer, suite: str = "visible") -> bool:
    try:
        check(exercise, answer, suite=suite)
    except AssertionError:
        return False
    return True


# --- ch13_coarse_to_fine_bounds --------------------------------------------------------------


def ctf_int_plus_one(values, scores, keep_fraction):
    k = int(keep_fraction * len(scores)) + 1
    kept = values[np.argsort(scores)[:k]]
    return np.stack([kept.min(axis=0), kept.max(axis=0)], axis=1)


def test_both_suites_have_a_whole_keep_fraction_times_n():
    for suite in SUITES:
        products = [
            c.args[2] * len(c.args[1]) for c in get("ch13_coarse_to_fine_bounds").cases(suite)
        ]
        assert any(p == int(p) for p in products), (suite, products)


@pytest.mark.parametrize("suite", SUITES)
def test_int_plus_one_for_the_ceiling_is_rejected_and_named(suite):
    msg = feedback("ch13_coarse_to_fine_bounds", ctf_int_plus_one, suite)
    assert named(msg) == ["int(keep_fraction · n) + 1 for the ceiling"], msg
    assert "math.ceil" in msg


# --- ch13_log_uniform ---------------------------------------------------------------------------


def lu_one_too_many(low, high, n, rng):
    return np.exp(rng.uniform(np.log(low), np.log(high), n + 1))[:n]


def lu_extra_draw_after(low, high, n, rng):
    u = rng.uniform(np.log(low), np.log(high), n)
    rng.random()  # a look at the generator, left in
    return np.exp(u)


def lu_twice_as_many(low, high, n, rng):
    return np.exp(rng.uniform(np.log(low), np.log(high), (2, n))[0])


def lu_from_a_copy(low, high, n, rng):
    return np.exp(copy.deepcopy(rng).uniform(np.log(low), np.log(high), n))


def lu_one_at_a_time(low, high, n, rng):
    return np.array([math.exp(rng.uniform(math.log(low), math.log(high))) for _ in range(n)])


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("answer", [lu_one_too_many, lu_extra_draw_after])
def test_one_draw_too_many_is_rejected_and_named(answer, suite):
    msg = feedback("ch13_log_uniform", answer, suite)
    assert "your result is right, but your function drew a different number of random " in msg
    assert named(msg) == ["one value too many drawn"], msg


@pytest.mark.parametrize("suite", SUITES)
def test_other_numbers_of_draws_are_rejected_with_the_generators_message(suite):
    msg = feedback("ch13_log_uniform", lu_twice_as_many, suite)
    assert "drew a different number of random values from rng than expected" in msg
    assert named(msg) == [], msg  # not the one-too-many mistake: the generator is elsewhere


def test_drawing_from_a_copy_of_rng_is_rejected():
    msg = feedback("ch13_log_uniform", lu_from_a_copy)
    assert "your function drew nothing from rng" in msg


@pytest.mark.parametrize("suite", SUITES)
def test_one_draw_per_value_passes(suite):
    assert passes("ch13_log_uniform", lu_one_at_a_time, suite)


# --- ch13_halving_survivors ---------------------------------------------------------------------


def hs_default_argsort(trials, scores, eta):
    k = max(1, len(scores) // eta)
    return np.asarray(trials)[np.argsort(scores)[:k]]


@pytest.mark.parametrize("suite", SUITES)
def test_the_default_unstable_argsort_is_rejected_and_named(suite):
    msg = feedback("ch13_halving_survivors", hs_default_argsort, suite)
    assert named(msg) == ["unstable sort"], msg
    assert "kind='stable'" in msg


# --- ch12_freeze --------------------------------------------------------------------------------


def freeze_linear_and_layernorm_only(model, n_frozen):
    positions = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    positions.append(len(model.layers))  # every Linear layer frozen: nothing left to train
    return [
        p
        for layer in model.layers[positions[n_frozen] :]
        if isinstance(layer, (Linear, LayerNorm))
        for p in layer.params
    ]


@pytest.mark.parametrize("suite", SUITES)
def test_both_suites_train_a_batchnorm_layer(suite):
    cases = get("ch12_freeze").cases(suite)
    assert any(
        isinstance(layer, BatchNorm)
        for case in cases
        for layer in case.args[0].layers[
            [i for i, x in enumerate(case.args[0].layers) if isinstance(x, Linear)][case.args[1]] :
        ]
    )


@pytest.mark.parametrize("suite", SUITES)
def test_batchnorm_left_out_is_rejected_and_named(suite):
    msg = feedback("ch12_freeze", freeze_linear_and_layernorm_only, suite)
    assert named(msg) == ["batch norm's gamma and beta left out"], msg


# --- ch12_finetune_lrs --------------------------------------------------------------------------


def lrs_bare_number_for_one(base_lr, n_layers, factor):
    if n_layers == 1:
        return base_lr
    return [base_lr * factor ** (n_layers - 1 - k) for k in range(n_layers)]


@pytest.mark.parametrize("suite", SUITES)
def test_a_bare_number_for_one_layer_is_rejected_and_named(suite):
    msg = feedback("ch12_finetune_lrs", lrs_bare_number_for_one, suite)
    assert named(msg) == ["a bare number for one layer"], msg
    assert "expected a list of 1 result, got float" in msg
    assert "a bare number: return a list even when it holds a single value ([x], not x)" in msg


def test_base_lr_returned_says_a_list_is_expected_not_that_an_update_is_missing():
    msg = feedback("ch12_finetune_lrs", lambda base_lr, n_layers, factor: base_lr)
    assert "is the update applied" not in msg, msg
    assert "the result is the list of all n_layers rates" in msg
    assert "expected a list of 3 results, got float 0.0456, a single number: return all 3 " in msg


def test_an_array_of_rates_is_told_to_be_a_list():
    msg = feedback(
        "ch12_finetune_lrs",
        lambda base_lr, n_layers, factor: base_lr * factor ** (n_layers - 1 - np.arange(n_layers)),
    )
    assert "got an array of shape (3,): return a list, not an array" in msg, msg


# --- ch16_diagnose_runs -------------------------------------------------------------------------


def test_fix_and_cause_swapped_is_named_for_every_run_or_one():
    from dlnotes.exercises.ch16 import FIX_OF, KEY

    everything = {label: (FIX_OF[cause], cause) for label, cause in KEY.items()}
    one = {label: (cause, FIX_OF[cause]) for label, cause in KEY.items()}
    one["E"] = (FIX_OF[KEY["E"]], KEY["E"])
    for answer, run in ((everything, "A"), (one, "E")):
        msg = feedback("ch16_diagnose_runs", answer)
        assert named(msg) == ["fix and cause swapped"], msg
        assert f"run {run}: expected the pair (cause, fix), the cause first" in msg
