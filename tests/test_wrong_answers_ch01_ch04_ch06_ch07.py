"""Chapters 01, 04, 06 and 07: the learner's answers get the right named mistake.

Each answer is written out as a learner wrote it (not the registered wrong code), checked on
the visible suite, and the test asserts the mistake the verdict names and what its hint says.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes.exercises import check, get


def verdict(name, answer, suite="visible"):
    """The unfolded text of check's verdict on ``answer``, which must fail."""
    with pytest.raises(AssertionError) as info:
        check(name, answer, suite=suite)
    return " ".join(str(info.value).split())


def named(name, answer, suite="visible"):
    """The mistake names in check's verdict on ``answer``."""
    return re.findall(r"Likely mistake: (.+?) — ", verdict(name, answer, suite))


# --- chapter 04: the challenge -----------------------------------------------------------------


@pytest.mark.parametrize("value", [{"lr": 1.4, "rho": 0.67}, {1.4, 0.67}, {"a": 1, "b": 2}])
def test_a_challenge_dict_or_set_is_asked_for_two_numbers_not_told_about_its_keys(value):
    message = verdict("ch04_momentum_challenge", value)
    assert "enter two numbers, momentum_challenge = (lr, rho)" in message, message
    assert f"got {value!r}" in message, message
    assert "must be a number" not in message, message


@pytest.mark.parametrize("pair", [(1.0, 0.9), (0.75, 0.9)])
def test_too_much_momentum_gives_the_formula_but_not_the_optimal_rho(pair):
    message = verdict("ch04_momentum_challenge", pair)
    assert "Likely mistake: too much momentum" in message, message
    assert "((√κ − 1)/(√κ + 1))²" in message, message
    assert "0.67" not in message.split("Likely mistake:")[1], message


def test_rho_near_the_optimum_with_a_small_step_is_told_to_raise_alpha_not_rho():
    message = verdict("ch04_momentum_challenge", (1.4, 0.67))
    assert named("ch04_momentum_challenge", (1.4, 0.67)) == ["step too small for this momentum"]
    assert "raise α" in message and "Raise ρ" not in message, message
    # raising α alone at this ρ does pass, as the hint says
    assert get("ch04_momentum_challenge").verify((2.5, 0.67)).passed
    # far below the optimum, more momentum is still the advice
    assert named("ch04_momentum_challenge", (1.0, 0.2)) == ["too little momentum"]


# --- chapter 04: Nesterov ----------------------------------------------------------------------


def test_nesterov_look_ahead_of_the_other_form_is_named():
    def nesterov(grad, x0, lr, rho, steps):
        x = x0.copy()
        v = np.zeros_like(x)
        xs = [x]
        for _ in range(steps):
            v = rho * v - lr * grad(x - lr * rho * v)
            x = x + v
            xs.append(x)
        return np.array(xs)

    assert named("ch04_nesterov", nesterov) == ["look-ahead of the other form (x − lr·rho·v)"]
    hint = get("ch04_nesterov").mistake("look-ahead of the other form (x − lr·rho·v)").hint
    assert "grad(x + rho" not in hint and "no lr" in hint


# --- chapter 01 --------------------------------------------------------------------------------


def test_dev_set_size_loop_with_strict_below_is_named_by_its_behaviour():
    def dev_set_size(p, se):
        n = 1
        while math.sqrt(p * (1 - p) / n) >= se:
            n += 1
        return n

    name = "one too many when p(1 − p)/se² is a whole number"
    assert named("ch01_dev_set_size", dev_set_size) == [name]
    hint = get("ch01_dev_set_size").mistake(name).hint
    assert "at most se, not below it" in hint and "int(x) + 1" in hint

    def with_int(p, se):
        return int(p * (1 - p) / se**2) + 1

    assert named("ch01_dev_set_size", with_int) == [name]


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_diagnose_with_tol_as_a_percentage_is_named_and_not_tol_ignored(suite):
    def diagnose(train_err, dev_err, bayes_err, tol=2):
        b = (train_err - bayes_err) * 100 > tol
        v = (dev_err - train_err) * 100 > tol
        return _label(b, v)

    assert named("ch01_diagnose", diagnose, suite) == ["tol as a percentage"]
    hint = get("ch01_diagnose").mistake("tol as a percentage").hint
    assert "tol is a fraction (0.02 = 2 points), not a percentage" in hint

    def ignores_tol(train_err, dev_err, bayes_err, tol=0.02):
        b = train_err - bayes_err > 0.02
        v = dev_err - train_err > 0.02
        return _label(b, v)

    assert named("ch01_diagnose", ignores_tol, suite) == ["tol ignored"]


def _label(b, v):
    return {
        (True, True): "high bias and high variance",
        (True, False): "high bias",
        (False, True): "high variance",
        (False, False): "low bias and low variance",
    }[(b, v)]


# --- chapter 06 --------------------------------------------------------------------------------


def test_step_decay_with_ceil_is_named():
    def step_decay(step, lr0, step_size, gamma):
        return lr0 * gamma ** math.ceil(step / step_size)

    assert named("ch06_step_decay", step_decay) == ["ceil instead of floor"]


def test_step_decay_with_gamma_times_the_count_is_named():
    def step_decay(step, lr0, step_size, gamma):
        return lr0 * gamma * (step // step_size)

    assert named("ch06_step_decay", step_decay) == ["gamma multiplied by the number of drops"]


def _cosine(shape):
    def cosine_lr(step, lr_max, lr_min, total_steps, warmup_steps):
        if step < warmup_steps:
            return lr_max * step / warmup_steps
        if step > total_steps:
            return float(lr_min)
        p = (step - warmup_steps) / (total_steps - warmup_steps)
        return lr_min + (lr_max - lr_min) * shape(p)

    return cosine_lr


def test_cosine_in_degrees_with_the_end_handled_apart_is_named():
    answer = _cosine(lambda p: (1 + math.cos(180 * p)) / 2)
    assert named("ch06_cosine_lr", answer) == ["degrees instead of radians (lr_min after the end)"]


def test_plain_cosine_with_the_end_handled_apart_is_named():
    answer = _cosine(lambda p: math.cos(math.pi * p))
    name = "missing (1 + cos)/2 (lr_min after the end)"
    assert named("ch06_cosine_lr", answer) == [name]
    assert "(1 + cos(πp))/2" not in get("ch06_cosine_lr").mistake(name).hint


# --- chapter 07 --------------------------------------------------------------------------------


def test_kaiming_with_the_root_of_2_only_is_named():
    def kaiming_normal(fan_in, fan_out, rng):
        return rng.normal(0.0, math.sqrt(2) / fan_in, size=(fan_in, fan_out))

    assert named("ch07_kaiming_normal", kaiming_normal) == ["√2 / fan_in"]


def test_xavier_with_the_product_of_the_fans_is_named():
    def xavier_uniform(fan_in, fan_out, rng):
        a = math.sqrt(6 / (fan_in * fan_out))
        return rng.uniform(-a, a, size=(fan_in, fan_out))

    assert named("ch07_xavier_uniform", xavier_uniform) == [
        "product of the fans instead of their sum"
    ]
