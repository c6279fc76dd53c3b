"""Chapter 13's exercise checks: a learner's natural code is never failed by a float artefact,
and the mistakes the learner review found are named with the right hint."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest

from dlnotes.exercises import check, get

SEEDS = [None, 0, 1, 7, 1313, 2024]


def verdict(name, answer, suite):
    """check's message on ``answer``, which must fail, and the mistakes it names."""
    with pytest.raises(AssertionError) as info:
        check(name, answer, suite=suite)
    return str(info.value), re.findall(r"Likely mistake: (.+?) — ", str(info.value))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_coarse_to_fine_cases_have_no_float_artefact_in_k(suite, seed):
    """The reference is the learner's natural math.ceil(keep_fraction * n): on every case it
    must equal the exact ceiling (0.07 * 100 == 7.000000000000001 would keep 8 trials)."""
    for case in get("ch13_coarse_to_fine_bounds").cases(suite, seed):
        _, scores, frac = case.args
        exact = math.ceil(Fraction(str(frac)) * len(scores))
        assert math.ceil(frac * len(scores)) == exact, case.label


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_halving_ties_broken_another_way_are_named_as_tie_order(suite):
    def by_id(trials, scores, eta):
        k = max(1, len(scores) // eta)
        order = np.lexsort((trials, scores))  # score, then the smaller id
        return trials[order[:k]]

    def later_first(trials, scores, eta):
        k = max(1, len(scores) // eta)
        order = len(scores) - 1 - np.argsort(scores[::-1], kind="stable")
        return np.asarray(trials)[order[:k]]

    for answer in (by_id, later_first):
        msg, named = verdict("ch13_halving_survivors", answer, suite)
        assert named == ["ties broken by trial id"], msg
        assert "one step late" not in msg


@pytest.mark.parametrize("seed", SEEDS)
def test_halving_tie_cases_separate_the_tie_order(seed):
    """On every seed, a tie case has its tied trials' ids against the rung's order."""
    ex = get("ch13_halving_survivors")
    mistake = ex.mistake("ties broken by trial id").wrong
    for suite in ("visible", "hidden"):
        cases = ex.cases(suite, seed)
        assert any(
            not np.array_equal(mistake(*c.args), ex.solution(*c.args))
            for c in cases
            if "a tie" in c.label
        )


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_halving_with_fewer_finished_runs_than_survivors(suite):
    ex = get("ch13_halving_survivors")
    short = [
        c
        for c in ex.cases(suite)
        if np.sum(~np.isnan(c.args[1])) < max(1, len(c.args[1]) // c.args[2])
    ]
    assert short, "a case where fewer runs finished than go on"

    def dropped(trials, scores, eta):
        k = max(1, len(scores) // eta)
        finished = np.flatnonzero(~np.isnan(scores))
        order = finished[np.argsort(scores[finished], kind="stable")]
        return np.asarray(trials)[order[:k]]

    msg, named = verdict("ch13_halving_survivors", dropped, suite)
    assert named == ["failed runs dropped"], msg


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_log_uniform_sorted_and_global_random_are_named(suite):
    def sorted_draws(low, high, n, rng):
        return np.sort(np.exp(rng.uniform(np.log(low), np.log(high), n)))

    msg, named = verdict("ch13_log_uniform", sorted_draws, suite)
    assert named == ["samples sorted"], msg

    def global_random(low, high, n, rng):
        return np.exp(np.random.uniform(np.log(low), np.log(high), n))  # noqa: NPY002

    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(0)  # noqa: NPY002  (a fixed global stream: the test must not need luck)
    try:
        msg, named = verdict("ch13_log_uniform", global_random, suite)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    assert named == ["other random draws"], msg
    assert "rng you are given" in msg
