"""Chapters 01–06: the visible cases separate the mistakes learners make, and name them.

The catalogue tests run every *registered* mistake; these tests write the wrong answers out as a
learner would (not the registered functions) and check the verdict on the visible suite, for the
gaps found by trying wrong answers (issue 17, item 4).
"""

from __future__ import annotations

import math
import re

import pytest

from dlnotes.exercises import check


def named(name, answer):
    """The mistake names in check's verdict on ``answer`` (visible suite), which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer)
    return re.findall(r"Likely mistake: (.+?) — ", str(info.value))


# --- chapter 06 --------------------------------------------------------------------------------


def test_step_decay_rounding_is_caught_and_not_called_one_step_too_early():
    def step_decay(t, lr0, step_size, gamma):
        return lr0 * gamma ** round(t / step_size)

    assert named("ch06_step_decay", step_decay) == ["rounded instead of floored"]


def test_step_decay_one_step_too_early_keeps_its_name():
    def step_decay(t, lr0, step_size, gamma):
        return lr0 * gamma ** ((t + 1) // step_size)

    assert named("ch06_step_decay", step_decay) == ["one step too early"]


def test_step_decay_floor_of_a_true_division_passes(capsys):
    def step_decay(t, lr0, step_size, gamma):
        return lr0 * gamma ** math.floor(t / step_size)

    check("ch06_step_decay", step_decay)
    assert capsys.readouterr().out.startswith("✓ ch06_step_decay")


def test_cosine_progress_over_the_whole_schedule_is_named():
    def cosine_lr(t, lr_max, lr_min, total_steps, warmup_steps):
        if t < warmup_steps:
            return lr_max * t / warmup_steps
        p = min(t - warmup_steps, total_steps) / total_steps
        return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * p)) / 2

    assert named("ch06_cosine_lr", cosine_lr) == ["progress divided by T instead of T − W"]
