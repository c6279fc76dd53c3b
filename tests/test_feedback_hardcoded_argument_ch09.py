"""A wrong answer that uses its argument as given is not told the argument looks hard-coded:
chapter 09's early stopping that looks at the whole list's minimum matched the
reference run with "patience = 5" on short lists by chance, and was told to stop hard-coding a
patience it read correctly. An answer that really hard-codes it is still told so."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check
from dlnotes.exercises.core import _params_used

NAME = "ch09_early_stopping_epoch"


def _said(answer, suite: str) -> str:
    with pytest.raises(CheckFailed) as info:
        check(NAME, answer, suite=suite)
    return " ".join(str(info.value).split())


def _rule(dev_losses, patience):
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(dev_losses, start=1):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(dev_losses), best_epoch


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_an_answer_that_uses_patience_is_not_told_it_is_hard_coded(suite):
    def early_stopping_epoch(dev_losses, patience):
        b = int(np.argmin(dev_losses)) + 1  # looks into the future: a mistake of its own
        return min(b + patience, len(dev_losses)), b

    said = _said(early_stopping_epoch, suite)
    assert "as if patience were" not in said and "hard-coded" not in said, said


@pytest.mark.parametrize("suite", ["visible", "hidden"])
@pytest.mark.parametrize("how", ["literal", "assigned"])
def test_an_answer_that_hard_codes_patience_is_told_so(suite, how):
    if how == "literal":

        def early_stopping_epoch(dev_losses, patience):
            return _rule(dev_losses, 10)
    else:

        def early_stopping_epoch(dev_losses, patience):
            patience = 10
            return _rule(dev_losses, patience)

    said = _said(early_stopping_epoch, suite)
    assert "Likely mistake: as if patience were 10" in said, said
    assert "(the number 10 written in your function)" in said, said
    assert "write the argument patience in its place" in said, said


def test_params_used_are_those_read_and_never_assigned():
    def f(a, b, c, d, *, e):
        b = 2

        def inner():
            return c

        return a + b + inner() + e

    assert _params_used(f) == ["a", "c", "e"]
    assert _params_used(len) == [] and _params_used(lambda x: 1) == []
